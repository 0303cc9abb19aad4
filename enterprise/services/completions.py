"""Completions reported by other services to the local LMS backend: certificates and grades.

Both are idempotent on (user, course): posting again updates the record instead of adding one,
and the database's unique constraints make that hold under concurrent posts too.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from enterprise.lms.local.models import Certificate, Course, Grade


@dataclass(frozen=True)
class CompletionRecorded:
    user_id: int
    course_id: str
    created: bool


def _upsert(model, *, user_id: int, course: Course, values: dict) -> bool:
    try:
        with transaction.atomic():
            _obj, created = model.objects.update_or_create(user_id=user_id, course=course, defaults=values)
    except IntegrityError:  # a concurrent post created it first: update that one
        # (``modified`` by hand: ``update()`` skips ``auto_now``, and channels resend from it, decision 0091)
        model.objects.filter(user_id=user_id, course=course).update(**values, modified=timezone.now())
        created = False
    return created


def record_certificate(*, user_id: int, course: Course, grade: str, issued_at: datetime.datetime) -> CompletionRecorded:
    created = _upsert(Certificate, user_id=user_id, course=course, values={"grade": grade, "issued_at": issued_at})
    return CompletionRecorded(user_id, course.course_id, created)


def record_grade(
    *, user_id: int, course: Course, percent: Decimal, passed_at: datetime.datetime | None
) -> CompletionRecorded:
    created = _upsert(Grade, user_id=user_id, course=course, values={"percent": percent, "passed_at": passed_at})
    return CompletionRecorded(user_id, course.course_id, created)


@dataclass(frozen=True)
class CompletionReport:
    """A completion reported by an import (e.g. xAPI statements) for one learner and course.

    ``passed`` False is an attempt that failed. ``percent`` (0 to 1) and ``completed_at`` are
    optional: when absent, an existing record keeps its own, a new one gets 1 (passed) or 0
    (failed) and the time of the import.
    """

    user_id: int
    course_id: str
    passed: bool
    percent: Decimal | None = None
    completed_at: datetime.datetime | None = None
    certificate_grade: str = "Pass"


@dataclass
class CompletionsRecorded:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    #: (user id, course id) of the reports written (created or updated), and of the unchanged ones
    changed_keys: set[tuple[int, str]] = field(default_factory=set)
    unchanged_keys: set[tuple[int, str]] = field(default_factory=set)
    unknown_courses: set[str] = field(default_factory=set)

    def count(self, key: tuple[int, str], *, changed: bool, created: bool) -> None:
        if not changed:
            self.unchanged += 1
            self.unchanged_keys.add(key)
            return
        self.changed_keys.add(key)
        if created:
            self.created += 1
        else:
            self.updated += 1


def _grade_values(report: CompletionReport, grade: Grade | None, now: datetime.datetime):
    """The (percent, passed_at) that ``report`` leaves on the learner's grade (``grade``: the recorded one).

    A pass without a percent keeps the recorded one (else 1); a failed attempt never takes back a pass,
    and without a percent keeps the recorded one (else 0)."""
    recorded_percent = grade.percent if grade is not None else None
    if report.passed:
        percent = report.percent if report.percent is not None else recorded_percent
        passed_at = report.completed_at or (grade.passed_at if grade is not None else None) or now
        return (Decimal(1) if percent is None else percent), passed_at
    if grade is not None and grade.passed_at is not None:
        return grade.percent, grade.passed_at  # a pass is never taken back
    percent = report.percent if report.percent is not None else recorded_percent
    return (Decimal(0) if percent is None else percent), None


def _grade_written(report, grade: Grade | None, *, user_id: int, course: Course, now) -> Grade | None:
    """The grade to write for ``report`` (a new one, or ``grade`` changed); None when ``grade`` already says it."""
    percent, passed_at = _grade_values(report, grade, now)
    if grade is None:
        return Grade(user_id=user_id, course=course, percent=percent, passed_at=passed_at)
    if Decimal(grade.percent) == Decimal(percent) and grade.passed_at == passed_at:
        return None
    grade.percent, grade.passed_at, grade.modified = percent, passed_at, now
    return grade


def _certificate_written(
    report, certificate: Certificate | None, *, user_id: int, course: Course, now
) -> Certificate | None:
    """The certificate a passed ``report`` writes (a new one, or ``certificate`` changed); None when the
    recorded one already says it."""
    issued_at = report.completed_at or (certificate.issued_at if certificate is not None else None) or now
    if certificate is None:
        return Certificate(user_id=user_id, course=course, grade=report.certificate_grade, issued_at=issued_at)
    if certificate.grade == report.certificate_grade and certificate.issued_at == issued_at:
        return None
    certificate.grade, certificate.issued_at = report.certificate_grade, issued_at
    return certificate


def record_completions(
    *, reports: Sequence[CompletionReport], now: datetime.datetime | None = None, batch_size: int = 1000
) -> CompletionsRecorded:
    """Write many reported completions as grades and certificates, set-based (decision 0072).

    One report per (user, course) is expected (the last one wins otherwise). A passed report
    writes a passing grade and a certificate (the completion rules read one or the other, by the
    course's pacing); a failed one writes a grade that is not passed, but never takes back a
    pass already recorded (the best attempt counts) nor removes a certificate. A report that
    changes nothing writes nothing, so importing the same data twice leaves every row as it was.
    Reports for courses the local catalog does not know are left out and listed.
    A bounded number of queries: courses, grades and certificates read once each, then bulk writes.
    """
    now = now or timezone.now()
    latest: dict[tuple[int, str], CompletionReport] = {}
    for report in reports:
        latest[(report.user_id, report.course_id)] = report
    result = CompletionsRecorded()
    if not latest:
        return result
    course_ids = {course_id for _user_id, course_id in latest}
    courses = {
        course.course_id: course for course in Course.objects.filter(course_id__in=course_ids).only("pk", "course_id")
    }
    result.unknown_courses = course_ids - set(courses)
    latest = {key: report for key, report in latest.items() if key[1] in courses}
    user_ids = {user_id for user_id, _course_id in latest}
    pks = [course.pk for course in courses.values()]
    by_pk = {course.pk: course.course_id for course in courses.values()}
    grades = {
        (grade.user_id, by_pk[grade.course_id]): grade
        for grade in Grade.objects.filter(user_id__in=user_ids, course_id__in=pks)
    }
    certificates = {
        (certificate.user_id, by_pk[certificate.course_id]): certificate
        for certificate in Certificate.objects.filter(user_id__in=user_ids, course_id__in=pks)
    }
    new_grades, changed_grades, new_certificates, changed_certificates = [], [], [], []
    for key, report in latest.items():
        user_id, course = key[0], courses[key[1]]
        grade = _grade_written(report, grades.get(key), user_id=user_id, course=course, now=now)
        if grade is not None:
            (changed_grades if key in grades else new_grades).append(grade)
        certificate = None
        if report.passed:
            certificate = _certificate_written(report, certificates.get(key), user_id=user_id, course=course, now=now)
            if certificate is not None:
                (changed_certificates if key in certificates else new_certificates).append(certificate)
        result.count(key, changed=grade is not None or certificate is not None, created=key not in grades)
    with transaction.atomic():
        Grade.objects.bulk_create(new_grades, batch_size=batch_size)
        Grade.objects.bulk_update(changed_grades, ["percent", "passed_at", "modified"], batch_size=batch_size)
        Certificate.objects.bulk_create(new_certificates, batch_size=batch_size)
        Certificate.objects.bulk_update(changed_certificates, ["grade", "issued_at"], batch_size=batch_size)
    return result
