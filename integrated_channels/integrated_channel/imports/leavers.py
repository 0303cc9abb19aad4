"""Leavers: the people a connection imported before who are no longer in its source.

While a run links its chunks, ``mark`` records each person found (by e-mail) with the run's id in
``ImportedPerson`` (one upsert statement per chunk). At the end, ``unlink_leavers`` takes the
connection's people not marked by this run, chunk by chunk: linked learners are unlinked softly
(``linking.unlink_users``), pending ones removed (``linking.delete_pending_learners``), and their
rows dropped. Only people this connection imported are ever touched.
"""

from __future__ import annotations

import json

from django.db import connections, router
from django.db.models import F
from django.db.models.functions import Lower

from enterprise.models import EnterpriseCustomerUser, PendingEnterpriseCustomerUser
from enterprise.services.bulk_sql import AnyOf
from enterprise.services.linking import delete_pending_learners, unlink_users
from enterprise.services.user_lookup import users_by_email
from integrated_channels.integrated_channel.models import ImportedPerson


def mark(configuration, run_id: int, emails: list[str]) -> None:
    """Record that ``emails`` were in the source of ``run_id`` (one statement)."""
    if not emails:
        return
    model = ImportedPerson
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    conf, email, last = (
        quote(model._meta.get_field(name).column) for name in ("configuration", "email", "last_run_id")
    )
    if connection.vendor == "postgresql":
        source, param = "unnest(string_to_array(%s, chr(10))) AS v", "\n".join(emails)
        where = ""
    elif connection.vendor == "sqlite":
        source, param = "(SELECT value AS v FROM json_each(%s))", json.dumps(emails)
        where = "WHERE true"  # tells SQLite's parser the ON CONFLICT clause belongs to the INSERT
    else:
        existing = set(
            model.objects.filter(configuration=configuration)
            .filter(AnyOf(F("email"), emails))
            .values_list("email", flat=True)
        )
        model.objects.filter(configuration=configuration, email__in=existing).update(last_run_id=run_id)
        model.objects.bulk_create(
            [model(configuration=configuration, email=e, last_run_id=run_id) for e in emails if e not in existing]
        )
        return
    sql = (
        f"INSERT INTO {table} ({conf}, {email}, {last}) SELECT %s, v, %s FROM {source} {where} "  # noqa: S608
        f"ON CONFLICT ({conf}, {email}) DO UPDATE SET {last} = excluded.{last}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [configuration.pk, run_id, param])


def unlink_leavers(configuration, run_id: int, *, chunk_size: int) -> tuple[int, int]:
    """Unlink the connection's people missing from run ``run_id``; ``(unlinked, pending removed)``."""
    customer = configuration.customer
    unlinked = removed = 0
    gone = ImportedPerson.objects.filter(configuration=configuration).exclude(last_run_id=run_id)
    while True:
        batch = list(gone.order_by("pk").values_list("pk", "email")[:chunk_size])
        if not batch:
            return unlinked, removed
        emails = [email for _pk, email in batch]
        matches = users_by_email(emails, chunk_size=len(emails))
        user_ids = [found for found in matches.values() if isinstance(found, int)]
        if user_ids:
            mine = EnterpriseCustomerUser.objects.filter(customer=customer).filter(AnyOf(F("user_id"), user_ids))
            unlinked += unlink_users(customer=customer, user_ids=list(mine.values_list("user_id", flat=True)))
        pending = PendingEnterpriseCustomerUser.objects.filter(customer=customer).filter(
            AnyOf(Lower("user_email"), emails)
        )
        removed += delete_pending_learners(customer=customer, pending_ids=list(pending.values_list("pk", flat=True)))
        ImportedPerson.objects.filter(pk__in=[pk for pk, _email in batch]).delete()
