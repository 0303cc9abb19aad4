"""The completion rules of the specification, one pure function shared by every LMS backend.

- Instructor-paced: complete when a certificate exists; the grade is the certificate's.
- Self-paced with an end date: complete once the end date has passed; the grade is "Pass" or
  "Fail" from the learner's grade as of now.
- Self-paced without an end date: complete once the learner passed; until then the grade is
  "In Progress".
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import NamedTuple

from django.utils import timezone

from enterprise.lms.interfaces import Certificate, CompletionBackend, Course, Grade, UserCourse

PASS = "Pass"  # noqa: S105 (a grade, not a password)
FAIL = "Fail"
IN_PROGRESS = "In Progress"


class Completion(NamedTuple):  # a named tuple: one is made per enrollment of a run (cheap, immutable)
    complete: bool
    grade: str
    completed_at: datetime.datetime | None = None
    percent: Decimal | None = None


def determine_completion(
    course: Course,
    certificate: Certificate | None,
    grade: Grade | None,
    *,
    now: datetime.datetime | None = None,
) -> Completion:
    now = now or timezone.now()
    percent = grade.percent if grade else None
    if not course.self_paced:
        if certificate is None:
            return Completion(complete=False, grade=IN_PROGRESS, percent=percent)
        return Completion(complete=True, grade=certificate.grade, completed_at=certificate.issued_at, percent=percent)
    # "As of now" in both self-paced rules: a pass dated after ``now`` has not happened yet.
    passed = grade is not None and grade.passed and grade.passed_at <= now
    if course.end is not None:
        if course.end > now:
            return Completion(complete=False, grade=IN_PROGRESS, percent=percent)
        return Completion(complete=True, grade=PASS if passed else FAIL, completed_at=course.end, percent=percent)
    if passed:
        return Completion(complete=True, grade=PASS, completed_at=grade.passed_at, percent=percent)
    return Completion(complete=False, grade=IN_PROGRESS, percent=percent)


def completions_for(
    keys: Iterable[UserCourse],
    *,
    courses: dict[str, Course],
    backend: CompletionBackend,
    now: datetime.datetime | None = None,
) -> dict[UserCourse, Completion]:
    """Completion of many (user id, course id) pairs with at most two backend calls in all.

    Pairs whose course is not in ``courses`` are left out (the catalog no longer knows it). Each
    pair is asked only for what its rule reads: a certificate for instructor-paced courses, a
    grade for self-paced ones whose end has passed or that have no end, nothing for self-paced
    courses still running (so ``percent`` is filled only where the rule read the grade).
    """
    now = now or timezone.now()
    # What each course's rule reads: a certificate (instructor-paced), a grade (self-paced, ended or
    # without end) or nothing (self-paced, still running). One pass over the keys.
    reads_certificate = {course_id for course_id, course in courses.items() if not course.self_paced}
    reads_grade = {
        course_id
        for course_id, course in courses.items()
        if course.self_paced and (course.end is None or course.end <= now)
    }
    known, certificate_keys, grade_keys = [], set(), set()
    for key in keys:
        course_id = key[1]
        if course_id in reads_certificate:
            certificate_keys.add(key)
        elif course_id in reads_grade:
            grade_keys.add(key)
        elif course_id not in courses:
            continue
        known.append(key)
    certificates = backend.get_certificates(certificate_keys) if certificate_keys else {}
    grades = backend.get_grades(grade_keys) if grade_keys else {}
    certificate, grade = certificates.get, grades.get
    return {key: determine_completion(courses[key[1]], certificate(key), grade(key), now=now) for key in known}
