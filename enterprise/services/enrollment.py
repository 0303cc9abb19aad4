"""Enrolling the learners of a Manage Learners submission into a course or a program.

``resolve_target`` validates what the operator typed against the catalog before anything is
written: a course or a program (never both), and a mode that is available — for a course, one of
its modes; for a program, a mode every course of the program offers. Errors list what is valid.

``enroll_chunk`` enrolls one chunk of learners with bulk queries: linked learners through the
enrollment backend plus their enterprise enrollments, pending learners get pending enrollments
(materialised when they register). Re-enrolling in the same mode changes nothing; enrolling
a learner who was unenrolled revives their enrollment row (``unenroll.py`` unenrolls). A purchase
import passes what each learner paid: the enrollments are inserted with it (decision 0530).
"""

from __future__ import annotations

import datetime
import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connections, router
from django.db.models import F
from django.utils import timezone

from enterprise.app_settings import enterprise_settings
from enterprise.exceptions import CourseNotFound, EnrollmentTargetError, EnterpriseError, InvalidCourseMode
from enterprise.lms import get_catalog
from enterprise.lms.interfaces import EnrollmentBackend, EnrollmentRequest
from enterprise.models import EnterpriseCourseEnrollment, PendingEnrollment
from enterprise.models.enrollment import EnrollmentSource, started_by_of
from enterprise.services.bulk_link import ChunkLinks, RowResult
from enterprise.services.bulk_sql import AnyOf, insert_rows, values_table

COURSE = "course"
PROGRAM = "program"


@dataclass(frozen=True)
class EnrollmentTarget:
    """A validated course or program with the mode to enroll in."""

    kind: str  # COURSE or PROGRAM
    target_id: str
    title: str
    mode: str
    course_ids: tuple[str, ...]
    start: datetime.datetime | None = None

    @property
    def program_id(self) -> str:
        return self.target_id if self.kind == PROGRAM else ""

    def __str__(self):
        return f"{self.kind} {self.title!r} ({self.target_id}), mode {self.mode}"


@dataclass(frozen=True, slots=True)
class Paid:
    """What a learner paid for the training (a store's order): the enrollments it makes carry it (``Purchase``)."""

    amount: Decimal
    currency: str
    purchased_at: datetime.datetime


class EnrollmentStatus(enum.StrEnum):
    ENROLLED = "enrolled"
    ALREADY_ENROLLED = "already_enrolled"
    PENDING = "pending_enrollment"
    ALREADY_PENDING = "already_pending_enrollment"
    FAILED = "failed"

    def label(self, *, dry_run: bool) -> str:
        preview, done = _LABELS[self]
        return preview if dry_run else done


_LABELS = {
    EnrollmentStatus.ENROLLED: ("will enroll", "enrolled"),
    EnrollmentStatus.ALREADY_ENROLLED: ("already enrolled", "already enrolled"),
    EnrollmentStatus.PENDING: ("will enroll at registration", "enrolled at registration"),
    EnrollmentStatus.ALREADY_PENDING: ("already enrolled at registration", "already enrolled at registration"),
    EnrollmentStatus.FAILED: ("enrollment failed", "enrollment failed"),
}


class UnenrollmentStatus(enum.StrEnum):
    """What an unenrollment did (or would do) for one learner (``unenrollment.py``)."""

    UNENROLLED = "unenrolled"
    ALREADY_UNENROLLED = "already_unenrolled"
    NOT_ENROLLED = "not_enrolled"
    PENDING_REMOVED = "pending_enrollment_removed"
    FAILED = "unenrollment_failed"

    def label(self, *, dry_run: bool) -> str:
        preview, done = _UNENROLL_LABELS[self]
        return preview if dry_run else done


_UNENROLL_LABELS = {
    UnenrollmentStatus.UNENROLLED: ("will unenroll", "unenrolled"),
    UnenrollmentStatus.ALREADY_UNENROLLED: ("already unenrolled", "already unenrolled"),
    UnenrollmentStatus.NOT_ENROLLED: ("not enrolled", "not enrolled"),
    UnenrollmentStatus.PENDING_REMOVED: ("will remove the pending enrollment", "pending enrollment removed"),
    UnenrollmentStatus.FAILED: ("unenrollment failed", "unenrollment failed"),
}


