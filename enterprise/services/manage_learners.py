"""One Manage Learners submission: link learners, optionally enroll and notify them, or preview it.

The admin page, ``manage.py link_learners`` and (later) the REST API call these two functions:

- ``link_learners_from_csv``: a CSV upload of e-mail addresses;
- ``link_learner``: one e-mail address or username.

Everything happens in one transaction. A preview (``dry_run=True``) runs exactly the same code
and rolls the transaction back, so it reports what confirming would do, row by row; a CSV
preview without an enrollment runs the same look-ups and planning but stops before the writes
(``bulk_link.link_stream(write=False)``, decision 0440). A file with
invalid rows is refused as a whole: its transaction is rolled back too, and nothing is applied.
Rows that conflict with another customer, or whose address several users share, are skipped and
reported; the other rows are applied (docs/decisions/0010-bulk-link-refusal-policy.md).
"""

from __future__ import annotations

import contextlib
import csv
import heapq
import io
import logging
import random
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from operator import attrgetter
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.core.files import File
from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils.translation import gettext as _

from enterprise.app_settings import enterprise_settings
from enterprise.emails import normalize_email
from enterprise.exceptions import EnterpriseError, LinkConflict, SubmissionBusy, UploadRefused, UserNotFound
from enterprise.lms import get_enrollment_backend
from enterprise.models import EnterpriseCustomer
from enterprise.models.enrollment import EnrollmentSource
from enterprise.services import confirm_plan, upload_store
from enterprise.services.bulk_link import (
    PROBLEM_STATUSES,
    ChunkLinks,
    LinkedRef,
    RowResult,
    RowStatus,
    classify_rows,
    conceal_other_customers,
    email_rows,
    iter_classified,
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


def _kept_rows() -> int:
    """How many rows of each kind (problems, others) a submission keeps for its page and callers."""
    return enterprise_settings.MANAGE_LEARNERS_PREVIEW_ROWS


#: Chunks of a submission read and classified ahead, in a thread, while the database links the one
#: before (``bulk_link.read_ahead``, decision 0500). 0: one thread. Off in decision 0500 (alone, the
#: thread took the GIL from the linking one); on since decision 0570, with the recording behind and the
#: helper threads running only while the linking thread waits (``bulk_overlap.Gate``).
READ_AHEAD_CHUNKS = 1
#: A submission that enrolls nobody records its done chunks (counts, page rows, report, plan) in a
#: thread of its own while the next chunk is linked (``bulk_overlap.recorded_behind``, decision 0570).
RECORD_BEHIND = True
#: Rows of a chunk written to the report by one call (``SubmissionResult.record``, decision 0585).
REPORT_SLICE_ROWS = 250
#: The report of a submission stays in memory up to this size, then goes to a temporary file.
REPORT_SPOOL_BYTES = 2 * 1024 * 1024
#: A row's fields in the report (``record``, ``read_report``), in order.
_REPORT_FIELDS = attrgetter(
    "line", "value", "email", "status", "message", "enrollment", "enrollment_message", "notified"
)
_STATUS = attrgetter("status")
_ENROLLMENT = attrgetter("enrollment")
_NOTIFIED = frozenset({"True", "1"})


@dataclass
class SubmissionResult:
    """The outcome of a submission, or of its preview: the totals, what was refused, and the rows.

    A CSV submission is recorded chunk by chunk (``record``), in memory bounded whatever the size
    of the file (decision 0415): ``rows`` keeps the first ``MANAGE_LEARNERS_PREVIEW_ROWS`` rows the
    operator must look at (``PROBLEM_STATUSES``) and as many of the others, in line order — every
    row of a small file; ``row_count`` counts them all; ``report`` (a spooled temporary file) holds
    every row, for ``reports.report_file``. A result built with its ``rows`` (unenrollment) holds them all.
    """

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
    #: Rows recorded (``record``); 0 when ``rows`` holds them all.
    row_count: int = 0
    #: A confirmation that applied its preview's plan, the learner state unchanged (decision 0545).
    from_plan: bool = False
    #: Every recorded row, raw (``REPORT_FIELDS``), for the report; None when ``rows`` holds them all.
    report: object | None = None
    invalid_lines: list[int] = field(default_factory=list)  # the first 20
    _problems: list[RowResult] = field(default_factory=list, repr=False)
    _others: list[RowResult] = field(default_factory=list, repr=False)
    _statuses: Counter = field(default_factory=Counter, repr=False)
    _outcomes: Counter = field(default_factory=Counter, repr=False)

    def start_recording(self) -> None:
        """Forget what was recorded (a new attempt) and open the report's spool."""
        self.close()
        self.report = tempfile.SpooledTemporaryFile(max_size=REPORT_SPOOL_BYTES)  # noqa: SIM115 (closed by close())
        self.rows, self._problems, self._others, self.invalid_lines = [], [], [], []
        self._statuses, self._outcomes = Counter(), Counter()
        self.row_count, self.notifications = 0, 0

    def record(self, chunk: list[RowResult]) -> None:
        """Count a done chunk, keep what a page shows of it and write all of it to the report."""
        keep = _kept_rows()
        self.row_count += len(chunk)
        statuses = self._statuses
        problems = sum(statuses[status] for status in PROBLEM_STATUSES)
        statuses.update(map(_STATUS, chunk))  # counted in C, not row by row in Python
        self._outcomes.update(filter(None, map(_ENROLLMENT, chunk)))
        # the rows are looked at only while the page wants some of them (or the first invalid lines)
        new_problems = sum(statuses[status] for status in PROBLEM_STATUSES) > problems
        wanted_problems = len(self._problems) < keep or len(self.invalid_lines) < 20
        if (new_problems and wanted_problems) or len(self._others) < keep:
            for row in chunk:
                if row.status in PROBLEM_STATUSES:
                    if row.status == RowStatus.INVALID and len(self.invalid_lines) < 20:
                        self.invalid_lines.append(row.line)
                    if len(self._problems) < keep:
                        self._problems.append(row)
                elif len(self._others) < keep:
                    self._others.append(row)
        # statuses and outcomes are ``StrEnum``s (written as their values), ``None`` as "", booleans as True/False;
        # the chunk's text encoded and written at once (through a text wrapper: an encoder call a row)
        # In slices: recorded in a helper thread (decision 0570), one C loop over a whole chunk would hold the
        # GIL for milliseconds while the linking thread, its statement done, waits for it (decision 0585).
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        for start in range(0, len(chunk), REPORT_SLICE_ROWS):
            writer.writerows(map(_REPORT_FIELDS, chunk[start : start + REPORT_SLICE_ROWS]))
        self.report.seek(0, io.SEEK_END)
        self.report.write(text.getvalue().encode())

    def finish_recording(self) -> None:
        """The kept rows in line order, the counts in the order of their statuses."""
        self.rows = list(heapq.merge(self._problems, self._others, key=lambda row: row.line))
        self._problems, self._others = [], []
        self.counts = _ordered_counts(self._statuses, RowStatus)
        self.enrollment_counts = _ordered_counts(self._outcomes, EnrollmentStatus)

    def report_rows(self):
        """Every row as ``(line, value, email, status, message, enrollment, enrollment_message,
        notified)``, statuses as their values: read back from the report's spool, or ``rows``."""
        if self.report is None:
            for row in self.rows:
                yield (
                    row.line,
                    row.value,
                    row.email,
                    row.status.value if row.status else "",
                    row.message,
                    str(row.enrollment or ""),
                    row.enrollment_message,
                    row.notified,
                )
            return
        yield from read_report(self.spooled_report())

    def spooled_report(self):
        """The binary spool of every row (UTF-8 CSV of ``report_rows``' fields), at its start."""
        self.report.seek(0)
        return self.report

    def close(self) -> None:
        if self.report is not None:
            self.report.close()
            self.report = None

    @property
    def total_rows(self) -> int:
        return self.row_count or len(self.rows)

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
            "hidden_rows": self.total_rows - len(rows),
        }

    def rows_to_show(self, limit: int | None = None) -> list[RowResult]:
        """Problem rows first (in line order), then the others, at most ``limit``."""
        limit = enterprise_settings.MANAGE_LEARNERS_PREVIEW_ROWS if limit is None else limit
        first = [row for row in self.rows if row.status in PROBLEM_STATUSES]
        rest = [row for row in self.rows if row.status not in PROBLEM_STATUSES]
        return (first + rest)[:limit]


