"""One Manage Learners submission: link learners, optionally enroll and notify them, or preview it.

The admin page, ``manage.py link_learners`` and (later) the REST API call these two functions:

- ``link_learners_from_csv``: a CSV upload of e-mail addresses;
- ``link_learner``: one e-mail address or username.

Everything happens in one transaction. A preview (``dry_run=True``) runs exactly the same code
and rolls the transaction back, so it reports what confirming would do, row by row. A file with
invalid rows is refused as a whole: its transaction is rolled back too, and nothing is applied.
Rows that conflict with another customer, or whose address several users share, are skipped and
reported; the other rows are applied (docs/decisions/0010-bulk-link-refusal-policy.md).
"""

from __future__ import annotations

import logging
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db import OperationalError, connection, transaction
from django.utils.translation import gettext as _

from enterprise.app_settings import enterprise_settings
from enterprise.emails import normalize_email
from enterprise.exceptions import EnterpriseError, LinkConflict, SubmissionBusy, UploadRefused, UserNotFound
from enterprise.lms import get_enrollment_backend
from enterprise.models import EnterpriseCustomer
from enterprise.models.enrollment import EnrollmentSource
from enterprise.services import upload_store
from enterprise.services.bulk_link import (
    PROBLEM_STATUSES,
    ChunkLinks,
    LinkedRef,
    RowResult,
    RowStatus,
    classify_rows,
    conceal_other_customers,
    link_rows,
)
from enterprise.services.csv_rows import CsvRow, check_upload_size, iter_csv_rows
from enterprise.services.enrollment import (
    EnrollmentStatus,
    EnrollmentTarget,
    enroll_chunk,
    outcome_label,
    resolve_target,
)
from enterprise.services.linking import LinkStatus, link_user
from enterprise.services.notifications import queue_notifications, require_template

if TYPE_CHECKING:
    from enterprise.services.unenrollment import UnenrollTarget
logger = logging.getLogger(__name__)

#: deadlock_detected, serialization_failure: PostgreSQL rolled the transaction back; it may be retried.
DEADLOCK_SQLSTATES = frozenset({"40P01", "40001"})


@dataclass
class SubmissionResult:
    """The outcome of a submission, or of its preview: every row, the totals, what was refused."""

    customer: EnterpriseCustomer
    rows: list[RowResult]
    dry_run: bool
    target: EnrollmentTarget | None = None
    #: An unenrollment's course or program (``unenrollment.UnenrollTarget``); None for a link submission.
    unenroll_target: UnenrollTarget | None = None
    notify: bool = False
    applied: bool = False
    refused: str = ""
    notifications: int = 0
    counts: dict[RowStatus, int] = field(default_factory=dict)
    enrollment_counts: dict[EnrollmentStatus, int] = field(default_factory=dict)

    @property
    def previewing(self) -> bool:
        """True when the rows say what *would* happen (a preview, or a refused submission)."""
        return not self.applied

    @property
    def problems(self) -> int:
        return sum(self.counts.get(status, 0) for status in PROBLEM_STATUSES)

    def summary(self) -> str:
        # an unenrollment links nobody: its rows' learner statuses only say who was found
        hidden = (
            {RowStatus.HEADER, RowStatus.ALREADY_LINKED, RowStatus.ALREADY_PENDING}
            if self.unenroll_target
            else {RowStatus.HEADER}
        )
        parts = [
            f"{count:,} {status.label(dry_run=self.previewing)}"
            for status, count in self.counts.items()
            if count and status not in hidden
        ]
        parts += [
            f"{count:,} {status.label(dry_run=self.previewing)}"
            for status, count in self.enrollment_counts.items()
            if count
        ]
        if self.notifications:
            verb = "to notify" if self.previewing else "notified"
            parts.append(f"{self.notifications:,} {verb}")
        return ", ".join(parts) or "nothing to do"

    def table(self) -> dict[str, object]:
        """What a page shows of this result: the totals and the rows (problems first), labelled
        for a preview or for what was done. The admin's Manage Learners page and the portal's."""
        previewing = self.previewing
        rows = self.rows_to_show()
        return {
            "totals": [
                (status.value, status.label(dry_run=previewing), count) for status, count in self.counts.items()
            ],
            "enrollment_totals": [
                (status.value, status.label(dry_run=previewing), count)
                for status, count in self.enrollment_counts.items()
            ],
            "shown_rows": [
                {
                    "line": row.line,
                    "value": row.value,
                    "status": row.status.value if row.status else "",
                    "label": row.status.label(dry_run=previewing) if row.status else "",
                    "message": row.message,
                    "enrollment": outcome_label(row.enrollment, dry_run=previewing),
                    "enrollment_message": row.enrollment_message,
                    "notified": row.notified,
                }
                for row in rows
            ],
            "hidden_rows": len(self.rows) - len(rows),
        }

    def rows_to_show(self, limit: int | None = None) -> list[RowResult]:
        """Problem rows first (in line order), then the others, at most ``limit``."""
        limit = enterprise_settings.MANAGE_LEARNERS_PREVIEW_ROWS if limit is None else limit
        first = [row for row in self.rows if row.status in PROBLEM_STATUSES]
        rest = [row for row in self.rows if row.status not in PROBLEM_STATUSES]
        return (first + rest)[:limit]


