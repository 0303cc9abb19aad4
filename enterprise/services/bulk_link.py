"""Linking many e-mail addresses to a customer with set-based queries.

``classify_rows`` normalises and validates every row in Python (invalid, duplicate, header).
``link_rows`` then resolves the remaining addresses chunk by chunk (``link_stream``, which
connector imports feed straight from their source): per chunk of ``MANAGE_LEARNERS_CHUNK_SIZE``
addresses one look-up of their users (``user_lookup``, by the host's index on the e-mail), one
query for the existing links of the matched users, one for the pending rows of the others, and
bulk writes. Nothing outside the current chunk is held, so memory is bounded by the chunk.
The database constraints stay the final guard: if a concurrent transaction wins a race inside a
chunk, that chunk's savepoint is rolled back and its rows are redone one by one through
the single-row services, which report the conflict.

The cost is O(rows / chunk) queries, never O(rows).
"""

from __future__ import annotations

import enum
import logging
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache

from django.contrib.auth import get_user_model
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Lower
from django.utils import timezone

from enterprise.emails import normalize_email
from enterprise.exceptions import LinkConflict
from enterprise.models import EnterpriseCustomer, EnterpriseCustomerUser, PendingEnterpriseCustomerUser
from enterprise.services.bulk_sql import AnyOf, insert_varying
from enterprise.services.csv_rows import CsvRow
from enterprise.services.linking import LinkStatus, link_user
from enterprise.services.pending import PendingStatus, add_pending_learner
from enterprise.services.user_lookup import usernames, users_by_email

logger = logging.getLogger(__name__)


class RowStatus(enum.StrEnum):
    LINKED = "linked"
    PENDING = "pending"
    ALREADY_LINKED = "already_linked"
    ALREADY_PENDING = "already_pending"
    CONFLICT = "conflict"
    NOT_A_LEARNER = "not_a_learner"
    AMBIGUOUS = "ambiguous"
    DUPLICATE = "duplicate"
    HEADER = "header"
    INVALID = "invalid"

    def label(self, *, dry_run: bool) -> str:
        preview, done = _LABELS[self]
        return preview if dry_run else done


_LABELS = {
    RowStatus.LINKED: ("will link", "linked"),
    RowStatus.PENDING: ("will be pending", "pending"),
    RowStatus.ALREADY_LINKED: ("already linked", "already linked"),
    RowStatus.ALREADY_PENDING: ("already pending", "already pending"),
    RowStatus.CONFLICT: ("conflict with another customer", "conflict with another customer"),
    RowStatus.NOT_A_LEARNER: ("not a learner of this customer", "not a learner of this customer"),
    RowStatus.AMBIGUOUS: ("ambiguous: several users", "ambiguous: several users"),
    RowStatus.DUPLICATE: ("duplicate in the file", "duplicate in the file"),
    RowStatus.HEADER: ("header", "header"),
    RowStatus.INVALID: ("invalid", "invalid"),
}
#: Statuses whose learner belongs to the customer after the submission (enrolled, notified).
MEMBER_STATUSES = frozenset({RowStatus.LINKED, RowStatus.PENDING, RowStatus.ALREADY_LINKED, RowStatus.ALREADY_PENDING})
#: Statuses the operator must look at: nothing was done for these rows.
PROBLEM_STATUSES = frozenset({RowStatus.CONFLICT, RowStatus.NOT_A_LEARNER, RowStatus.AMBIGUOUS, RowStatus.INVALID})


@dataclass(slots=True)
class RowResult:
    """What happened (or would happen, in a preview) to one row of a submission."""

    line: int
    value: str
    email: str = ""
    status: RowStatus | None = None
    message: str = ""
    user_id: int | None = None
    enrollment: str = ""
    enrollment_message: str = ""
    notified: bool = False


@dataclass(slots=True)
class LinkedRef:
    row: RowResult
    learner_id: int
    user_id: int


@dataclass(slots=True)
class PendingRef:
    row: RowResult
    pending_id: int


@dataclass
class ChunkLinks:
    """The learners of one chunk that belong to the customer now, for enrollment and notification."""

    linked: list[LinkedRef] = field(default_factory=list)
    pending: list[PendingRef] = field(default_factory=list)


