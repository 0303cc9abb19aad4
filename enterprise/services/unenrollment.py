"""Unenrolling learners of a customer from a course or a program, set-based, with per-row results.

Callers: the Manage Learners page (the learners of a submission, or rows selected in the list),
the REST API (``learners/unenroll``), ``manage.py unenroll_learners`` and the enrollment admin.

An enterprise enrollment is unenrolled softly: the row stays with ``unenrolled_at`` set, so the
channels can tell their remote systems (LearningStudio sends a "Dropped User" membership once)
and the unique (learner, course) row is revived by a later enrollment. The host LMS enrollment is
deactivated through the enrollment backend's ``unenroll_many``; a pair the LMS refuses stays
enrolled here and its row reports why. A pending learner's pending enrollments are deleted.

The cost is a fixed number of queries per submission: the users of the addresses (one pass), the
customer's learners and pending learners, their enrollment rows, one update and one delete. A
preview (``dry_run``) runs the same code in a transaction that is rolled back and does not call
the LMS (no rollback reaches a remote LMS).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from enterprise.emails import normalize_email
from enterprise.exceptions import EnrollmentTargetError, EnterpriseError, UnenrollmentFailed, UploadRefused
from enterprise.lms import get_catalog, get_enrollment_backend
from enterprise.lms.interfaces import EnrollmentBackend
from enterprise.models import (
    EnterpriseCourseEnrollment,
    EnterpriseCustomer,
    EnterpriseCustomerUser,
    PendingEnrollment,
    PendingEnterpriseCustomerUser,
)
from enterprise.services import upload_store
from enterprise.services.bulk_link import (
    PROBLEM_STATUSES,
    ChunkLinks,
    LinkedRef,
    PendingRef,
    RowResult,
    RowStatus,
    classify_rows,
    email_rows,
)
from enterprise.services.csv_rows import CsvRow, check_upload_size, iter_csv_rows
from enterprise.services.enrollment import COURSE, PROGRAM, UnenrollmentStatus
from enterprise.services.manage_learners import SubmissionResult, check_row_count
from enterprise.services.user_lookup import users_by_email


@dataclass(frozen=True)
class UnenrollTarget:
    """The course, or the courses of a program, to unenroll from."""

    kind: str  # COURSE or PROGRAM
    target_id: str
    title: str
    course_ids: tuple[str, ...]

    def __str__(self):
        if self.kind == COURSE:
            return f"course {self.target_id}"
        return f"program {self.title!r} ({self.target_id})"


def resolve_unenroll_target(*, course_id: str = "", program_id: str = "") -> UnenrollTarget:
    """A course id (taken as given: a course gone from the catalog can still be left) or a program.

    Raises ``EnrollmentTargetError`` when neither or both are given, ``ProgramNotFound`` for an
    unknown program.
    """
    course_id, program_id = (course_id or "").strip(), (program_id or "").strip()
    if course_id and program_id:
        raise EnrollmentTargetError("Fill in Course ID or Program ID, not both.")
    if course_id:
        return UnenrollTarget(COURSE, course_id, course_id, (course_id,))
    if not program_id:
        raise EnrollmentTargetError("Give the Course ID or the Program ID to unenroll from.")
    program = get_catalog().get_program(program_id)
    if not program.course_ids:
        raise EnrollmentTargetError(f"Program {program.title!r} has no courses.")
    return UnenrollTarget(PROGRAM, program.program_id, program.title, tuple(program.course_ids))


# The core: one chunk of learners and pending learners


def unenroll_chunk(
    *, course_ids: Iterable[str], links: ChunkLinks, dry_run: bool, backend: EnrollmentBackend | None
) -> None:
    """Unenroll the learners of ``links`` from ``course_ids``; set each row's ``enrollment`` outcome."""
    course_ids = tuple(dict.fromkeys(course_ids))
    _unenroll_linked(course_ids, links.linked, dry_run, backend)
    _remove_pending(course_ids, links.pending)


