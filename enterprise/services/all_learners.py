"""Linked and pending learners of a customer in one list, newest first, for the REST API.

Each page reads one page of each kind through ``learner_lists`` (keyset pagination) and merges
them; the cursor carries one position per kind, so the cost of a page does not grow with how far
the client has paged. Searches mean what they mean in the admin lists.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from enterprise.exceptions import EnterpriseError
from enterprise.models import EnterpriseCustomer
from enterprise.services.learner_lists import cursor_of, linked_learners_page, pending_learners_page

LINKED, PENDING = "linked", "pending"
DEFAULT_SIZE, MAX_SIZE = 50, 500


class InvalidCursor(EnterpriseError, ValueError):
    code = "invalid_cursor"
    default_message = "This cursor is not valid: start again from the first page."


@dataclass(frozen=True)
class LearnerEntry:
    id: int
    status: str
    email: str
    user_id: int | None
    username: str | None
    active: bool
    created: object


@dataclass(frozen=True)
class AllLearnersPage:
    items: list[LearnerEntry]
    total: int
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


def _entry(kind: str, obj) -> LearnerEntry:
    if kind == LINKED:
        user = obj.user
        return LearnerEntry(
            obj.pk,
            LINKED,
            getattr(user, user.get_email_field_name(), ""),
            user.pk,
            user.get_username(),
            obj.active,
            obj.created,
        )
    return LearnerEntry(obj.pk, PENDING, obj.user_email, None, None, True, obj.created)


def learners_page(
    *, customer: EnterpriseCustomer, status: str = "", search: str = "", cursor: str = "", size: int | None = None
) -> AllLearnersPage:
    """One page of the customer's learners; ``status`` limits it to linked or pending ones."""
    size = max(1, min(size or DEFAULT_SIZE, MAX_SIZE))
    positions = _decode(cursor)
    readers = {LINKED: linked_learners_page, PENDING: pending_learners_page}
    kinds = [status] if status in readers else [LINKED, PENDING]
    fetched, more, total = {}, {}, 0
    for kind in kinds:
        page = readers[kind](customer=customer, search=search, after=positions[kind], size=size)
        fetched[kind] = page.items
        more[kind] = bool(page.next_cursor)
        total += page.total
    merged = sorted(
        ((kind, obj) for kind in kinds for obj in fetched[kind]),
        key=lambda pair: (pair[1].created, pair[0] == LINKED, pair[1].pk),
        reverse=True,
    )[:size]
    has_next = False
    for kind in kinds:
        shown = [obj for k, obj in merged if k == kind]
        if shown:
            positions[kind] = cursor_of(shown[-1])
        if len(shown) < len(fetched[kind]) or more[kind]:
            has_next = True
    return AllLearnersPage([_entry(kind, obj) for kind, obj in merged], total, _encode(positions) if has_next else "")