def read_report(binary):
    """The rows of a spooled report (``SubmissionResult.spooled_report``), as ``report_rows``."""
    text = io.TextIOWrapper(binary, encoding="utf-8", newline="")
    try:
        for line, value, email, status, message, enrollment, enrollment_message, notified in csv.reader(text):
            # "1" / "" in a report spooled before decision 0500
            yield int(line), value, email, status, message, enrollment, enrollment_message, notified in _NOTIFIED
    finally:
        text.detach()


#: The statuses a row gets from reading the file alone (``iter_classified``), not from the database.
FILE_STATUSES = frozenset({RowStatus.HEADER, RowStatus.INVALID, RowStatus.DUPLICATE})
_FILE_STATUS_OF_VALUE = {status.value: status for status in FILE_STATUSES}


def iter_preclassified(binary):
    """The rows of a file as ``iter_classified`` made them, from its preview's spooled report.

    The preview read, validated and de-duplicated the same stored file (decision 0416): its rows'
    file statuses hold, the others are left unresolved for the database to decide again.
    """
    for line, value, email, status, message, *_rest in read_report(binary):
        row = RowResult(line=line, value=value, email=email)
        file_status = _FILE_STATUS_OF_VALUE.get(status)  # a dict look-up: RowStatus(value) costs 10 times more
        if file_status is not None:
            row.status, row.message = file_status, message
        yield row


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
    classified=None,
    planner: confirm_plan.Planner | None = None,
) -> SubmissionResult:
    """Link (and enroll, notify) the addresses of a CSV upload, or preview it with ``dry_run``.

    ``classified``: the binary spooled report of a preview of this very file (``confirm_upload``):
    its rows are read from it instead of being parsed and validated again. ``planner``: a preview's
    (``preview_upload``) keeps what it plans to write and the state version it saw (decision 0545).

    ``file`` is a binary file object or a Django ``File``; ``size`` (else ``file.size``) is checked
    against ``MANAGE_LEARNERS_MAX_UPLOAD_BYTES`` before anything is read. With
    ``disclose_other_customers=False`` (a customer's administrator asking) the rows do not name the
    other customer of a conflict, nor its user id (``bulk_link.conceal_other_customers``). Raises ``UploadRefused``
    for an oversized, non-UTF-8 or empty file, and the errors of ``resolve_target`` /
    ``require_template`` for a bad course, program, mode or missing template.
    """
    check_upload_size(size if size is not None else getattr(file, "size", None))
    target = resolve_target(course_id=course_id, program_id=program_id, mode=mode)

    def count():  # the bar needs the number of rows: one quick pass first
        return sum(1 for _row in iter_csv_rows(file)) if classified is None else 0

    def rows():
        if classified is not None:
            classified.seek(0)  # a new attempt reads the rows again
            return iter_preclassified(classified)
        file.seek(0)
        return iter_classified(iter_csv_rows(file))

    return _submit(
        customer,
        rows,
        target=target,
        notify=notify,
        dry_run=dry_run,
        source=source,
        started_by=started_by,
        disclose=disclose_other_customers,
        empty=UploadRefused("The file holds no e-mail address."),
        progress=progress,
        count=count,
        planner=planner,
    )