def outcome_label(value: str, *, dry_run: bool) -> str:
    """The label of a row's enrollment outcome, an ``EnrollmentStatus`` or an ``UnenrollmentStatus``."""
    if not value:
        return ""
    if value in EnrollmentStatus._value2member_map_:
        return EnrollmentStatus(value).label(dry_run=dry_run)
    return UnenrollmentStatus(value).label(dry_run=dry_run)


def _modes_text(modes: Iterable[str]) -> str:
    return ", ".join(sorted(modes)) or "none"


def resolve_target(*, course_id: str = "", program_id: str = "", mode: str = "") -> EnrollmentTarget | None:
    """Validate a course or program and a mode against the catalog; ``None`` when none was asked for.

    Raises ``EnrollmentTargetError``, ``CourseNotFound``, ``ProgramNotFound`` or
    ``InvalidCourseMode`` (whose message lists the available modes).
    """
    course_id, program_id, mode = (course_id or "").strip(), (program_id or "").strip(), (mode or "").strip()
    if course_id and program_id:
        raise EnrollmentTargetError("Fill in Course ID or Program ID, not both.")
    if not course_id and not program_id:
        if mode:
            raise EnrollmentTargetError("A Course Enrollment Mode needs a Course ID or a Program ID.")
        return None
    catalog = get_catalog()
    if course_id:
        return _course_target(catalog.get_course(course_id), mode)
    program = catalog.get_program(program_id)
    if not program.course_ids:
        raise EnrollmentTargetError(f"Program {program.title!r} has no courses to enroll in.")
    courses = catalog.get_courses(program.course_ids)
    available = _common_modes(program, courses)
    if not mode:
        raise EnrollmentTargetError(f"Choose a Course Enrollment Mode. Available modes: {_modes_text(available)}.")
    if mode not in available:
        raise InvalidCourseMode(mode, available, program_id=program.program_id)
    starts = [course.start for course in courses.values() if course.start is not None]
    return EnrollmentTarget(
        PROGRAM, program.program_id, program.title, mode, tuple(program.course_ids), min(starts, default=None)
    )


def resolve_course_targets(course_ids: Iterable[str], *, mode: str) -> dict[str, EnrollmentTarget | EnterpriseError]:
    """``resolve_target`` of many courses in one mode with one catalog read (a purchase import's SKUs): each
    id's target, or the error ``resolve_target`` would raise for it (no such course, a mode it does not offer)."""
    mode = (mode or "").strip()
    ids = list(dict.fromkeys(course_ids))
    courses = get_catalog().get_courses([course_id.strip() for course_id in ids])
    targets: dict[str, EnrollmentTarget | EnterpriseError] = {}
    for course_id in ids:
        course = courses.get(course_id.strip())
        try:
            if course is None:
                raise CourseNotFound(f"No course with id {course_id.strip()!r}.", course_id=course_id.strip())
            targets[course_id] = _course_target(course, mode)
        except EnterpriseError as exc:
            targets[course_id] = exc
    return targets


def _course_target(course, mode: str) -> EnrollmentTarget:
    if not mode:
        raise EnrollmentTargetError(f"Choose a Course Enrollment Mode. Available modes: {_modes_text(course.modes)}.")
    if mode not in course.modes:
        raise InvalidCourseMode(mode, course.modes, course_id=course.course_id)
    return EnrollmentTarget(COURSE, course.course_id, course.title, mode, (course.course_id,), course.start)


def _common_modes(program, courses: dict) -> list[str]:
    """The modes every course of the program offers (the catalog has no program-wide list)."""
    missing = [cid for cid in program.course_ids if cid not in courses]
    if missing:
        raise EnrollmentTargetError(
            f"Program {program.title!r} lists courses the catalog does not know: {', '.join(missing)}."
        )
    common: set[str] | None = None
    for course in courses.values():
        common = set(course.modes) if common is None else common & set(course.modes)
    return sorted(common or ())


def all_modes() -> list[str]:
    """Every mode an operator may choose before a course is known (``ENROLLMENT_MODES``)."""
    return list(enterprise_settings.ENROLLMENT_MODES)


