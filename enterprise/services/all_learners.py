"""Linked and pending learners of a customer in one list, newest first, for the REST API.

Each page reads one keyset page of each kind (the searches and indexes of ``learner_lists``) and
merges them; the cursor carries one position per kind, so the cost of a page does not grow with
how far the client has paged. Rows are read as tuples of the shown columns (no model instances),
both kinds in one ``UNION ALL`` statement on PostgreSQL, and the totals are counted on the first
page only, as a column of that statement: a later page costs two index range scans
(decisions 0053 and 0111). On PostgreSQL that statement is written by ``all_learners_sql`` rather
than compiled by the ORM, which cost three times what running it does (decision 0436).
"""

from __future__ import annotations

import base64
import binascii
import datetime
from dataclasses import dataclass
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.db import connections
from django.db.models import BooleanField, CharField, IntegerField, JSONField, Subquery, Value

from enterprise.exceptions import EnterpriseError
from enterprise.services import all_learners_sql
from enterprise.services.learner_lists import (
    linked_learners,
    older_than,
    parse_cursor,
    pending_learners,
    users_with_email,
)

LINKED, PENDING = "linked", "pending"
DEFAULT_SIZE, MAX_SIZE = 50, 500


class InvalidCursor(EnterpriseError, ValueError):
    code = "invalid_cursor"
    default_message = "This cursor is not valid: start again from the first page."


class LearnerEntry(NamedTuple):
    id: int
    created: datetime.datetime
    active: bool
    user_id: int | None
    username: str | None
    email: str
    status: str
    attributes: dict | None  # the learner fields' values (built-in and custom); None for pending learners


@dataclass(frozen=True)
class AllLearnersPage:
    items: list[LearnerEntry]
    total: int | None  # counted on the first page only (no cursor); None on the others
    next_cursor: str


def _decode(cursor: str) -> dict[str, str]:
    if not cursor:
        return {LINKED: "", PENDING: ""}
    try:
        linked, _sep, pending = base64.urlsafe_b64decode(cursor.encode("ascii")).decode("utf-8").partition("|")
    except (binascii.Error, UnicodeError, ValueError) as exc:
        raise InvalidCursor() from exc
    if not _sep:
        raise InvalidCursor()
    return {LINKED: linked, PENDING: pending}


def _encode(positions: dict[str, str]) -> str:
    return base64.urlsafe_b64encode(f"{positions[LINKED]}|{positions[PENDING]}".encode()).decode("ascii")


def _position(entry: LearnerEntry) -> str:
    """The same position as ``learner_lists.cursor_of`` gives the row's model instance."""
    return f"{entry.created.isoformat()}_{entry.id}"


class _CountOf(Subquery):
    """``COUNT(*)`` of a queryset as an uncorrelated scalar subquery: the database runs it once
    per statement (PostgreSQL: an InitPlan, an index-only scan), not once per row."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) _rows)"
    output_field = IntegerField()

    def __init__(self, queryset):
        super().__init__(queryset.order_by().values("pk"))


def _columns(kind: str) -> list:
    """The columns of a ``LearnerEntry`` for one kind of row (status last, as a constant)."""
    if kind == LINKED:
        user_model = get_user_model()
        return [
            "pk",
            "created",
            "active",
            "user_id",
            f"user__{user_model.USERNAME_FIELD}",
            f"user__{user_model.get_email_field_name()}",
            Value(LINKED, output_field=CharField()),
            "attributes",
        ]
    return [
        "pk",
        "created",
        Value(True, output_field=BooleanField()),
        Value(None, output_field=IntegerField()),
        Value(None, output_field=CharField()),
        "user_email",
        Value(PENDING, output_field=CharField()),
        Value(None, output_field=JSONField()),
    ]


def _page_query(kind: str, queryset, *, after: str, size: int, count: bool):
    """At most ``size`` rows of one kind after ``after``, newest first; with ``count``, each row
    also carries the number of rows of ``queryset`` (one more column)."""
    columns = _columns(kind) + ([_CountOf(queryset)] if count else [])
    return older_than(queryset, after).order_by("-created", "-pk").values_list(*columns)[:size]


def _read(pages: list):
    """The rows of the page queries: one ``UNION ALL`` statement where the database allows a
    limit in each part (PostgreSQL), else one statement each."""
    if len(pages) > 1 and connections[pages[0].db].features.supports_slicing_ordering_in_compound:
        return list(pages[0].union(*pages[1:], all=True))
    return [row for page in pages for row in page]


def _rows(customer, kinds: list[str], search: str, positions: dict[str, str], size: int, count: bool):
    """The rows of each kind's page: one hand-written statement on PostgreSQL (decision 0436), else
    the ORM's (one statement where the database allows a limit in each part of a union)."""
    if all_learners_sql.supported():
        term = (search or "").strip()
        return all_learners_sql.read(
            customer_id=getattr(customer, "pk", customer),
            kinds=kinds,
            search=search,
            positions={kind: parse_cursor(positions[kind]) for kind in kinds},
            size=size,
            count=count,
            user_ids=users_with_email(term) if LINKED in kinds and "@" in term else (),
        )
    readers = {LINKED: linked_learners, PENDING: pending_learners}
    return _read(
        [
            _page_query(
                kind, readers[kind](customer=customer, search=search), after=positions[kind], size=size, count=count
            )
            for kind in kinds
        ]
    )


def learners_page(
    *,
    customer,
    status: str = "",
    search: str = "",
    cursor: str = "",
    size: int | None = None,
) -> AllLearnersPage:
    """One page of the customer's learners (``customer``: an instance or its pk).

    ``status`` limits it to linked or pending ones. The first page (no ``cursor``) also gives
    the number of learners matching the status and search, counted in the page's statement.
    """
    size = max(1, min(size or DEFAULT_SIZE, MAX_SIZE))
    positions = _decode(cursor)
    kinds = [status] if status in (LINKED, PENDING) else [LINKED, PENDING]
    count = not cursor
    fetched: dict[str, list[LearnerEntry]] = {kind: [] for kind in kinds}
    totals = dict.fromkeys(kinds, 0)  # a kind with no row on the first page has none at all
    for row in _rows(customer, kinds, search, positions, size + 1, count):
        entry = LearnerEntry(*row[:8])
        fetched[entry.status].append(entry)
        if count:
            totals[entry.status] = row[8]
    total = sum(totals.values()) if count else None
    merged = sorted(
        (entry for kind in kinds for entry in fetched[kind]),
        key=lambda entry: (entry.created, entry.status == LINKED, entry.id),
        reverse=True,
    )[:size]
    has_next = False
    for kind in kinds:
        shown = [entry for entry in merged if entry.status == kind]
        if shown:
            positions[kind] = _position(shown[-1])
        if len(shown) < len(fetched[kind]):
            has_next = True
    return AllLearnersPage(merged, total, _encode(positions) if has_next else "")