def _submit(
    customer,
    rows,
    *,
    target,
    notify,
    dry_run,
    source,
    started_by,
    disclose,
    empty,
    progress=None,
    count=None,
    planner=None,
):
    """Link ``rows()`` (called again by a retried attempt) in chunks through ``_run``: the part both
    entry points share, a file's and a list's (``empty``: the refusal when no row holds an address;
    ``count()``: the number of rows, asked only for a ``progress`` bar)."""
    if notify:
        require_template(customer=customer, target=target)
    total = count() if progress and count else 0
    chunk_size = enterprise_settings.MANAGE_LEARNERS_CHUNK_SIZE
    # A preview that enrolls nobody plans without writing (decision 0440); an enrollment's preview
    # needs the new learners' rows, so it writes them and rolls back (decision 0012).
    plan_only = dry_run and target is None

    def link(on_chunk):
        link_rows(
            customer=customer,
            rows=rows(),
            chunk_size=chunk_size,
            on_chunk=on_chunk,
            progress=progress,
            total=total,
            write=not plan_only,
            members=target is not None,  # enrolled and notified: none without a course or program
            ahead=READ_AHEAD_CHUNKS,  # the rows come from a file, a spooled report or a list: no database
            behind=RECORD_BEHIND and target is None,  # recording only: enrolling uses the database
        )

    return _run(
        customer,
        link,
        target=target,
        notify=notify,
        dry_run=dry_run,
        source=source,
        started_by=started_by,
        disclose=disclose,
        empty=empty,
        planner=planner if plan_only else None,
    )


