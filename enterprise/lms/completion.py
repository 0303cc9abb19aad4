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


#: Not complete, nothing read: shared by every such pair (a named tuple is immutable).
_NOT_COMPLETE = Completion(False, IN_PROGRESS)

# What a course's rule reads, decided once per course and call (``completions_for``).
_READS_CERTIFICATE, _READS_GRADE_ENDED, _READS_GRADE, _RUNNING = range(4)


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

    The result is ``determine_completion``'s for each pair; the rule of each course is chosen once
    here rather than per pair (a hot loop: a channel's first run computes 100,000 of them).
    """
    now = now or timezone.now()
    rule = rules_of(courses, now)
    # the pairs by their course's rule, in comprehensions (no per-pair call): a report asks a million pairs
    by_rule: dict[int, set[str]] = {}
    for course_id, kind in rule.items():
        by_rule.setdefault(kind, set()).add(course_id)
    wanted = keys if isinstance(keys, list | tuple | set | frozenset) else list(keys)
    chosen = {kind: {key for key in wanted if key[1] in course_ids} for kind, course_ids in by_rule.items()}
    certificate_keys = chosen.get(_READS_CERTIFICATE, set())
    running = chosen.get(_RUNNING, set())
    grade_keys = chosen.get(_READS_GRADE, set()) | chosen.get(_READS_GRADE_ENDED, set())
    result: dict[UserCourse, Completion] = dict.fromkeys(running, _NOT_COMPLETE)
    if certificate_keys:
        result.update(dict.fromkeys(certificate_keys, _NOT_COMPLETE))
        for key, found in backend.get_certificates(certificate_keys).items():
            if key in certificate_keys:
                result[key] = Completion(True, found.grade, found.issued_at, None)
    if grade_keys:
        grade = backend.get_grades(grade_keys).get
        for key in grade_keys:
            found = grade(key)
            percent = None if found is None else found.percent
            passed_at = None if found is None else found.passed_at
            passed = passed_at is not None and passed_at <= now  # "as of now": a pass dated later has not happened
            course_id = key[1]
            if rule[course_id] == _READS_GRADE_ENDED:
                result[key] = Completion(True, PASS if passed else FAIL, courses[course_id].end, percent)
            elif passed:
                result[key] = Completion(True, PASS, passed_at, percent)
            else:
                result[key] = Completion(False, IN_PROGRESS, None, percent)
    return result


# The rules by what they read, for callers that apply them to joined columns (``rules_of``).
READS_CERTIFICATE, READS_GRADE_ENDED, READS_GRADE, RUNNING = (
    _READS_CERTIFICATE,
    _READS_GRADE_ENDED,
    _READS_GRADE,
    _RUNNING,
)


def rules_of(courses: dict[str, Course], now: datetime.datetime) -> dict[str, int]:
    """The rule each course's completion follows as of ``now`` (``completions_for`` chooses by it once per course):
    ``READS_CERTIFICATE`` (instructor-paced), ``READS_GRADE`` (self-paced, no end), ``READS_GRADE_ENDED``
    (self-paced, ended: complete, "Pass" or "Fail") or ``RUNNING`` (self-paced, not ended: not complete).

    Also for a caller that reads the certificates and grades as columns of its own query (the local LMS's
    ``completion_columns``, decision 0555) and applies the rules row by row; tests check it agrees.
    """
    rules = {}
    for course_id, course in courses.items():
        if not course.self_paced:
            rules[course_id] = READS_CERTIFICATE
        elif course.end is None:
            rules[course_id] = READS_GRADE
        elif course.end <= now:
            rules[course_id] = READS_GRADE_ENDED
        else:
            rules[course_id] = RUNNING
    return rules
