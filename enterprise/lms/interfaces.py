"""What this app needs from a host LMS, as abstract classes and plain data.

Implementations: ``enterprise.lms.local`` (the embedded default, its own tables) and, later,
``enterprise.lms.openedx`` (HTTP clients). Every method has a bulk form where callers work on
many rows, so an implementation can answer in one query or one paginated request.
Constructors take keyword arguments only; ``api_user`` names whose identity remote calls use.
"""

from __future__ import annotations

import abc
import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

UserCourse = tuple[int, str]

INSTRUCTOR_PACED = "instructor"
SELF_PACED = "self"


@dataclass(frozen=True)
class Skill:
    """A skill a course teaches; a learner achieves it when the course is complete (DESIGN §4)."""

    name: str
    level: str = ""  # e.g. "Beginner"; empty when the catalog gives none


@dataclass(frozen=True)
class Course:
    course_id: str
    title: str
    pacing: str  # INSTRUCTOR_PACED or SELF_PACED
    start: datetime.datetime | None = None
    end: datetime.datetime | None = None
    modes: tuple[str, ...] = ()
    description: str = ""
    skills: tuple[Skill, ...] = ()
    effort_hours: Decimal | None = None  # estimated total hours of learning, when the catalog knows
    # A course from a content provider (DESIGN §4, decision 0240): empty / False for the LMS's own courses.
    provider: str = ""  # e.g. "linkedin"
    provider_id: str = ""  # the provider's unique id of the course
    launch_url: str = ""
    language: str = ""
    library: str = ""
    tags: tuple[str, ...] = ()
    retired: bool = False  # the provider no longer offers it: kept for its history, not offered

    @property
    def self_paced(self) -> bool:
        return self.pacing == SELF_PACED


@dataclass(frozen=True)
class Program:
    program_id: str
    title: str
    course_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class LMSEnrollment:
    user_id: int
    course_id: str
    mode: str
    is_active: bool = True


@dataclass(frozen=True)
class EnrollmentRequest:
    user_id: int
    course_id: str
    mode: str


@dataclass
class EnrollResult:
    """Outcome of a bulk enrollment, by (user id, course id).

    ``failed`` maps the pairs that could not be enrolled to the typed error saying why (unknown
    course, mode not offered); the other pairs were applied.
    """

    enrolled: set[UserCourse] = field(default_factory=set)
    already_enrolled: set[UserCourse] = field(default_factory=set)
    failed: dict[UserCourse, Exception] = field(default_factory=dict)


@dataclass
class UnenrollResult:
    """Outcome of a bulk unenrollment, by (user id, course id).

    ``unenrolled``: active enrollments deactivated; ``not_enrolled``: pairs the LMS held no active
    enrollment for (nothing to do, not an error); ``failed``: the typed error per refused pair.
    """

    unenrolled: set[UserCourse] = field(default_factory=set)
    not_enrolled: set[UserCourse] = field(default_factory=set)
    failed: dict[UserCourse, Exception] = field(default_factory=dict)


# Certificates and grades are named tuples, not dataclasses: backends build one per enrollment, by the
# hundred thousand in a channel run, and a tuple costs a third of a frozen dataclass to make.
class Certificate(NamedTuple):
    user_id: int
    course_id: str
    grade: str  # as issued, e.g. "0.92" or "Pass"
    issued_at: datetime.datetime


class Grade(NamedTuple):
    user_id: int
    course_id: str
    percent: Decimal  # 0..1
    passed_at: datetime.datetime | None = None

    @property
    def passed(self) -> bool:
        return self.passed_at is not None


class Feedback(NamedTuple):
    """A learner's star rating (1 to 5) and optional comment on a course; one per (user, course)."""

    user_id: int
    course_id: str
    rating: int
    comment: str = ""
    modified: datetime.datetime | None = None


RATING_MIN, RATING_MAX = 1, 5


class SubsectionGrade(NamedTuple):
    """A learner's grade in one graded subsection of a course (an assessment: a quiz, an exam; DESIGN §4).

    ``subsection_id`` is the LMS's stable id of the subsection (Open edX: its usage key), ``title`` its
    display name; ``percent`` the share of the subsection's points earned (0..1).
    """

    user_id: int
    course_id: str
    subsection_id: str
    title: str
    percent: Decimal
    graded_at: datetime.datetime | None = None


