"""The REST API's page of learners as one hand-written statement, for PostgreSQL (decision 0436).

``all_learners.learners_page`` reads a page with one ``UNION ALL`` statement. Building and
compiling it with the ORM (two value querysets with constant columns and ``COUNT(*)`` subqueries,
then their union) cost about 3.5 ms of CPU per request, three times what running it costs; here
the same statement is written from a few fixed pieces. It reads the same rows in the same order
with the same filters as ``learner_lists.linked_learners`` / ``pending_learners`` and
``older_than`` (``tests/api/test_learners_sql.py`` compares both on PostgreSQL, every shape).
"""

from __future__ import annotations

import datetime
import json

from django.contrib.auth import get_user_model
from django.db import connection

from enterprise.emails import normalize_email
from enterprise.models import EnterpriseCustomerUser, PendingEnterpriseCustomerUser

LINKED, PENDING = "linked", "pending"


def supported() -> bool:
    return connection.vendor == "postgresql"


def _like_prefix(term: str) -> str:
    return connection.ops.prep_for_like_query(term) + "%"


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _older_than(alias: str, position: tuple[datetime.datetime, int] | None, params: list) -> str:
    if position is None:
        return ""
    created, pk = position
    params += [created, created, created, pk]
    return f" AND {alias}.created <= %s AND ({alias}.created < %s OR ({alias}.created = %s AND {alias}.id < %s))"


def _linked(customer_id, search: str, position, size: int, count: bool, user_ids) -> tuple[str, list]:
    """The linked part; ``user_ids``: the users an e-mail search matched (looked up by the caller)."""
    user = get_user_model()
    users = _quote(user._meta.db_table)
    username = _quote(user._meta.get_field(user.USERNAME_FIELD).column)
    email = _quote(user._meta.get_field(user.get_email_field_name()).column)
    links = _quote(EnterpriseCustomerUser._meta.db_table)
    term = (search or "").strip()
    join, where, search_params = "", "", []
    if "@" in term:
        where, search_params = " AND {l}.user_id = ANY(%s)", [list(user_ids)]
    elif term.isdigit():
        where, search_params = " AND {l}.user_id = %s", [int(term)]
    elif term:
        join, where, search_params = (
            " JOIN {users} {u} ON {l}.user_id = {u}.id",
            " AND {u}.{username} LIKE %s",
            [_like_prefix(term)],
        )
    params: list = []
    total = ""
    if count:
        total = (
            f", (SELECT COUNT(*) FROM {links} c"  # noqa: S608 (quoted identifiers, values as parameters)
            + join.format(users=users, u="cu", l="c")
            + " WHERE c.customer_id = %s AND c.linked"
            + where.format(l="c", u="cu", username=username)
            + ")"
        )
        params += [customer_id, *search_params]
    sql = (
        f"(SELECT l.id, l.created, l.active, l.user_id, u.{username}, u.{email}, 'linked', l.attributes{total}"  # noqa: S608
        f" FROM {links} l JOIN {users} u ON l.user_id = u.id"
        " WHERE l.customer_id = %s AND l.linked" + where.format(l="l", u="u", username=username)
    )
    params += [customer_id, *search_params]
    sql += _older_than("l", position, params) + f" ORDER BY 2 DESC, 1 DESC LIMIT {int(size)})"
    return sql, params


def _pending(customer_id, search: str, position, size: int, count: bool) -> tuple[str, list]:
    table = _quote(PendingEnterpriseCustomerUser._meta.db_table)
    term = normalize_email(search)
    where, search_params = "", []
    if "@" in term:
        where, search_params = " AND LOWER({p}.user_email) = %s", [term]
    elif term:
        where, search_params = " AND {p}.user_email LIKE %s", [_like_prefix(term)]
    params: list = []
    total = ""
    if count:
        total = f", (SELECT COUNT(*) FROM {table} c WHERE c.customer_id = %s" + where.format(p="c") + ")"  # noqa: S608
        params += [customer_id, *search_params]
    sql = (
        "(SELECT p.id, p.created, true, NULL::integer, NULL::varchar, p.user_email, 'pending', NULL::jsonb"  # noqa: S608
        f"{total} FROM {table} p WHERE p.customer_id = %s" + where.format(p="p")
    )
    params += [customer_id, *search_params]
    sql += _older_than("p", position, params) + f" ORDER BY 2 DESC, 1 DESC LIMIT {int(size)})"
    return sql, params


def read(*, customer_id, kinds, search: str, positions: dict, size: int, count: bool, user_ids=()) -> list[tuple]:
    """The rows of each kind's page (``LearnerEntry`` columns, then the count when ``count``)."""
    parts, params = [], []
    for kind in kinds:
        if kind == LINKED:
            sql, part_params = _linked(customer_id, search, positions[kind], size, count, user_ids)
        else:
            sql, part_params = _pending(customer_id, search, positions[kind], size, count)
        parts.append(sql)
        params += part_params
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        rows = cursor.fetchall()
    # Django has PostgreSQL hand jsonb over as text (``JSONField.from_db_value`` decodes it)
    return [(*row[:7], json.loads(row[7]) if isinstance(row[7], str) else row[7], *row[8:]) for row in rows]
