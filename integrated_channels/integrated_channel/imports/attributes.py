"""Writing imported attributes: one statement merges the attributes of many learners (decision 0081).

``bulk_update`` of a JSON column builds one ``CASE WHEN pk = … THEN …`` branch per row, in Python
and in SQL; for 50,000 learners that was most of an import. ``merge_by_pk`` sends every row's
attributes as one JSON object parameter ``{pk: {attribute: value}}`` and lets the database merge
them into the stored ones (``||`` on PostgreSQL's jsonb, ``json_patch`` on SQLite), so imported
keys are written and the others — "do not import" attributes kept by hand — are left intact.
``upsert_pending`` does the same for pending learners' stored attributes, inserting the new ones.
Imported values are strings (never null, which ``json_patch`` would read as "remove"). Other
databases get ``bulk_update``. ``clear_keys`` removes the imported custom fields a mapping says not
to import any more (the seed: such a field "will be deleted from the system").
"""

from __future__ import annotations

import json

from django.db import connections, router
from django.db.models import F
from django.utils import timezone

from enterprise.models import EnterpriseCustomerUser
from enterprise.services.bulk_sql import AnyOf
from integrated_channels.integrated_channel.models import PendingLearnerAttributes

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


def upsert_pending(customer, values: dict[str, dict[str, str]]) -> None:
    """Store the attributes of pending learners by e-mail: new rows inserted, existing ones merged,
    in one ``INSERT … SELECT … ON CONFLICT DO UPDATE`` per 5,000 e-mails."""
    if not values:
        return
    model = PendingLearnerAttributes
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    customer_column, email, attributes, modified = (
        quote(model._meta.get_field(name).column) for name in ("customer", "email", "attributes", "modified")
    )
    if connection.vendor == "postgresql":
        merged, each, where = f"{table}.{attributes} || EXCLUDED.{attributes}", "jsonb_each(%s::jsonb)", ""
    elif connection.vendor == "sqlite":
        # ``WHERE true`` tells SQLite's parser the ON CONFLICT clause belongs to the INSERT.
        merged, each, where = f"json_patch({table}.{attributes}, excluded.{attributes})", "json_each(%s)", "WHERE true"
    else:
        _upsert_pending_with_orm(customer, values)
        return
    sql = (
        f"INSERT INTO {table} ({customer_column}, {email}, {attributes}, {modified}) "  # noqa: S608
        f"SELECT %s, j.key, j.value, %s FROM {each} AS j {where} "
        f"ON CONFLICT ({customer_column}, {email}) DO UPDATE SET {attributes} = {merged}, "
        f"{modified} = excluded.{modified}"
    )
    customer_id = model._meta.get_field("customer").get_db_prep_value(customer.pk, connection)
    now = model._meta.get_field("modified").get_db_prep_value(timezone.now(), connection)
    keys = list(values)
    with connection.cursor() as cursor:
        for start in range(0, len(keys), BATCH):
            chunk = {key: values[key] for key in keys[start : start + BATCH]}
            cursor.execute(sql, [customer_id, now, json.dumps(chunk)])


def _upsert_pending_with_orm(customer, values: dict[str, dict[str, str]]) -> None:
    existing = {
        row.email: row
        for row in PendingLearnerAttributes.objects.filter(customer=customer).filter(AnyOf(F("email"), list(values)))
    }
    for email, attributes in values.items():
        row = existing.get(email)
        if row is None:
            existing[email] = PendingLearnerAttributes(customer=customer, email=email, attributes=attributes)
        else:
            row.attributes = {**row.attributes, **attributes}
    rows = list(existing.values())
    PendingLearnerAttributes.objects.bulk_create([row for row in rows if row.pk is None], batch_size=1000)
    PendingLearnerAttributes.objects.bulk_update([row for row in rows if row.pk], ["attributes"], batch_size=1000)


def write_attributes(customer, linked: dict[int, dict], pending: dict[str, dict]) -> None:
    """Merge the attributes of linked learners (by learner id) and keep those of pending ones (by e-mail)."""
    merge_by_pk(EnterpriseCustomerUser, field="attributes", values=linked)
    upsert_pending(customer, pending)


def clear_keys(customer, keys: list[str]) -> None:
    """Remove ``keys`` from the attributes of every learner of ``customer`` and of its pending ones.

    One statement per table (``-`` on PostgreSQL's jsonb, ``json_remove`` on SQLite).
    """
    if not keys:
        return
    for model, field in ((EnterpriseCustomerUser, "attributes"), (PendingLearnerAttributes, "attributes")):
        connection = connections[router.db_for_write(model)]
        quote = connection.ops.quote_name
        table, column = quote(model._meta.db_table), quote(model._meta.get_field(field).column)
        customer_column = quote(model._meta.get_field("customer").column)
        customer_id = model._meta.get_field("customer").get_db_prep_value(customer.pk, connection)
        if connection.vendor == "postgresql":
            sql = (
                f"UPDATE {table} SET {column} = {column} - %s::text[] "  # noqa: S608
                f"WHERE {customer_column} = %s AND {column} ?| %s::text[]"
            )
            params = [list(keys), customer_id, list(keys)]
        elif connection.vendor == "sqlite":
            paths = ", ".join(["%s"] * len(keys))
            sql = f"UPDATE {table} SET {column} = json_remove({column}, {paths}) WHERE {customer_column} = %s"  # noqa: S608
            params = [*(f'$."{key}"' for key in keys), customer_id]
        else:
            for row in model.objects.filter(customer=customer):
                setattr(row, field, {k: v for k, v in (getattr(row, field) or {}).items() if k not in keys})
                row.save(update_fields=[field])
            continue
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