class CatalogBackend(abc.ABC):
    def __init__(self, **kwargs):
        self.options = kwargs

    @abc.abstractmethod
    def get_course(self, course_id: str) -> Course:
        """Return the course or raise ``CourseNotFound``."""

    @abc.abstractmethod
    def get_courses(self, course_ids: Iterable[str]) -> dict[str, Course]:
        """Return the courses that exist among ``course_ids``, keyed by id."""

    @abc.abstractmethod
    def get_program(self, program_id: str) -> Program:
        """Return the program or raise ``ProgramNotFound``."""

    @abc.abstractmethod
    def search_courses(self, query: str, *, limit: int = 20) -> list[Course]:
        """Courses whose id or title contains ``query``."""

    def search_programs(self, query: str, *, limit: int = 20) -> list[Program]:
        """Programs whose id or title contains ``query``, for the Manage Learners picker.

        A backend whose service cannot list programs keeps this answer, no suggestion: operators
        then type the program's UUID, which ``get_program`` checks as before.
        """
        return []

    def courses_changed_since(self, *, since: datetime.datetime, now: datetime.datetime) -> set[str] | None:
        """Optional change tracking: the ids of the courses that changed since ``since`` or whose end
        falls between ``since`` and ``now`` (a superset is fine), or None when this backend cannot say."""
        return None


class EnrollmentBackend(abc.ABC):
    def __init__(self, **kwargs):
        self.options = kwargs

    @abc.abstractmethod
    def enroll_many(self, requests: Iterable[EnrollmentRequest]) -> EnrollResult:
        """Apply many enrollments (re-activating inactive ones); report failures per pair."""

    def enroll(self, *, user_ids: Iterable[int], course_id: str, mode: str) -> EnrollResult:
        """Enroll users in one course with one mode; raise the typed error if the course or mode is invalid."""
        result = self.enroll_many(EnrollmentRequest(uid, course_id, mode) for uid in user_ids)
        if result.failed:
            raise next(iter(result.failed.values()))
        return result

    @abc.abstractmethod
    def unenroll(self, *, user_ids: Iterable[int], course_id: str) -> int:
        """Deactivate enrollments; return how many were active."""

    def unenroll_many(self, pairs: Iterable[UserCourse]) -> UnenrollResult:
        """Deactivate many (user id, course id) enrollments; report each pair.

        The default calls ``unenroll`` once per course: an ``LMSError`` fails that course's pairs
        (the others go on). Implementations that can tell pairs apart override it.
        """
        from enterprise.exceptions import LMSError

        by_course: dict[str, set[int]] = {}
        for user_id, course_id in pairs:
            by_course.setdefault(course_id, set()).add(user_id)
        result = UnenrollResult()
        for course_id, user_ids in sorted(by_course.items()):
            try:
                self.unenroll(user_ids=user_ids, course_id=course_id)
            except LMSError as exc:
                result.failed.update({(uid, course_id): exc for uid in user_ids})
            else:
                result.unenrolled.update((uid, course_id) for uid in user_ids)
        return result

    @abc.abstractmethod
    def list_enrollments(self, *, user_id: int) -> list[LMSEnrollment]:
        """The user's active enrollments."""


class CompletionBackend(abc.ABC):
    def __init__(self, **kwargs):
        self.options = kwargs

    @abc.abstractmethod
    def get_certificates(self, keys: Iterable[UserCourse]) -> dict[UserCourse, Certificate]:
        """Certificates for the (user id, course id) pairs that have one."""

    @abc.abstractmethod
    def get_grades(self, keys: Iterable[UserCourse]) -> dict[UserCourse, Grade]:
        """Grades for the (user id, course id) pairs that have one."""

    def get_subsection_grades(self, keys: Iterable[UserCourse]) -> dict[UserCourse, list[SubsectionGrade]]:
        """The graded subsections' grades of the (user id, course id) pairs, in the course's order.

        Pairs without any subsection grade are left out. A backend whose LMS keeps no per-subsection
        grades raises ``SubsectionGradesUnavailable`` (a run of a channel that reports them fails saying so).
        """
        from enterprise.exceptions import SubsectionGradesUnavailable

        raise SubsectionGradesUnavailable(f"{type(self).__name__} keeps no per-subsection grades.")

    def changed_since(self, *, since: datetime.datetime, now: datetime.datetime) -> set[UserCourse] | None:
        """Optional change tracking: the (user id, course id) pairs whose completion may differ from what it
        was at ``since`` — a certificate or grade written since, a pass dated between ``since`` and ``now``,
        an LMS enrollment changed — (a superset is fine), or None when this backend cannot say."""
        return None

    def get_certificate(self, user_id: int, course_id: str) -> Certificate | None:
        return self.get_certificates([(user_id, course_id)]).get((user_id, course_id))

    def get_grade(self, user_id: int, course_id: str) -> Grade | None:
        return self.get_grades([(user_id, course_id)]).get((user_id, course_id))

    def record_feedback(self, *, user_id: int, course_id: str, rating: int, comment: str = "") -> bool:
        """Record (or replace) the learner's feedback on the course; True when it is new.

        A host LMS that keeps course reviews implements this; the default refuses with
        ``FeedbackNotSupported`` (the local backend keeps feedback in its own table).
        """
        from enterprise.exceptions import FeedbackNotSupported

        raise FeedbackNotSupported(course_id=course_id)

    def get_feedback(self, keys: Iterable[UserCourse]) -> dict[UserCourse, Feedback]:
        """Feedback for the (user id, course id) pairs that have some; none by default."""
        return {}