def link_learners(
    *,
    customer: EnterpriseCustomer,
    emails: Iterable[str],
    dry_run: bool = False,
    course_id: str = "",
    program_id: str = "",
    mode: str = "",
    notify: bool = False,
    source: str = EnrollmentSource.MANUAL,
    started_by: str = "",
    disclose_other_customers: bool = True,
) -> SubmissionResult:
    """Link (and enroll, notify) a list of e-mail addresses, or preview it with ``dry_run``.

    ``link_learners_from_csv`` without the file: a row's ``line`` is the address's 1-based position
    in ``emails``, and no entry is taken for a header. At most ``MANAGE_LEARNERS_MAX_ROWS`` addresses
    (``UploadRefused`` beyond, and for a list of blank entries only).
    """
    emails = list(emails)  # read again by a retried attempt
    check_row_count(len(emails))
    return _submit(
        customer,
        lambda: iter_classified(email_rows(emails), header=False),
        target=resolve_target(course_id=course_id, program_id=program_id, mode=mode),
        notify=notify,
        dry_run=dry_run,
        source=source,
        started_by=started_by,
        disclose=disclose_other_customers,
        empty=UploadRefused("The list holds no e-mail address."),
    )


def check_row_count(count: int) -> None:
    """``UploadRefused`` for a list of more than ``MANAGE_LEARNERS_MAX_ROWS`` addresses."""
    limit = enterprise_settings.MANAGE_LEARNERS_MAX_ROWS
    if count > limit:
        raise UploadRefused(f"At most {limit:,} addresses at once ({count:,} given).", limit=limit)


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
    return _link_learner(
        customer=customer,
        identifier=identifier,
        dry_run=dry_run,
        course_id=course_id,
        program_id=program_id,
        mode=mode,
        notify=notify,
        source=source,
        started_by=started_by,
        disclose=disclose_other_customers,
    )