def link_learners_from_csv(
    *,
    customer: EnterpriseCustomer,
    file,
    dry_run: bool = False,
    course_id: str = "",
    program_id: str = "",
    mode: str = "",
    notify: bool = False,
    source: str = EnrollmentSource.MANUAL,
    started_by: str = "",
    size: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    disclose_other_customers: bool = True,
) -> SubmissionResult:
    """Link (and enroll, notify) the addresses of a CSV upload, or preview it with ``dry_run``.

    ``file`` is a binary file object or a Django ``File``; ``size`` (else ``file.size``) is checked
    against ``MANAGE_LEARNERS_MAX_UPLOAD_BYTES`` before anything is read. With
    ``disclose_other_customers=False`` (a customer's administrator asking) the rows do not name the
    other customer of a conflict, nor its user id (``bulk_link.conceal_other_customers``). Raises ``UploadRefused``
    for an oversized, non-UTF-8 or empty file, and the errors of ``resolve_target`` /
    ``require_template`` for a bad course, program, mode or missing template.
    """
    check_upload_size(size if size is not None else getattr(file, "size", None))
    target = resolve_target(course_id=course_id, program_id=program_id, mode=mode)
    if notify:
        require_template(customer=customer, target=target)
    rows = classify_rows(iter_csv_rows(file))
    if not any(row.status != RowStatus.HEADER for row in rows):
        raise UploadRefused("The file holds no e-mail address.")
    chunk_size = enterprise_settings.MANAGE_LEARNERS_CHUNK_SIZE

    def link(on_chunk):
        link_rows(customer=customer, rows=rows, chunk_size=chunk_size, on_chunk=on_chunk, progress=progress)

    result = _run(
        customer, rows, link, target=target, notify=notify, dry_run=dry_run, source=source, started_by=started_by
    )
    if not disclose_other_customers:
        conceal_other_customers(result.rows)
    return result


def link_learner(
    *,
    customer: EnterpriseCustomer,
    identifier: str,
    dry_run: bool = False,
    course_id: str = "",
    program_id: str = "",
    mode: str = "",
    notify: bool = False,
    source: str = EnrollmentSource.MANUAL,
    started_by: str = "",
    disclose_other_customers: bool = True,
) -> SubmissionResult:
    """Link one learner by e-mail address or username (and enroll, notify).

    An identifier with an ``@`` is an e-mail address: matched case-insensitively, trimmed; with no
    user it becomes a pending learner. Anything else is a username, which must exist
    (``UserNotFound`` otherwise). Conflicts and ambiguity are reported in the single row; with
    ``disclose_other_customers=False`` without naming the other customer (as ``link_learners_from_csv``).
    """
    result = _link_learner(
        customer=customer,
        identifier=identifier,
        dry_run=dry_run,
        course_id=course_id,
        program_id=program_id,
        mode=mode,
        notify=notify,
        source=source,
        started_by=started_by,
    )
    if not disclose_other_customers:
        conceal_other_customers(result.rows)
    return result