def enroll_chunk(
    *,
    target: EnrollmentTarget,
    links: ChunkLinks,
    dry_run: bool,
    backend: EnrollmentBackend | None,
    source: str = EnrollmentSource.MANUAL,
    started_by: str = "",
    paid: Mapping[str, Paid] | None = None,
) -> list[RowResult]:
    """Enroll one chunk's learners; return the rows newly enrolled (whom to notify).

    ``started_by`` (``StartedBy``) says who started the enrollments; empty: the usual one of ``source``
    (``STARTED_BY_OF_SOURCE``). A revived enrollment takes the new one.

    ``paid`` (a purchase import) maps a learner's address (their row's ``email``) to what they paid: a
    new enrollment is inserted with it, an existing one is stamped with it unless it is in force and
    already carries a purchase (a second order does not replace the one that made the enrollment; a
    pending enrollment is stamped while it carries none). Without ``paid`` nothing carries a purchase.

    In a dry run the enrollment backend is not called (it may be a remote LMS that no rollback
    reaches); the enterprise and pending enrollment rows are written as usual and rolled back by
    the caller.
    """
    origin = {"source": source, "started_by": started_by_of(source, started_by)}
    newly = _enroll_linked(target, links, dry_run, backend, origin, paid)
    newly += _enroll_pending(target, links, origin, paid)
    return newly


def _revivable(model) -> bool:
    """Enterprise enrollments are unenrolled softly; enrolling again revives the row."""
    return model is EnterpriseCourseEnrollment


def _existing(model, owner_field: str, owner_ids, course_ids) -> dict:
    """(owner id, course id) → (pk, mode, unenrolled, carries a purchase) of the enrollment rows that exist."""
    rows = model.objects.filter(AnyOf(F(owner_field), owner_ids), course_id__in=course_ids)
    if not _revivable(model):
        return {
            (owner, cid): (pk, mode, False, purchased_at is not None)
            for pk, owner, cid, mode, purchased_at in rows.values_list(
                "pk", owner_field, "course_id", "mode", "purchased_at"
            )
        }
    return {
        (owner, cid): (pk, mode, unenrolled_at is not None, purchased_at is not None)
        for pk, owner, cid, mode, unenrolled_at, purchased_at in rows.values_list(
            "pk", owner_field, "course_id", "mode", "unenrolled_at", "purchased_at"
        )
    }


@dataclass
class _Writes:
    """What a chunk writes to one enrollment table: rows to insert, to change (mode, revival), to stamp."""

    paid: bool  # the rows carry purchases (their insert has the purchase columns)
    create: list[tuple] = field(default_factory=list)  # (owner id, course id[, amount, currency, purchased at])
    update: list[int] = field(default_factory=list)
    revive: list[int] = field(default_factory=list)
    stamp: list[tuple] = field(default_factory=list)  # (pk, amount, currency, purchased at)


def _plan(owner_id, course_ids, existing, target, writes: _Writes, paid: Paid | None):
    """Queue the rows to create and the rows to change (mode, revival, purchase) for one owner.

    Return (new, changed, revived) counts; a revived row (it was unenrolled) counts as new too.
    """
    new = changed = revived = 0
    purchase = (paid.amount, paid.currency, paid.purchased_at) if paid is not None else (None, "", None)
    for course_id in course_ids:
        hit = existing.get((owner_id, course_id))
        if hit is None:
            new += 1
            writes.create.append((owner_id, course_id, *purchase) if writes.paid else (owner_id, course_id))
            continue
        pk, mode, unenrolled, purchased = hit
        if paid is not None and (unenrolled or not purchased):
            writes.stamp.append((pk, *purchase))
        if unenrolled:
            new += 1
            revived += 1
            writes.update.append(pk)
            writes.revive.append(pk)
        elif mode != target.mode:
            changed += 1
            writes.update.append(pk)
    return new, changed, revived