def classify_rows(rows: Iterable[CsvRow]) -> list[RowResult]:
    """Normalise and validate every row; the valid, first-seen addresses are left unresolved.

    The first row is a header when its only cell holds no ``@``. A row with more than one
    non-empty cell is invalid (the file is one column).
    """
    results: list[RowResult] = []
    first_line: dict[str, int] = {}
    for index, row in enumerate(rows):
        cells = [cell for cell in row.cells if cell]
        value = ",".join(row.cells) if len(cells) > 1 else cells[0]
        result = RowResult(line=row.line, value=value)
        results.append(result)
        if len(cells) > 1:
            result.status = RowStatus.INVALID
            result.message = f"Expected one column (an e-mail address), found {len(cells)}."
            continue
        if index == 0 and "@" not in value:
            result.status = RowStatus.HEADER
            result.message = "First row without an @: read as the column header."
            continue
        email = normalize_email(value)
        error = email_error(email)
        if error:
            result.status = RowStatus.INVALID
            result.message = f"{value!r} {error}"
            continue
        result.email = value if email == value else email  # one string object when already normal
        seen = first_line.setdefault(email, row.line)
        if seen != row.line:
            result.status = RowStatus.DUPLICATE
            result.message = f"Same address as line {seen}."
    return results


MAX_EMAIL_LENGTH = PendingEnterpriseCustomerUser._meta.get_field("user_email").max_length


@lru_cache(maxsize=1024)
def _domain_ok(domain: str) -> bool:
    return domain in validate_email.domain_allowlist or validate_email.validate_domain_part(domain)


@lru_cache(maxsize=1)
def _user_part_match():
    """The compiled pattern's ``match`` (Django's is a lazy object: 2 proxy hops per call)."""
    return re.compile(validate_email.user_regex.pattern, validate_email.user_regex.flags).match


def email_error(email: str) -> str:
    """Why a normalised address is not valid, or ``""``.

    The same rules as Django's ``validate_email`` (which ``enterprise.emails.clean_email`` uses),
    with the verdict on each domain cached — a file of 100,000 rows has few domains — plus the
    254-character limit of the address columns.
    """
    if not email or "@" not in email:
        return "is not an e-mail address (no @)."
    if len(email) > MAX_EMAIL_LENGTH:
        return f"is longer than {MAX_EMAIL_LENGTH} characters."
    user_part, domain_part = email.rsplit("@", 1)
    if not _user_part_match()(user_part) or not _domain_ok(domain_part):
        return "is not a valid e-mail address."
    return ""


#: What a customer's administrator is told of an address of another customer's learner (decision 0050).
OTHER_CUSTOMER_MESSAGE = "Belongs to another customer."
#: ... and of an address several users share (their usernames are not this customer's to know).
SHARED_ADDRESS_MESSAGE = "Several users share this address: ask staff to link the right one."


def conceal_other_customers(rows: Iterable[RowResult]) -> None:
    """Take out of ``rows`` what they say of other customers and of users who are not this customer's.

    A conflict keeps its status with ``OTHER_CUSTOMER_MESSAGE``, no customer name and no user id; an
    ambiguous address loses the usernames that share it. For a customer's administrators (the API),
    who must not learn another customer's name, learners or user ids from an e-mail address; staff
    keep the detail.
    """
    for row in rows:
        if row.status == RowStatus.CONFLICT:
            row.message, row.user_id = OTHER_CUSTOMER_MESSAGE, None
        elif row.status == RowStatus.AMBIGUOUS:
            row.message, row.user_id = SHARED_ADDRESS_MESSAGE, None


class _CustomerNames:
    """Names of the other customers met in conflicts, fetched once each."""

    def __init__(self):
        self.names: dict[object, str] = {}

    def fill(self, ids: set) -> None:
        missing = ids - self.names.keys()
        if missing:
            self.names.update(EnterpriseCustomer.objects.filter(pk__in=missing).values_list("pk", "name"))

    def __getitem__(self, customer_id) -> str:
        return self.names.get(customer_id, str(customer_id))