def _link_learner(
    *, customer, identifier, dry_run, course_id, program_id, mode, notify, source, started_by=""
) -> SubmissionResult:
    identifier = (identifier or "").strip()
    target = resolve_target(course_id=course_id, program_id=program_id, mode=mode)
    if notify:
        require_template(customer=customer, target=target)
    if "@" in identifier:
        rows = classify_rows([CsvRow(1, (identifier,))])

        def link(on_chunk):
            link_rows(customer=customer, rows=rows, chunk_size=1, on_chunk=on_chunk)

        return _run(
            customer, rows, link, target=target, notify=notify, dry_run=dry_run, source=source, started_by=started_by
        )
    user_model = get_user_model()
    user = user_model._default_manager.filter(**{user_model.USERNAME_FIELD: identifier}).first() if identifier else None
    if user is None:
        raise UserNotFound(f"No user with username {identifier!r}.", username=identifier)
    row = RowResult(line=1, value=identifier, email=normalize_email(getattr(user, user.get_email_field_name(), "")))
    row.user_id = user.pk

    def link_one(on_chunk):
        try:
            outcome = link_user(customer=customer, user=user)
        except LinkConflict as exc:
            row.status, row.message = RowStatus.CONFLICT, exc.message
            return
        row.status = RowStatus.ALREADY_LINKED if outcome.status == LinkStatus.ALREADY_LINKED else RowStatus.LINKED
        if outcome.status == LinkStatus.RELINKED:
            row.message = "Linked again (was unlinked)."
        on_chunk(ChunkLinks(linked=[LinkedRef(row, outcome.learner.pk, user.pk)]))

    return _run(
        customer, [row], link_one, target=target, notify=notify, dry_run=dry_run, source=source, started_by=started_by
    )


def single_outcome(result: SubmissionResult) -> tuple[str, str]:
    """``(level, text)`` saying what a one-learner submission did: level ``"error"`` (the row's
    problem), ``"warning"`` (linked, but the enrollment failed), ``"success"`` or ``"info"``
    (nothing to do). The words of the admin's Manage Learners page and of the portal."""
    row, customer = result.rows[0], result.customer
    if row.status in PROBLEM_STATUSES:
        return "error", row.message or row.status.label(dry_run=False)
    text = {
        RowStatus.LINKED: _("Linked %(who)s to %(customer)s."),
        RowStatus.ALREADY_LINKED: _("Nothing to link: %(who)s is already a learner of %(customer)s."),
        RowStatus.PENDING: _(
            "Added %(who)s as a pending learner of %(customer)s: no account has this address yet; "
            "they will be linked when they register."
        ),
        RowStatus.ALREADY_PENDING: _("Nothing to add: %(who)s is already a pending learner of %(customer)s."),
    }[row.status] % {"who": row.value, "customer": customer.name}
    if row.message:
        text = f"{text} {row.message}"
    if result.enrollment_counts or result.notifications:
        text = f"{text} ({result.summary()})"
    level = "success" if row.status in (RowStatus.LINKED, RowStatus.PENDING) else "info"
    if row.enrollment == "failed":
        level, text = "warning", f"{text} {row.enrollment_message}"
    return level, text


def preview_upload(
    *,
    customer: EnterpriseCustomer,
    upload,
    course_id: str = "",
    program_id: str = "",
    mode: str = "",
    notify: bool = False,
    disclose_other_customers: bool = True,
) -> tuple[str, SubmissionResult]:
    """Keep an uploaded CSV file for its confirmation and preview it: ``(token, preview)``.

    The first half of the Manage Learners flow of the admin page and the portal: the file is
    stored (``upload_store``) under a signed token bound to ``customer``, then previewed with
    ``dry_run``. A refused file (``EnterpriseError``: too large, not UTF-8, a bad course...) is
    deleted before the error propagates: no confirmation can come for it.
    """
    token = upload_store.save_file(upload, customer=customer, suffix=".csv")
    try:
        with upload_store.open_file(token, customer=customer) as file:
            result = link_learners_from_csv(
                customer=customer,
                file=file,
                size=upload.size,
                dry_run=True,
                course_id=course_id,
                program_id=program_id,
                mode=mode,
                notify=notify,
                disclose_other_customers=disclose_other_customers,
            )
    except EnterpriseError:
        upload_store.delete_file(token, customer=customer)
        raise
    return token, result


