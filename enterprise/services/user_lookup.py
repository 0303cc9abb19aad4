"""Finding the users of many e-mail addresses at once, case-insensitively, in one pass.

Django's user table has no index on the e-mail; the standalone host adds one on ``UPPER(email)``
(``standalone.hostdb``, PostgreSQL; ``LOWER(email)`` on SQLite) and ``enterprise.W001`` warns a
host without it. The whole list goes to the database in one parameter:

- PostgreSQL: ``UPPER(email) = ANY(string_to_array(UPPER(%s), chr(10)))`` (Django's ``iexact``
  uses ``UPPER`` too). For a few thousand addresses the planner prefers the hashed array test of
  a sequential scan even with the index, so this reads the whole table each time: bulk linking
  uses ``bulk_link.ChunkLookup`` instead, which probes the index address by address. The list
  travels as one newline-joined string: a valid address holds no line break, and this is ~10x
  cheaper to send than a Python list.
- SQLite: ``LOWER(email) IN (SELECT value FROM json_each(%s))`` — SQLite builds a temporary
  index of the list and probes it once per user.
- Other databases: ``LOWER(email) IN (…)`` per chunk of ``chunk_size`` addresses.

Only ids and addresses are read (in batches, so 50,000 matches never sit in memory twice);
usernames are fetched afterwards for the rare addresses that several users share.
See docs/decisions/0011-set-based-bulk-linking.md for the measurements.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from django.contrib.auth import get_user_model
from django.db import connections, router
from django.db.models.functions import Lower

from enterprise.emails import normalize_email

FETCH_SIZE = 5000


def users_by_email(emails: list[str], *, chunk_size: int = 5000) -> dict[str, int | tuple[int, ...]]:
    """Map each address of ``emails`` that some user has to that user's id.

    ``emails`` must be normalised (``enterprise.emails.normalize_email``), valid and distinct.
    When several users share an address, the value is the tuple of their ids (sorted): the
    caller decides what that means, it never guesses. Keys are the users' addresses normalised;
    in the rare case where the database folds case differently from Python (a few non-ASCII
    letters), a key may be an address that is not in ``emails``, and is then never looked up.
    """
    if not emails:
        return {}
    found: dict[str, int | tuple[int, ...]] = {}
    for user_id, user_email in _matching_users(emails, chunk_size):
        key = normalize_email(user_email)
        previous = found.get(key)
        if previous is None:
            found[key] = user_id
        else:
            ids = previous if isinstance(previous, tuple) else (previous,)
            found[key] = tuple(sorted({*ids, user_id}))
    return found


def usernames(user_ids) -> dict[int, str]:
    """Usernames of a few users (those sharing an address), by id."""
    user_model = get_user_model()
    return dict(user_model._default_manager.filter(pk__in=list(user_ids)).values_list("pk", user_model.USERNAME_FIELD))


def _matching_users(emails: list[str], chunk_size: int) -> Iterator[tuple[int, str]]:
    user_model = get_user_model()
    alias = router.db_for_read(user_model)
    connection = connections[alias]
    email_field = user_model.get_email_field_name()
    meta = user_model._meta
    quote = connection.ops.quote_name
    table, pk, email = quote(meta.db_table), quote(meta.pk.column), quote(meta.get_field(email_field).column)
    # Only quoted identifiers are interpolated; the addresses travel as one bound parameter.
    if connection.vendor == "postgresql":
        where, param = f"UPPER({email}) = ANY(string_to_array(UPPER(%s), chr(10)))", "\n".join(emails)
    elif connection.vendor == "sqlite":
        where, param = f"LOWER({email}) IN (SELECT value FROM json_each(%s))", json.dumps(emails)  # noqa: S608
    if connection.vendor in {"postgresql", "sqlite"}:
        yield from _fetch(connection, f"SELECT {pk}, {email} FROM {table} WHERE {where}", [param])  # noqa: S608
    else:
        manager = user_model._default_manager.using(alias)
        for start in range(0, len(emails), chunk_size):
            yield from (
                manager.annotate(email_ci=Lower(email_field))
                .filter(email_ci__in=emails[start : start + chunk_size])
                .values_list("pk", email_field)
            )


def _fetch(connection, sql: str, params: list) -> Iterator[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(FETCH_SIZE):
            yield from rows
