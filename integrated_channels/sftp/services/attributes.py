"""Writing imported attributes: one statement merges the attributes of many learners (decision 0081).

``bulk_update`` of a JSON column builds one ``CASE WHEN pk = … THEN …`` branch per row, in Python
and in SQL; for 50,000 learners that was most of an import. ``merge_by_pk`` sends every row's
attributes as one JSON object parameter ``{pk: {attribute: value}}`` and lets the database merge
them into the stored ones (``||`` on PostgreSQL's jsonb, ``json_patch`` on SQLite), so imported
keys are written and the others — "do not import" attributes kept by hand — are left intact.
Imported values are strings (never null, which ``json_patch`` would read as "remove"). Other
databases get ``bulk_update``.
"""

from __future__ import annotations

import json

from django.db import connections, router
from django.db.models import F

from enterprise.models import EnterpriseCustomerUser
from enterprise.services.bulk_sql import AnyOf
from integrated_channels.sftp.models import PendingLearnerAttributes

BATCH = 5000  # rows per statement: bounded parameter size, a few statements per 100,000 rows


def merge_by_pk(model, *, field: str, values: dict[int, dict[str, str]]) -> None:
    """Merge ``values[pk]`` into the JSON ``field`` of each row ``pk`` of ``model``."""
    if not values:
        return
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
    column = quote(model._meta.get_field(field).column)
    if connection.vendor == "postgresql":
        sql = (
            f"UPDATE {table} SET {column} = COALESCE({table}.{column}, '{{}}'::jsonb) || j.value "  # noqa: S608
            f"FROM jsonb_each(%s::jsonb) AS j WHERE {table}.{pk} = j.key::bigint"
        )
    elif connection.vendor == "sqlite":
        sql = (
            f"UPDATE {table} SET {column} = json_patch(COALESCE({column}, '{{}}'), j.value) "  # noqa: S608
            f"FROM json_each(%s) AS j WHERE {table}.{pk} = CAST(j.key AS INTEGER)"
        )
    else:
        rows = list(model.objects.filter(pk__in=list(values)).only("pk", field))
        for row in rows:
            setattr(row, field, {**(getattr(row, field) or {}), **values[row.pk]})
        model.objects.bulk_update(rows, [field], batch_size=1000)
        return
    keys = list(values)
    with connection.cursor() as cursor:
        for start in range(0, len(keys), BATCH):
            chunk = {str(key): values[key] for key in keys[start : start + BATCH]}
            cursor.execute(sql, [json.dumps(chunk)])


def write_attributes(customer, linked: dict[int, dict], pending: dict[str, dict]) -> None:
    """Merge the attributes of linked learners (by learner id) and keep those of pending ones (by e-mail)."""
    merge_by_pk(EnterpriseCustomerUser, field="attributes", values=linked)
    if not pending:
        return
    existing = dict(
        PendingLearnerAttributes.objects.filter(customer=customer)
        .filter(AnyOf(F("email"), list(pending)))
        .values_list("email", "pk")
    )
    merge_by_pk(
        PendingLearnerAttributes,
        field="attributes",
        values={pk: pending[email] for email, pk in existing.items()},
    )
    PendingLearnerAttributes.objects.bulk_create(
        [
            PendingLearnerAttributes(customer=customer, email=email, attributes=attributes)
            for email, attributes in pending.items()
            if email not in existing
        ],
        batch_size=1000,
    )