def _link_learner(
    *, customer, identifier, dry_run, course_id, program_id, mode, notify, source, disclose, started_by=""
) -> SubmissionResult:
    identifier = (identifier or "").strip()
    target = resolve_target(course_id=course_id, program_id=program_id, mode=mode)
    if notify:
        require_template(customer=customer, target=target)
    if "@" in identifier:

        def link(on_chunk):
            rows = classify_rows([CsvRow(1, (identifier,))])
            link_rows(customer=customer, rows=rows, chunk_size=1, on_chunk=on_chunk)

        return _run(
            customer,
            link,
            target=target,
            notify=notify,
            dry_run=dry_run,
            source=source,
            started_by=started_by,
            disclose=disclose,
        )
    user_model = get_user_model()
    user = user_model._default_manager.filter(**{user_model.USERNAME_FIELD: identifier}).first() if identifier else None
    if user is None:
        raise UserNotFound(f"No user with username {identifier!r}.", username=identifier)
    email = normalize_email(getattr(user, user.get_email_field_name(), ""))

    def link_one(on_chunk):
        row = RowResult(line=1, value=identifier, email=email, user_id=user.pk)
        try:
            outcome = link_user(customer=customer, user=user)
        except LinkConflict as exc:
            row.status, row.message = RowStatus.CONFLICT, exc.message
            on_chunk([row], ChunkLinks())
            return
        row.status = RowStatus.ALREADY_LINKED if outcome.status == LinkStatus.ALREADY_LINKED else RowStatus.LINKED
        if outcome.status == LinkStatus.RELINKED:
            row.message = "Linked again (was unlinked)."
        on_chunk([row], ChunkLinks(linked=[LinkedRef(row, outcome.learner.pk, user.pk)]))

    return _run(
        customer,
        link_one,
        target=target,
        notify=notify,
        dry_run=dry_run,
        source=source,
        started_by=started_by,
        disclose=disclose,
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
    # enrolling nobody, the preview plans without writing; its plan can then be confirmed (decision 0545)
    planner = None if (course_id or program_id or mode or notify) else confirm_plan.Planner.for_preview()
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
                planner=planner,
            )
        if not result.refused:
            # what reading the file found, for the confirmation to start from (decision 0416)
            upload_store.save_companion(token, File(result.spooled_report(), name="rows.csv"), customer=customer)
            plan = planner and planner.content(
                customer=customer,
                upload=upload_store.stored_name(token, customer=customer),
                result=result,
                disclose=disclose_other_customers,
            )
            if plan is not None:
                with plan:
                    upload_store.save_companion(token, plan, customer=customer, suffix=upload_store.PLAN)
    except EnterpriseError:
        upload_store.delete_file(token, customer=customer)
        raise
    finally:
        if planner is not None:
            planner.close()
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
    same preview can be shown again with its confirmation. The rows come from what the preview
    stored beside the file (its reading and validation, decision 0416) when it is there; only the
    database's answers are looked up again. Enrolling nobody, when the learner state has not changed
    since the preview, the preview's plan is written as it is, without a look-up (decision 0545).
    """
    size = upload_store.file_size(token, customer=customer)
    with upload_store.open_file(token, customer=customer) as file, contextlib.ExitStack() as stack:
        classified = upload_store.open_companion(token, customer=customer)
        result = None
        if classified is not None:
            stack.enter_context(classified)
            if not (course_id or program_id or mode or notify):  # what the preview planned (decision 0545)
                result = _confirm_from_plan(customer, token, classified=classified, disclose=disclose_other_customers)
        result = result or link_learners_from_csv(
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
            classified=classified,
        )
    if result.applied:
        upload_store.delete_file(token, customer=customer)
    return result


def _confirm_from_plan(customer, token, *, classified, disclose) -> SubmissionResult | None:
    """The confirmation as its preview planned it, when the learner state did not change since
    (``confirm_plan``, decision 0545): the plan's writes, and the preview's rows, counts and report
    as the result. None (nothing written) without a valid plan or when anything changed: the caller
    then runs the full path."""
    plan_file = upload_store.open_companion(token, customer=customer, suffix=upload_store.PLAN)
    if plan_file is None:
        return None
    with plan_file:
        upload = upload_store.stored_name(token, customer=customer)
        plan = confirm_plan.Plan.read(plan_file, customer=customer, upload=upload, disclose=disclose)
        if plan is None:
            return None
        try:
            with transaction.atomic():
                plan.apply(customer)
        except (confirm_plan.PlanStale, IntegrityError):
            logger.info("Manage Learners confirmation of %s: the learner state changed, planning again", upload)
            return None
        except OperationalError as exc:
            if not _lost_to_a_concurrent_transaction(exc) or connection.in_atomic_block:
                raise
            return None  # the full path retries
    summary = plan.summary()
    result = SubmissionResult(
        customer=customer,
        rows=[
            RowResult(line=line, value=value, email=email, status=_STATUS_OF_VALUE[status], message=message)
            for line, value, email, status, message in summary["rows"]
        ],
        dry_run=False,
        row_count=summary["row_count"],
        applied=True,
        from_plan=True,
    )
    result.counts = _ordered_counts(Counter({_STATUS_OF_VALUE[k]: n for k, n in summary["counts"].items()}), RowStatus)
    result.report = tempfile.SpooledTemporaryFile(max_size=REPORT_SPOOL_BYTES)  # noqa: SIM115 (closed by close())
    classified.seek(0)
    shutil.copyfileobj(classified, result.report)
    return result


_STATUS_OF_VALUE = {status.value: status for status in RowStatus}


def _run(
    customer, link, *, target, notify, dry_run, source, started_by="", disclose=True, empty=None, planner=None
) -> SubmissionResult:
    """Apply ``link`` in one transaction; a deadlock or serialization failure with a concurrent
    submission rolls it back, and it is tried again from the start (``link`` reads its rows again,
    decision 0121) up to ``MANAGE_LEARNERS_DEADLOCK_RETRIES`` times, then ``SubmissionBusy``.
    ``empty``: raised (nothing applied) when no row holds an address."""
    retries = enterprise_settings.MANAGE_LEARNERS_DEADLOCK_RETRIES
    for attempt in range(retries + 1):
        try:
            return _run_once(
                customer,
                link,
                target=target,
                notify=notify,
                dry_run=dry_run,
                source=source,
                started_by=started_by,
                disclose=disclose,
                empty=empty,
                planner=planner,
            )
        except OperationalError as exc:
            if not _lost_to_a_concurrent_transaction(exc):
                raise
            if attempt == retries or connection.in_atomic_block:  # no retry inside the caller's transaction
                raise SubmissionBusy(attempts=attempt + 1) from exc
            logger.info("Submission for customer %s deadlocked (attempt %d); trying again", customer.pk, attempt + 1)
        time.sleep(random.uniform(0.05, 0.2) * (attempt + 1))  # noqa: S311 - jitter, not cryptography
    raise AssertionError("unreachable")


def _lost_to_a_concurrent_transaction(exc: OperationalError) -> bool:
    cause = exc.__cause__
    return (getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)) in DEADLOCK_SQLSTATES


class _Empty(Exception):
    """No row holds an address: roll back, then raise the caller's error."""


