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
        course = courses[key[1]]
        changed = False
        grade = grades.get(key)
        percent = report.percent
        if report.passed:
            if percent is None:
                percent = grade.percent if grade is not None else Decimal(1)
            passed_at = report.completed_at or (grade.passed_at if grade is not None else None) or now
        else:
            if grade is not None and grade.passed_at is not None:
                percent, passed_at = grade.percent, grade.passed_at  # a pass is never taken back
            else:
                percent = percent if percent is not None else (grade.percent if grade is not None else Decimal(0))
                passed_at = None
        if grade is None:
            new_grades.append(Grade(user_id=key[0], course=course, percent=percent, passed_at=passed_at))
            changed = True
        elif Decimal(grade.percent) != Decimal(percent) or grade.passed_at != passed_at:
            grade.percent, grade.passed_at, grade.modified = percent, passed_at, now
            changed_grades.append(grade)
            changed = True
        if report.passed:
            certificate = certificates.get(key)
            issued_at = report.completed_at or (certificate.issued_at if certificate is not None else None) or now
            if certificate is None:
                new_certificates.append(
                    Certificate(user_id=key[0], course=course, grade=report.certificate_grade, issued_at=issued_at)
                )
                changed = True
            elif certificate.grade != report.certificate_grade or certificate.issued_at != issued_at:
                certificate.grade, certificate.issued_at = report.certificate_grade, issued_at
                changed_certificates.append(certificate)
                changed = True
        created = key not in grades
        if not changed:
            result.unchanged += 1
            result.unchanged_keys.add(key)
        else:
            result.changed_keys.add(key)
            if created:
                result.created += 1
            else:
                result.updated += 1
    with transaction.atomic():
        Grade.objects.bulk_create(new_grades, batch_size=batch_size)
        Grade.objects.bulk_update(changed_grades, ["percent", "passed_at", "modified"], batch_size=batch_size)
        Certificate.objects.bulk_create(new_certificates, batch_size=batch_size)
        Certificate.objects.bulk_update(changed_certificates, ["grade", "issued_at"], batch_size=batch_size)
    return result