def _unenroll_linked(course_ids, refs: list[LinkedRef], dry_run: bool, backend) -> None:
    if not refs:
        return
    rows = EnterpriseCourseEnrollment.objects.filter(
        learner_id__in=[ref.learner_id for ref in refs], course_id__in=course_ids
    ).values_list("pk", "learner_id", "course_id", "unenrolled_at")
    existing = {(learner_id, course_id): (pk, unenrolled_at) for pk, learner_id, course_id, unenrolled_at in rows}
    active = [
        (ref, course_id)
        for ref in refs
        for course_id in course_ids
        if (hit := existing.get((ref.learner_id, course_id))) is not None and hit[1] is None
    ]
    failed = {}
    if active and not dry_run and backend is not None:
        failed = backend.unenroll_many((ref.user_id, course_id) for ref, course_id in active).failed
    to_unenroll = [
        existing[(ref.learner_id, course_id)][0] for ref, course_id in active if (ref.user_id, course_id) not in failed
    ]
    if to_unenroll:
        now = timezone.now()
        EnterpriseCourseEnrollment.objects.filter(pk__in=to_unenroll).update(unenrolled_at=now, modified=now)
    for ref in refs:
        mine = [existing.get((ref.learner_id, course_id)) for course_id in course_ids]
        errors = [
            f"{course_id}: {failed[(ref.user_id, course_id)]}"
            for course_id in course_ids
            if (ref.user_id, course_id) in failed
        ]
        row = ref.row
        if errors:
            row.enrollment, row.enrollment_message = UnenrollmentStatus.FAILED, " ".join(errors)
        elif any(hit is not None and hit[1] is None for hit in mine):
            row.enrollment = UnenrollmentStatus.UNENROLLED
        elif any(hit is not None for hit in mine):
            row.enrollment = UnenrollmentStatus.ALREADY_UNENROLLED
        else:
            row.enrollment = UnenrollmentStatus.NOT_ENROLLED


def _remove_pending(course_ids, refs: list[PendingRef]) -> None:
    if not refs:
        return
    queryset = PendingEnrollment.objects.filter(
        pending_learner_id__in=[ref.pending_id for ref in refs], course_id__in=course_ids
    )
    holders = set(queryset.values_list("pending_learner_id", flat=True))
    queryset.delete()
    for ref in refs:
        has = ref.pending_id in holders
        ref.row.enrollment = UnenrollmentStatus.PENDING_REMOVED if has else UnenrollmentStatus.NOT_ENROLLED


# Finding the learners of rows (nobody is linked by an unenrollment)


def _members(customer: EnterpriseCustomer, rows: list[RowResult]) -> ChunkLinks:
    """The customer's learners (linked) and pending learners of the unresolved rows; others are reported."""
    todo = [row for row in rows if row.status is None]
    matches = users_by_email([row.email for row in todo])
    user_ids = {uid for found in matches.values() for uid in (found if isinstance(found, tuple) else (found,))}
    learners = dict(
        EnterpriseCustomerUser.objects.filter(customer=customer, linked=True, user_id__in=user_ids).values_list(
            "user_id", "pk"
        )
    )
    pending = dict(
        PendingEnterpriseCustomerUser.objects.filter(
            customer=customer, user_email__in=[row.email for row in todo]
        ).values_list("user_email", "pk")
    )
    links = ChunkLinks()
    for row in todo:
        found = matches.get(row.email)
        ids = found if isinstance(found, tuple) else (found,) if found is not None else ()
        mine = [uid for uid in ids if uid in learners]
        if len(mine) > 1:  # cannot happen for one customer's links unless several users share the address
            row.status, row.message = RowStatus.AMBIGUOUS, "Several learners share this address; use their username."
        elif mine:
            row.status, row.user_id = RowStatus.ALREADY_LINKED, mine[0]
            links.linked.append(LinkedRef(row, learners[mine[0]], mine[0]))
        elif row.email in pending:
            row.status = RowStatus.ALREADY_PENDING
            links.pending.append(PendingRef(row, pending[row.email]))
        else:
            row.status, row.message = RowStatus.NOT_A_LEARNER, "Not a learner of this customer."
    return links


