"""Linked and pending learners of a customer in one list, newest first, for the REST API.

Each page reads one keyset page of each kind (the searches and indexes of ``learner_lists``) and
merges them; the cursor carries one position per kind, so the cost of a page does not grow with
how far the client has paged. Rows are read as tuples of the shown columns (no model instances),
and the totals are counted on the first page only: a later page costs two index range scans
(decisions 0053 and 0111).
"""

from __future__ import annotations

import base64
import binascii
import datetime
from dataclasses import dataclass
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.db.models import BooleanField, CharField, IntegerField, Value

from enterprise.exceptions import EnterpriseError
from enterprise.services.learner_lists import linked_learners, older_than, pending_learners

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


def _columns(kind: str):
    """The columns of a ``LearnerEntry`` (minus its status) as values of one kind of row."""
    if kind == LINKED:
        user_model = get_user_model()
        return (
            "pk",
            "created",
            "active",
            "user_id",
            f"user__{user_model.USERNAME_FIELD}",
            f"user__{user_model.get_email_field_name()}",
        )
    return (
        "pk",
        "created",
        Value(True, output_field=BooleanField()),
        Value(None, output_field=IntegerField()),
        Value(None, output_field=CharField()),
        "user_email",
    )


def _rows(kind: str, queryset, *, after: str, size: int) -> list[LearnerEntry]:
    """At most ``size`` rows of one kind after the position ``after``, newest first."""
    rows = older_than(queryset, after).order_by("-created", "-pk").values_list(*_columns(kind))[:size]
    return [LearnerEntry(*row, kind) for row in rows]


def learners_page(
    *,
    customer,
    status: str = "",
    search: str = "",
    cursor: str = "",
    size: int | None = None,
    count: bool | None = None,
) -> AllLearnersPage:
    """One page of the customer's learners (``customer``: an instance or its pk).

    ``status`` limits it to linked or pending ones; ``count`` (default: only on the first page,
    i.e. without ``cursor``) adds the number of learners matching the status and search.
    """
    size = max(1, min(size or DEFAULT_SIZE, MAX_SIZE))
    positions = _decode(cursor)
    kinds = [status] if status in (LINKED, PENDING) else [LINKED, PENDING]
    readers = {LINKED: linked_learners, PENDING: pending_learners}
    matching = {kind: readers[kind](customer=customer, search=search) for kind in kinds}
    total = sum(matching[kind].count() for kind in kinds) if (not cursor if count is None else count) else None
    fetched = {kind: _rows(kind, matching[kind], after=positions[kind], size=size + 1) for kind in kinds}
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