def _apply(model, owner_field: str, writes: _Writes, target, origin: dict) -> None:
    """Insert the new rows (``bulk_sql.insert_rows``: no model instance, a few parameters per statement),
    then change the existing ones in one UPDATE each."""
    columns = [owner_field, "course_id", *(("paid_amount", "paid_currency", "purchased_at") if writes.paid else ())]
    insert_rows(
        model,
        columns=columns,
        rows=writes.create,
        constants={"mode": target.mode, "program_id": target.program_id, **origin},
        conflict="ON CONFLICT DO NOTHING",
    )
    if writes.update:
        values = {"mode": target.mode, "modified": timezone.now()}
        if _revivable(model):
            values["unenrolled_at"] = None
        model.objects.filter(pk__in=writes.update).update(**values)
    if writes.revive:  # enrolled again: whoever did it started the enrollment in force
        model.objects.filter(pk__in=writes.revive).update(started_by=origin["started_by"])
    _stamp(model, writes.stamp)


def _stamp(model, rows: list[tuple]) -> None:
    """Set the purchase (amount, currency, purchased at) of each (pk, …) row: one UPDATE from ``values_table``."""
    if not rows:
        return
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    meta = model._meta
    table = quote(meta.db_table)
    amount, currency, at, modified, pk = (
        quote(meta.get_field(name).column)
        for name in ("paid_amount", "paid_currency", "purchased_at", "modified", "id")
    )
    source, params = values_table(
        connection, [("id", "bigint"), ("amount", "numeric"), ("currency", "text"), ("at", "timestamptz")], rows
    )
    now = meta.get_field("modified").get_db_prep_save(timezone.now(), connection)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {amount} = v.amount, {currency} = v.currency, {at} = v.at, {modified} = %s "  # noqa: S608
            f"FROM {source} WHERE {table}.{pk} = v.id",  # only quoted identifiers and placeholders
            [now, *params],
        )


def _paid_of(paid: Mapping[str, Paid] | None, row: RowResult) -> Paid | None:
    return paid.get(row.email) if paid else None


def _enroll_linked(target, links: ChunkLinks, dry_run, backend, origin, paid) -> list[RowResult]:
    if not links.linked:
        return []
    model, owner = EnterpriseCourseEnrollment, "learner_id"
    existing = _existing(model, owner, [ref.learner_id for ref in links.linked], target.course_ids)
    failed = {}
    if not dry_run and backend is not None:
        outcome = backend.enroll_many(
            EnrollmentRequest(ref.user_id, course_id, target.mode)
            for ref in links.linked
            for course_id in target.course_ids
        )
        failed = outcome.failed
    writes, newly = _Writes(paid=paid is not None), []
    for ref in links.linked:
        errors = [
            f"{course_id}: {failed[(ref.user_id, course_id)]}"
            for course_id in target.course_ids
            if (ref.user_id, course_id) in failed
        ]
        course_ids = (
            [cid for cid in target.course_ids if (ref.user_id, cid) not in failed] if failed else target.course_ids
        )
        new, changed, revived = _plan(ref.learner_id, course_ids, existing, target, writes, _paid_of(paid, ref.row))
        row = ref.row
        if errors:
            row.enrollment, row.enrollment_message = EnrollmentStatus.FAILED, " ".join(errors)
        elif new or changed:
            row.enrollment = EnrollmentStatus.ENROLLED
            if revived:
                row.enrollment_message = "Enrolled again (was unenrolled)."
            elif changed:
                row.enrollment_message = f"Mode changed to {target.mode}."
        else:
            row.enrollment = EnrollmentStatus.ALREADY_ENROLLED
        if new:
            newly.append(row)
    _apply(model, owner, writes, target, origin)
    return newly


def _enroll_pending(target, links: ChunkLinks, origin, paid) -> list[RowResult]:
    if not links.pending:
        return []
    model, owner = PendingEnrollment, "pending_learner_id"
    existing = _existing(model, owner, [ref.pending_id for ref in links.pending], target.course_ids)
    writes, newly = _Writes(paid=paid is not None), []
    for ref in links.pending:
        new, changed, _revived = _plan(
            ref.pending_id, target.course_ids, existing, target, writes, _paid_of(paid, ref.row)
        )
        row = ref.row
        row.enrollment = EnrollmentStatus.PENDING if new or changed else EnrollmentStatus.ALREADY_PENDING
        if changed:
            row.enrollment_message = f"Mode changed to {target.mode}."
        if new:
            newly.append(row)
    _apply(model, owner, writes, target, origin)
    return newly