def _run(customer, rows: list[RowResult], links_of, *, target: UnenrollTarget, dry_run: bool) -> SubmissionResult:
    result = SubmissionResult(customer=customer, rows=rows, dry_run=dry_run, unenroll_target=target)
    backend = None if dry_run else get_enrollment_backend()
    with transaction.atomic():
        links = links_of()
        invalid = [row.line for row in rows if row.status == RowStatus.INVALID]
        if invalid:
            shown = ", ".join(map(str, invalid[:20])) + (" …" if len(invalid) > 20 else "")
            result.refused = (
                f"{len(invalid):,} invalid row(s) (line {shown}): nothing was applied. "
                "Correct or remove them and upload the file again."
            )
        else:
            unenroll_chunk(course_ids=target.course_ids, links=links, dry_run=dry_run, backend=backend)
        if dry_run or result.refused:
            transaction.set_rollback(True)
    result.applied = not dry_run and not result.refused
    statuses = Counter(row.status for row in rows)
    result.counts = {status: statuses[status] for status in RowStatus if statuses.get(status)}
    outcomes = Counter(row.enrollment for row in rows if row.enrollment)
    result.enrollment_counts = {status: outcomes[status] for status in UnenrollmentStatus if outcomes.get(status)}
    return result


# Entry points


def unenroll_learners_from_csv(
    *,
    customer: EnterpriseCustomer,
    file,
    course_id: str = "",
    program_id: str = "",
    dry_run: bool = False,
    size: int | None = None,
) -> SubmissionResult:
    """Unenroll the addresses of a one-column CSV (header optional) from a course or program.

    A file with invalid rows is refused whole; addresses that are no learner of ``customer`` are
    reported (``not_a_learner``), the others applied. Raises ``UploadRefused`` and the errors of
    ``resolve_unenroll_target``.
    """
    check_upload_size(size if size is not None else getattr(file, "size", None))
    target = resolve_unenroll_target(course_id=course_id, program_id=program_id)
    rows = classify_rows(iter_csv_rows(file))
    if not any(row.status != RowStatus.HEADER for row in rows):
        raise UploadRefused("The file holds no e-mail address.")
    return _run(customer, rows, lambda: _members(customer, rows), target=target, dry_run=dry_run)


def unenroll_learners(
    *,
    customer: EnterpriseCustomer,
    emails: Iterable[str],
    course_id: str = "",
    program_id: str = "",
    dry_run: bool = False,
) -> SubmissionResult:
    """``unenroll_learners_from_csv`` for a list of addresses: a row's ``line`` is its 1-based position."""
    emails = list(emails)
    check_row_count(len(emails))
    target = resolve_unenroll_target(course_id=course_id, program_id=program_id)
    rows = classify_rows(email_rows(emails), header=False)
    if not rows:
        raise UploadRefused("The list holds no e-mail address.")
    return _run(customer, rows, lambda: _members(customer, rows), target=target, dry_run=dry_run)


def unenroll_learner(
    *,
    customer: EnterpriseCustomer,
    identifier: str,
    course_id: str = "",
    program_id: str = "",
    dry_run: bool = False,
) -> SubmissionResult:
    """Unenroll one learner, by e-mail address or username, from a course or program."""
    identifier = (identifier or "").strip()
    target = resolve_unenroll_target(course_id=course_id, program_id=program_id)
    if "@" in identifier:
        rows = classify_rows([CsvRow(1, (identifier,))])
        return _run(customer, rows, lambda: _members(customer, rows), target=target, dry_run=dry_run)
    user_model = get_user_model()
    user_id = (
        user_model._default_manager.filter(**{user_model.USERNAME_FIELD: identifier})
        .values_list("pk", flat=True)
        .first()
    )
    rows = [RowResult(line=1, value=identifier, user_id=user_id)]
    return _run(customer, rows, lambda: _by_user_ids(customer, rows), target=target, dry_run=dry_run)


def unenroll_users(
    *,
    customer: EnterpriseCustomer,
    user_ids: Iterable[int],
    course_id: str = "",
    program_id: str = "",
    dry_run: bool = False,
) -> SubmissionResult:
    """Unenroll learners chosen by user id (rows selected in the Manage Learners list)."""
    target = resolve_unenroll_target(course_id=course_id, program_id=program_id)
    ids = list(dict.fromkeys(int(uid) for uid in user_ids))
    rows = [RowResult(line=index, value=str(uid), user_id=uid) for index, uid in enumerate(ids, start=1)]
    return _run(customer, rows, lambda: _by_user_ids(customer, rows), target=target, dry_run=dry_run)


