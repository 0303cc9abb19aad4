"""Learners' SAP user ids kept by hand: set, cleared and audited, one learner or a whole CSV at once.

The SAP user id is the built-in learner field ``sap_user_id`` (``enterprise.learner_fields``,
decision 0300), stored in the learner's ``attributes`` like the other learner fields. Every change
writes a ``LearnerFieldChange`` (who, when, how, old and new value) in the same transaction. A SAP
user id names one learner of a customer: a value another learner of the customer keeps is refused
(per row), as is a value given twice in one submission.

The admin page, the REST API and Manage Learners' CSV call ``set_by_email`` / ``set_for_learner``;
connector imports write the field through their own bulk merge and call ``audit_import`` first.
Queries are a fixed number per submission whatever its size (asserted in the tests).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from enterprise.emails import normalize_email
from enterprise.learner_fields import AUDITED_KEYS, SAP_USER_ID
from enterprise.models import EnterpriseCustomerUser, LearnerFieldChange, PendingEnterpriseCustomerUser
from enterprise.services.csv_rows import iter_csv_rows

MAX_LENGTH = 255
Source = LearnerFieldChange.Source


class IdStatus(enum.StrEnum):
    SET = "set"
    CLEARED = "cleared"
    UNCHANGED = "unchanged"
    NOT_A_LEARNER = "not_a_learner"
    PENDING = "pending"
    DUPLICATE = "duplicate"
    TAKEN = "taken"
    INVALID = "invalid"


ERRORS = frozenset({IdStatus.NOT_A_LEARNER, IdStatus.PENDING, IdStatus.DUPLICATE, IdStatus.TAKEN, IdStatus.INVALID})


@dataclass(slots=True)
class IdRow:
    row: int  # 1-based line of the CSV, or position in the API's list
    email: str
    value: str
    status: IdStatus | None = None
    message: str = ""
    learner_id: int | None = None
    previous: str = ""

    @property
    def error(self) -> bool:
        return self.status in ERRORS


@dataclass
class IdResult:
    rows: list[IdRow] = field(default_factory=list)
    dry_run: bool = False

    def count(self, status: IdStatus) -> int:
        return sum(1 for row in self.rows if row.status == status)

    @property
    def errors(self) -> list[IdRow]:
        return [row for row in self.rows if row.error]

    @property
    def summary(self) -> str:
        verb = "would be" if self.dry_run else "were"
        return (
            f"{self.count(IdStatus.SET)} SAP user id(s) {verb} set, {self.count(IdStatus.CLEARED)} cleared, "
            f"{self.count(IdStatus.UNCHANGED)} unchanged, {len(self.errors)} row(s) refused."
        )


def current_value(learner: EnterpriseCustomerUser) -> str:
    return str((learner.attributes or {}).get(SAP_USER_ID) or "")


def set_by_email(
    *,
    customer,
    entries: Sequence[tuple[str, str]],
    source: str,
    changed_by=None,
    dry_run: bool = False,
    first_row: int = 1,
    row_numbers: Sequence[int] | None = None,
) -> IdResult:
    """Set (or, with an empty value, clear) the SAP user id of the linked learners named by e-mail.

    ``entries``: (e-mail, SAP user id) pairs in submission order; ``first_row`` numbers the first, or
    ``row_numbers`` each (a CSV's lines).
    """
    numbers = row_numbers if row_numbers is not None else range(first_row, first_row + len(entries))
    rows = [
        IdRow(row=number, email=normalize_email(email), value=(value or "").strip())
        for number, (email, value) in zip(numbers, entries, strict=True)
    ]
    seen: dict[str, int] = {}
    for row in rows:
        if not row.email or "@" not in row.email:
            row.status, row.message = IdStatus.INVALID, f"Not an e-mail address: {row.email!r}."
        elif len(row.value) > MAX_LENGTH:
            row.status, row.message = IdStatus.INVALID, f"A SAP user id has at most {MAX_LENGTH} characters."
        elif row.email in seen:
            row.status, row.message = IdStatus.DUPLICATE, f"{row.email} is also on row {seen[row.email]}."
        else:
            seen[row.email] = row.row
    wanted = [row for row in rows if row.status is None]
    with transaction.atomic():
        learners = _learners(customer, emails=[row.email for row in wanted])
        for row in wanted:
            learner = learners.get(row.email)
            if learner is not None:
                row.learner_id = learner.pk
        missing = [row for row in wanted if row.learner_id is None]
        if missing:
            _explain_missing(customer, missing)
        _apply(
            customer, [row for row in wanted if row.learner_id], learners_by_pk(learners), source, changed_by, dry_run
        )
    return IdResult(rows=rows, dry_run=dry_run)


def set_from_csv(*, customer, file, source: str = "csv", changed_by=None, dry_run: bool = False) -> IdResult:
    """Set the SAP user ids of a CSV upload: two columns, e-mail then SAP user id (an empty id clears it); a
    first row whose first cell is no e-mail address is a header; UTF-8 with or without BOM. Raises
    ``UploadRefused`` for a file that cannot be read (naming the line); a row of another width is refused."""
    entries, lines, bad = [], [], []
    for row in iter_csv_rows(file):
        if not lines and not bad and "@" not in row.cells[0]:
            continue  # the header
        if len(row.cells) != 2:
            bad.append(IdRow(row=row.line, email=row.cells[0], value="", status=IdStatus.INVALID))
            bad[-1].message = f"Line {row.line} has {len(row.cells)} column(s): give e-mail, SAP user id."
            continue
        entries.append(row.cells)
        lines.append(row.line)
    result = set_by_email(
        customer=customer, entries=entries, source=source, changed_by=changed_by, dry_run=dry_run, row_numbers=lines
    )
    result.rows = sorted([*result.rows, *bad], key=lambda row: row.row)
    return result


def set_for_learner(
    learner: EnterpriseCustomerUser, value: str, *, source: str, changed_by=None, dry_run: bool = False
) -> IdRow:
    """Set or clear one learner's SAP user id (the admin page); the row says what happened (or would)."""
    row = IdRow(row=1, email=learner.user.email, value=(value or "").strip(), learner_id=learner.pk)
    if len(row.value) > MAX_LENGTH:
        row.status, row.message = IdStatus.INVALID, f"A SAP user id has at most {MAX_LENGTH} characters."
        return row
    with transaction.atomic():
        locked = EnterpriseCustomerUser.objects.select_for_update().only("pk", "attributes").get(pk=learner.pk)
        _apply(learner.customer, [row], {locked.pk: locked}, source, changed_by, dry_run=dry_run)
        if not dry_run:
            learner.attributes = locked.attributes
    return row


def maps_audited_fields(values: Mapping[int, Mapping[str, str]]) -> bool:
    """Whether an import's attributes (by learner id) hold an audited field (the SAP user id)."""
    return any(key in AUDITED_KEYS for attributes in values.values() for key in attributes)


def audit_import(customer, values: Mapping[int, Mapping[str, str]], *, run_id: int | None = None) -> int:
    """Record the changes an import is about to make to audited fields (``values``: attributes by learner
    id, as the import merges them). Call it just before the merge, in the same transaction. One query
    to read the stored values, one insert; none when the import does not map an audited field."""
    keyed = {pk: {k: v for k, v in attrs.items() if k in AUDITED_KEYS} for pk, attrs in values.items()}
    keyed = {pk: attrs for pk, attrs in keyed.items() if attrs}
    if not keyed:
        return 0
    stored = dict(EnterpriseCustomerUser.objects.filter(pk__in=list(keyed)).values_list("pk", "attributes"))
    changes = [
        LearnerFieldChange(
            customer_id=customer.pk,
            learner_id=pk,
            key=key,
            old_value=str((stored.get(pk) or {}).get(key) or ""),
            new_value=value or "",
            source=Source.IMPORT,
            run_id=run_id,
        )
        for pk, attrs in keyed.items()
        if pk in stored
        for key, value in attrs.items()
        if str((stored[pk] or {}).get(key) or "") != (value or "")
    ]
    LearnerFieldChange.objects.bulk_create(changes, batch_size=1000)
    return len(changes)


# Internals


def learners_by_pk(learners: Mapping[str, EnterpriseCustomerUser]) -> dict[int, EnterpriseCustomerUser]:
    return {learner.pk: learner for learner in learners.values()}


def _learners(customer, *, emails: list[str]) -> dict[str, EnterpriseCustomerUser]:
    """The customer's linked learners with these (normalised) addresses, locked, by address; one query."""
    if not emails:
        return {}
    queryset = (
        EnterpriseCustomerUser.objects.select_for_update(of=("self",))
        .filter(customer=customer, linked=True)
        .annotate(address=Lower("user__email"))
        .filter(address__in=emails)
        .only("pk", "attributes", "user_id")
    )
    return {learner.address: learner for learner in queryset}


def _explain_missing(customer, rows: list[IdRow]) -> None:
    pending = set(
        PendingEnterpriseCustomerUser.objects.filter(
            customer=customer, user_email__in=[row.email for row in rows]
        ).values_list("user_email", flat=True)
    )
    for row in rows:
        if row.email in pending:
            row.status = IdStatus.PENDING
            row.message = f"{row.email} is a pending learner (no account yet): give the SAP user id once linked."
        else:
            row.status = IdStatus.NOT_A_LEARNER
            row.message = f"{row.email} is not a linked learner of this customer."


def _apply(customer, rows: list[IdRow], learners: dict[int, EnterpriseCustomerUser], source, changed_by, dry_run):
    """Check the rows against each other and the customer's other learners, then write and audit them."""
    for row in rows:
        row.previous = current_value(learners[row.learner_id])
    given: dict[str, IdRow] = {}
    for row in rows:
        if row.value and row.value in given:
            row.status = IdStatus.DUPLICATE
            row.message = (
                f"SAP user id {row.value!r} is also given to {given[row.value].email} (row {given[row.value].row})."
            )
        elif row.value:
            given[row.value] = row
    final = {row.learner_id: row.value for row in rows if row.status is None}
    holders = _holders(customer, [value for value in given if given[value].status is None])
    for row in rows:
        if row.status is not None or not row.value:
            continue
        holder = holders.get(row.value)
        if holder is not None and holder[0] != row.learner_id and final.get(holder[0], row.value) == row.value:
            row.status = IdStatus.TAKEN
            row.message = f"SAP user id {row.value!r} is already the id of {holder[1]}."
    changed = []
    for row in rows:
        if row.status is not None:
            continue
        if row.value == row.previous:
            row.status = IdStatus.UNCHANGED
        else:
            row.status = IdStatus.SET if row.value else IdStatus.CLEARED
            changed.append(row)
    if dry_run or not changed:
        return
    now = timezone.now()
    updated = []
    for row in changed:
        learner = learners[row.learner_id]
        attributes = dict(learner.attributes or {})
        if row.value:
            attributes[SAP_USER_ID] = row.value
        else:
            attributes.pop(SAP_USER_ID, None)
        learner.attributes, learner.modified = attributes, now
        updated.append(learner)
    EnterpriseCustomerUser.objects.bulk_update(updated, ["attributes", "modified"], batch_size=1000)
    LearnerFieldChange.objects.bulk_create(
        [
            LearnerFieldChange(
                customer_id=customer.pk,
                learner_id=row.learner_id,
                key=SAP_USER_ID,
                old_value=row.previous,
                new_value=row.value,
                source=source,
                changed_by=changed_by if getattr(changed_by, "pk", None) else None,
            )
            for row in changed
        ],
        batch_size=1000,
    )


def _holders(customer, values: Iterable[str]) -> dict[str, tuple[int, str]]:
    """Which learner of the customer keeps each SAP user id: (learner id, e-mail or username); one query."""
    values = list(values)
    if not values:
        return {}
    rows = EnterpriseCustomerUser.objects.filter(customer=customer, **{f"attributes__{SAP_USER_ID}__in": values})
    return {
        str(value): (pk, email or username)
        for pk, value, email, username in rows.values_list(
            "pk", f"attributes__{SAP_USER_ID}", "user__email", "user__username"
        )
    }