def _run_once(
    customer, link, *, target, notify, dry_run, source, started_by, disclose, empty, planner=None
) -> SubmissionResult:
    result = SubmissionResult(customer=customer, rows=[], dry_run=dry_run, target=target, notify=notify)
    backend = get_enrollment_backend() if target is not None and not dry_run else None

    def on_chunk(chunk: list[RowResult], links: ChunkLinks) -> None:
        if target is not None:
            newly = enroll_chunk(
                target=target, links=links, dry_run=dry_run, backend=backend, source=source, started_by=started_by
            )
            if notify:
                result.notifications += queue_notifications(customer=customer, target=target, rows=newly)
        if not disclose:
            conceal_other_customers(chunk)
        result.record(chunk)
        if planner is not None:
            planner.record(chunk)

    result.start_recording()
    try:
        if planner is not None:
            planner.acquire()  # before the transaction: its snapshot is taken under the lock (decision 0545)
        with transaction.atomic():
            if planner is not None:
                planner.begin()
            link(on_chunk)
            if empty is not None and result.row_count == result._statuses[RowStatus.HEADER]:
                raise _Empty
            invalid = result._statuses[RowStatus.INVALID]
            if invalid:
                shown = ", ".join(map(str, result.invalid_lines)) + (" …" if invalid > 20 else "")
                result.refused = (
                    f"{invalid:,} invalid row(s) (line {shown}): nothing was applied. "
                    "Correct or remove them and upload the file again."
                )
            if dry_run or result.refused:
                transaction.set_rollback(True)
    except _Empty:
        result.close()
        raise empty from None
    except BaseException:
        result.close()
        raise
    finally:
        if planner is not None:
            planner.release()
    result.applied = not dry_run and not result.refused
    result.finish_recording()
    return result


def _ordered_counts(counter: Counter, enum_type) -> dict:
    return {status: counter[status] for status in enum_type if counter.get(status)}