def preview_unenroll_upload(
    *, customer: EnterpriseCustomer, upload, course_id: str = "", program_id: str = ""
) -> tuple[str, SubmissionResult]:
    """Keep an uploaded CSV file for its confirmation and preview its unenrollment: ``(token, preview)``.

    The unenrollment's half of the Manage Learners flow of the admin page and the portal (as
    ``manage_learners.preview_upload`` for linking): a refused file is deleted before the error
    propagates.
    """
    token = upload_store.save_file(upload, customer=customer, suffix=".csv")
    try:
        with upload_store.open_file(token, customer=customer) as file:
            result = unenroll_learners_from_csv(
                customer=customer,
                file=file,
                size=upload.size,
                dry_run=True,
                course_id=course_id,
                program_id=program_id,
            )
    except EnterpriseError:
        upload_store.delete_file(token, customer=customer)
        raise
    return token, result


def confirm_unenroll_upload(
    *, customer: EnterpriseCustomer, token: str, course_id: str = "", program_id: str = ""
) -> SubmissionResult:
    """Apply the stored file of ``token`` (``UploadExpired`` once it is gone); deleted once applied."""
    size = upload_store.file_size(token, customer=customer)
    with upload_store.open_file(token, customer=customer) as file:
        result = unenroll_learners_from_csv(
            customer=customer, file=file, size=size, course_id=course_id, program_id=program_id
        )
    if result.applied:
        upload_store.delete_file(token, customer=customer)
    return result


#: Failed rows named in the message of an unenrollment (the report lists them all).
FAILED_ROWS_NAMED = 5


def unenroll_outcome(result: SubmissionResult, *, single: bool = False) -> tuple[str, str]:
    """``(level, text)`` of an applied unenrollment: ``"error"`` (``single``: the one row's problem),
    ``"warning"`` (the LMS refused some, the first named) or ``"success"``. The words of the
    admin's Manage Learners page and of the portal."""
    if single:
        row = result.rows[0]
        if row.status in PROBLEM_STATUSES:
            return "error", row.message or row.status.label(dry_run=False)
    text = _("%(target)s: %(summary)s.") % {"target": str(result.unenroll_target), "summary": result.summary()}
    failed = [row for row in result.rows if row.enrollment == UnenrollmentStatus.FAILED]
    if failed:
        details = "; ".join(f"{row.value}: {row.enrollment_message}" for row in failed[:FAILED_ROWS_NAMED])
        return "warning", f"{text} {details}"
    return "success", text


def _by_user_ids(customer, rows: list[RowResult]) -> ChunkLinks:
    learners = {
        user_id: (pk, email)
        for user_id, pk, email in EnterpriseCustomerUser.objects.filter(
            customer=customer, linked=True, user_id__in=[row.user_id for row in rows if row.user_id]
        ).values_list("user_id", "pk", "user__email")
    }
    links = ChunkLinks()
    for row in rows:
        hit = learners.get(row.user_id)
        if hit is None:
            row.status, row.message = RowStatus.NOT_A_LEARNER, "Not a learner of this customer."
            continue
        row.status, row.email = RowStatus.ALREADY_LINKED, normalize_email(hit[1] or "")
        links.linked.append(LinkedRef(row, hit[0], row.user_id))
    return links


def unenroll_enrollments(*, enrollment_ids: Iterable[int], backend: EnrollmentBackend | None = None) -> int:
    """Unenroll enterprise enrollments chosen by id (the enrollment admin); return how many were in force.

    The LMS enrollment is deactivated first; pairs the LMS refuses stay enrolled (the error is
    raised after the others are applied, so the operator sees it).
    """
    rows = list(
        EnterpriseCourseEnrollment.objects.enrolled()
        .filter(pk__in=list(enrollment_ids))
        .values_list("pk", "learner__user_id", "course_id")
    )
    if not rows:
        return 0
    backend = backend or get_enrollment_backend()
    failed = backend.unenroll_many((user_id, course_id) for _pk, user_id, course_id in rows).failed
    done = [pk for pk, user_id, course_id in rows if (user_id, course_id) not in failed]
    now = timezone.now()
    EnterpriseCourseEnrollment.objects.filter(pk__in=done).update(unenrolled_at=now, modified=now)
    if failed:
        (user_id, course_id), error = next(iter(failed.items()))
        raise UnenrollmentFailed(
            f"{len(failed)} enrollment(s) could not be unenrolled in the LMS (user {user_id} in {course_id}: {error})."
        )
    return len(done)