def link_rows(
    *,
    customer: EnterpriseCustomer,
    rows: list[RowResult],
    chunk_size: int,
    on_chunk: Callable[[ChunkLinks], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> None:
    """Resolve and apply the unresolved rows of ``classify_rows`` in place (caller's transaction).

    Every resolved row gets a status and message; ``on_chunk`` receives each chunk's members
    (linked and pending learners with their ids) for enrollment and notification;
    ``progress(rows_done, rows_in_total)`` is called after each chunk.
    """
    todo = [row for row in rows if row.status is None]
    if progress and len(rows) > len(todo):
        progress(len(rows) - len(todo), len(rows))

    def chunks() -> Iterator[list[RowResult]]:
        for start in range(0, len(todo), chunk_size):
            yield todo[start : start + chunk_size]

    def after(chunk: list[RowResult], links: ChunkLinks) -> None:
        if on_chunk is not None:
            on_chunk(links)
        if progress:
            progress(len(chunk), len(rows))

    link_stream(customer=customer, chunks=chunks(), on_chunk=after)


def link_stream(
    *,
    customer: EnterpriseCustomer,
    chunks: Iterable[list[RowResult]],
    on_chunk: Callable[[list[RowResult], ChunkLinks], None] | None = None,
) -> None:
    """Resolve and apply chunks of unresolved rows one after the other (caller's transaction).

    Only one chunk is held at a time: each is looked up (its users, their links, the pending
    learners of its other addresses) and written with a fixed number of queries, then handed to
    ``on_chunk(chunk, links)`` and dropped, so memory does not grow with the number of rows.
    The addresses of a chunk must be distinct; across chunks, a repeated address is found
    already linked or pending (by this very stream).
    """
    names = _CustomerNames()
    for chunk in chunks:
        todo = [row for row in chunk if row.status is None]
        if todo:
            matches = users_by_email([row.email for row in todo], chunk_size=len(todo))
            shared = {user_id for found in matches.values() if isinstance(found, tuple) for user_id in found}
            names_of_shared = usernames(shared) if shared else {}
            links = _link_chunk(customer=customer, chunk=todo, matches=matches, names=names, usernames=names_of_shared)
        else:
            links = ChunkLinks()
        if on_chunk is not None:
            on_chunk(chunk, links)


@dataclass
class _Plan:
    links: ChunkLinks = field(default_factory=ChunkLinks)
    create: list[RowResult] = field(default_factory=list)
    relink: list[tuple[RowResult, int]] = field(default_factory=list)
    pend: list[RowResult] = field(default_factory=list)
    conflicts: list[tuple[RowResult, object, str]] = field(default_factory=list)


def _link_chunk(*, customer, chunk: list[RowResult], matches, names: _CustomerNames, usernames) -> ChunkLinks:
    plan = _Plan()
    with_user: list[RowResult] = []
    without_user: list[RowResult] = []
    for row in chunk:
        found = matches.get(row.email)
        if found is None:
            without_user.append(row)
        elif isinstance(found, tuple):
            row.status = RowStatus.AMBIGUOUS
            row.message = (
                f"{len(found)} users share this address ({', '.join(usernames.get(uid, str(uid)) for uid in found)}); "
                "link the right one by username."
            )
        else:
            row.user_id = found
            with_user.append(row)
    _plan_users(customer, with_user, plan)
    _plan_emails(customer, without_user, plan)
    names.fill({customer_id for _row, customer_id, _what in plan.conflicts})
    for row, customer_id, what in plan.conflicts:
        row.status = RowStatus.CONFLICT
        row.message = f"{what} enterprise customer {names[customer_id]!r}."
    if not (plan.create or plan.relink or plan.pend):
        return plan.links  # nothing to write (everyone already linked or pending): no savepoint
    try:
        with transaction.atomic():
            _write(customer, plan)
    except IntegrityError:
        logger.info("Bulk link of customer %s lost a race; redoing %d rows one by one", customer.pk, len(chunk))
        _write_row_by_row(customer, plan, names)
    return plan.links


def _plan_users(customer, rows: list[RowResult], plan: _Plan) -> None:
    if not rows:
        return
    existing = defaultdict(list)
    for pk, user_id, customer_id, linked in EnterpriseCustomerUser.objects.filter(
        AnyOf(F("user_id"), [row.user_id for row in rows])
    ).values_list("pk", "user_id", "customer_id", "linked"):
        existing[user_id].append((pk, customer_id, linked))
    for row in rows:
        mine = elsewhere = None
        for pk, customer_id, linked in existing.get(row.user_id, ()):
            if customer_id == customer.pk:
                mine = (pk, linked)
            elif linked:
                elsewhere = customer_id
        if mine is not None and mine[1]:
            row.status = RowStatus.ALREADY_LINKED
            plan.links.linked.append(LinkedRef(row, mine[0], row.user_id))
        elif elsewhere is not None:
            plan.conflicts.append((row, elsewhere, "Already linked to"))
        elif mine is not None:
            plan.relink.append((row, mine[0]))
        else:
            plan.create.append(row)


def _plan_emails(customer, rows: list[RowResult], plan: _Plan) -> None:
    if not rows:
        return
    existing = {
        email: (pk, customer_id)
        for pk, email, customer_id in PendingEnterpriseCustomerUser.objects.annotate(email_ci=Lower("user_email"))
        .filter(AnyOf(Lower("user_email"), [row.email for row in rows]))
        .values_list("pk", "email_ci", "customer_id")
    }
    for row in rows:
        hit = existing.get(row.email)
        if hit is None:
            plan.pend.append(row)
        elif hit[1] == customer.pk:
            row.status = RowStatus.ALREADY_PENDING
            plan.links.pending.append(PendingRef(row, hit[0]))
        else:
            plan.conflicts.append((row, hit[1], "Already pending for"))


def _write(customer, plan: _Plan) -> None:
    """Apply the plan with bulk statements; any unique violation aborts the whole chunk."""
    if plan.create:
        learner_ids = insert_varying(
            EnterpriseCustomerUser,
            field="user",
            values=[row.user_id for row in plan.create],
            constants={"customer_id": customer.pk},
        )
        for row in plan.create:
            row.status = RowStatus.LINKED
            plan.links.linked.append(LinkedRef(row, learner_ids[row.user_id], row.user_id))
    if plan.relink:
        now = timezone.now()
        EnterpriseCustomerUser.objects.filter(pk__in=[pk for _row, pk in plan.relink]).update(
            linked=True, unlinked_at=None, modified=now
        )
        for row, pk in plan.relink:
            row.status = RowStatus.LINKED
            row.message = "Linked again (was unlinked)."
            plan.links.linked.append(LinkedRef(row, pk, row.user_id))
    if plan.pend:
        pending_ids = insert_varying(
            PendingEnterpriseCustomerUser,
            field="user_email",
            values=[row.email for row in plan.pend],
            constants={"customer_id": customer.pk},
        )
        for row in plan.pend:
            row.status = RowStatus.PENDING
            plan.links.pending.append(PendingRef(row, pending_ids[row.email]))


def _write_row_by_row(customer, plan: _Plan, names: _CustomerNames) -> None:
    """The slow path after a lost race: the single-row services decide each row again."""
    # The bulk attempt may have filled statuses and references before it was rolled back.
    kept_linked = [ref for ref in plan.links.linked if ref.row.status == RowStatus.ALREADY_LINKED]
    kept_pending = [ref for ref in plan.links.pending if ref.row.status == RowStatus.ALREADY_PENDING]
    plan.links = ChunkLinks(linked=kept_linked, pending=kept_pending)
    rows = plan.create + [row for row, _pk in plan.relink]
    users = get_user_model()._default_manager.in_bulk([row.user_id for row in rows])
    for row in rows:
        row.message = ""
        try:
            result = link_user(customer=customer, user=users[row.user_id])
        except LinkConflict as exc:
            row.status = RowStatus.CONFLICT
            row.message = exc.message
            continue
        row.status = RowStatus.ALREADY_LINKED if result.status == LinkStatus.ALREADY_LINKED else RowStatus.LINKED
        if result.status == LinkStatus.RELINKED:
            row.message = "Linked again (was unlinked)."
        plan.links.linked.append(LinkedRef(row, result.learner.pk, row.user_id))
    for row in plan.pend:
        outcome = add_pending_learner(customer=customer, email=row.email)
        if outcome.status == PendingStatus.CONFLICT:
            names.fill({outcome.customer_id})
            row.status = RowStatus.CONFLICT
            row.message = f"Already pending for enterprise customer {names[outcome.customer_id]!r}."
            continue
        row.status = RowStatus.PENDING if outcome.status == PendingStatus.CREATED else RowStatus.ALREADY_PENDING
        plan.links.pending.append(PendingRef(row, outcome.pending_id))