def confirm_upload(
    *,
    customer: EnterpriseCustomer,
    token: str,
    course_id: str = "",
    program_id: str = "",
    mode: str = "",
    notify: bool = False,
    source: str = EnrollmentSource.MANUAL,
    started_by: str = "",
    disclose_other_customers: bool = True,
) -> SubmissionResult:
    """The second half: apply the stored file of ``token`` (``UploadExpired`` once it is gone).

    The file is deleted once applied; a file refused as a whole (invalid rows) is kept, so the
    same preview can be shown again with its confirmation.
    """
    size = upload_store.file_size(token, customer=customer)
    with upload_store.open_file(token, customer=customer) as file:
        result = link_learners_from_csv(
            customer=customer,
            file=file,
            size=size,
            course_id=course_id,
            program_id=program_id,
            mode=mode,
            notify=notify,
            source=source,
            started_by=started_by,
            disclose_other_customers=disclose_other_customers,
        )
    if result.applied:
        upload_store.delete_file(token, customer=customer)
    return result


def _run(customer, rows, link, *, target, notify, dry_run, source, started_by="") -> SubmissionResult:
    """Apply ``link`` in one transaction; a deadlock or serialization failure with a concurrent
    submission rolls it back, and it is tried again from the same rows (decision 0121) up to
    ``MANAGE_LEARNERS_DEADLOCK_RETRIES`` times, then ``SubmissionBusy``."""
    pristine = [(row.email, row.status, row.message, row.user_id) for row in rows]
    retries = enterprise_settings.MANAGE_LEARNERS_DEADLOCK_RETRIES
    for attempt in range(retries + 1):
        try:
            return _run_once(
                customer,
                rows,
                link,
                target=target,
                notify=notify,
                dry_run=dry_run,
                source=source,
                started_by=started_by,
            )
        except OperationalError as exc:
            if not _lost_to_a_concurrent_transaction(exc):
                raise
            if attempt == retries or connection.in_atomic_block:  # no retry inside the caller's transaction
                raise SubmissionBusy(attempts=attempt + 1) from exc
            logger.info("Submission for customer %s deadlocked (attempt %d); trying again", customer.pk, attempt + 1)
        for row, (email, status, message, user_id) in zip(rows, pristine, strict=True):
            row.email, row.status, row.message, row.user_id = email, status, message, user_id
            row.enrollment, row.enrollment_message, row.notified = "", "", False
        time.sleep(random.uniform(0.05, 0.2) * (attempt + 1))  # noqa: S311 - jitter, not cryptography
    raise AssertionError("unreachable")


def _lost_to_a_concurrent_transaction(exc: OperationalError) -> bool:
    cause = exc.__cause__
    return (getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)) in DEADLOCK_SQLSTATES


def _run_once(customer, rows, link, *, target, notify, dry_run, source, started_by="") -> SubmissionResult:
    result = SubmissionResult(customer=customer, rows=rows, dry_run=dry_run, target=target, notify=notify)
    backend = get_enrollment_backend() if target is not None and not dry_run else None

    def on_chunk(links: ChunkLinks) -> None:
        if target is None:
            return
        newly = enroll_chunk(
            target=target, links=links, dry_run=dry_run, backend=backend, source=source, started_by=started_by
        )
        if notify:
            result.notifications += queue_notifications(customer=customer, target=target, rows=newly)

    with transaction.atomic():
        link(on_chunk)
        invalid = [row.line for row in rows if row.status == RowStatus.INVALID]
        if invalid:
            shown = ", ".join(map(str, invalid[:20])) + (" …" if len(invalid) > 20 else "")
            result.refused = (
                f"{len(invalid):,} invalid row(s) (line {shown}): nothing was applied. "
                "Correct or remove them and upload the file again."
            )
        if dry_run or result.refused:
            transaction.set_rollback(True)
    result.applied = not dry_run and not result.refused
    result.counts = _ordered_counts(Counter(row.status for row in rows), RowStatus)
    enrollments = Counter(row.enrollment for row in rows if row.enrollment)
    result.enrollment_counts = _ordered_counts(enrollments, EnrollmentStatus)
    return result


def _ordered_counts(counter: Counter, enum_type) -> dict:
    return {status: counter[status] for status in enum_type if counter.get(status)}
