"""What each demo learner is: the same on every run, decided by a generator seeded with their number.

Decisions (customer, enrollments, certificate or not, passed or not, consent) depend only on the
number; dates are placed relative to ``today``. Demo users are ``demo-learner-NNNNN`` with e-mail
``learner.NNNNN@<customer>.example.com``; pending learners are ``invitee.NNNNN@<customer>.example.com``,
never a demo user's e-mail (``bulk_create`` fires no ``post_save``, so no pending learner would be
converted, and the two sets must not overlap).
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field
from decimal import Decimal

from enterprise.learner_fields import SAP_USER_ID
from enterprise.lms.interfaces import INSTRUCTOR_PACED
from enterprise.management.demo.data import (
    COURSES,
    COURSES_BY_KEY,
    CUSTOMERS,
    DEPARTMENTS,
    FIRST_NAMES,
    LAST_NAMES,
    PROGRAMS,
    DemoCourse,
    DemoCustomer,
)

PASS_THRESHOLD = 0.7


def _rng(kind: str, number: int) -> random.Random:
    # Reproducible demo data, not secrets: a seeded standard generator is what we want.
    return random.Random(f"demo-{kind}-{number}")  # noqa: S311


@dataclass
class Outcome:
    """What a learner achieved in one course."""

    certificate_grade: str | None = None
    certificate_at: datetime.datetime | None = None
    percent: Decimal | None = None
    passed_at: datetime.datetime | None = None
    consent: bool | None = None  # data-sharing consent: granted, declined or not asked


@dataclass
class PlannedEnrollment:
    course: DemoCourse
    mode: str
    program_id: str = ""
    outcome: Outcome = field(default_factory=Outcome)


@dataclass
class LearnerPlan:
    number: int
    customer: DemoCustomer
    first_name: str
    last_name: str
    active: bool
    attributes: dict
    enrollments: list[PlannedEnrollment]

    @property
    def username(self) -> str:
        return f"demo-learner-{self.number:05d}"

    @property
    def email(self) -> str:
        return f"learner.{self.number:05d}@{self.customer.domain}"


@dataclass
class PendingPlan:
    number: int
    customer: DemoCustomer
    enrollments: list[PlannedEnrollment]

    @property
    def email(self) -> str:
        return f"invitee.{self.number:05d}@{self.customer.domain}"


def _pick_customer(rng: random.Random) -> DemoCustomer:
    return rng.choices(CUSTOMERS, weights=[c.weight for c in CUSTOMERS])[0]


def _program_enrollments(rng: random.Random) -> dict[str, PlannedEnrollment]:
    program = rng.choice(PROGRAMS)
    return {
        key: PlannedEnrollment(COURSES_BY_KEY[key], COURSES_BY_KEY[key].program_mode, str(program.program_id))
        for key in program.course_keys
    }


def _moment(rng: random.Random, course: DemoCourse, today: datetime.datetime) -> datetime.datetime:
    """A moment between the course's start and the earlier of its end and yesterday."""
    last = min(course.end_days if course.end_days is not None else 0, 0) - 1
    day = rng.randint(min(course.start_days + 1, last), last)
    return today + datetime.timedelta(days=day, hours=rng.randint(8, 18), minutes=rng.randint(0, 59))


def _outcome(rng: random.Random, course: DemoCourse, today: datetime.datetime, *, consent_asked: bool) -> Outcome:
    """Certificates for instructor-paced courses, grades (passed or not) in every started course."""
    outcome = Outcome()
    if consent_asked:
        outcome.consent = rng.choices((True, False, None), weights=(75, 15, 10))[0]
    if not course.started:
        return outcome
    if course.pacing == INSTRUCTOR_PACED:
        if rng.random() < (0.55 if course.ended else 0.2):
            percent = rng.uniform(PASS_THRESHOLD, 1.0)
            outcome.certificate_at = outcome.passed_at = _moment(rng, course, today)
            outcome.certificate_grade = f"{percent:.2f}"
            outcome.percent = Decimal(f"{percent:.4f}")
        elif rng.random() < 0.6:
            outcome.percent = Decimal(f"{rng.uniform(0.0, PASS_THRESHOLD - 0.01):.4f}")
    elif rng.random() < 0.75:
        percent = rng.uniform(0.3, 1.0)
        outcome.percent = Decimal(f"{percent:.4f}")
        if percent >= PASS_THRESHOLD:
            outcome.passed_at = _moment(rng, course, today)
    return outcome


def plan_learner(number: int, today: datetime.datetime) -> LearnerPlan:
    """Demo learner ``number`` (from 1): customer, attributes, enrollments and how they went."""
    rng = _rng("learner", number)
    customer = _pick_customer(rng)
    enrollments = _program_enrollments(rng) if rng.random() < 0.2 else {}
    for course in rng.sample(COURSES, rng.choice((0, 1, 1, 2, 2, 3))):
        enrollments.setdefault(course.key, PlannedEnrollment(course, rng.choice(course.modes)))
    for enrollment in enrollments.values():
        enrollment.outcome = _outcome(rng, enrollment.course, today, consent_asked=customer.enable_data_sharing_consent)
    return LearnerPlan(
        number=number,
        customer=customer,
        first_name=rng.choice(FIRST_NAMES),
        last_name=rng.choice(LAST_NAMES),
        active=rng.random() >= 0.03,
        attributes={
            "department": rng.choice(DEPARTMENTS),
            "manager_email": f"manager.{rng.randint(1, 40):02d}@{customer.domain}",
            "employee_id": f"{customer.slug.upper()}-{number:06d}",
            # the learner's id in the customer's SAP SuccessFactors (issue 22 item 10): someone to send
            SAP_USER_ID: f"{customer.slug}{number:05d}",
        },
        enrollments=list(enrollments.values()),
    )


def plan_pending(number: int) -> PendingPlan:
    """Pending learner ``number`` (from 1): customer and pending enrollments (a program, a course or none)."""
    rng = _rng("pending", number)
    customer = _pick_customer(rng)
    if rng.random() < 0.15:
        enrollments = list(_program_enrollments(rng).values())
    elif rng.random() < 0.35:
        course = rng.choice(COURSES)
        enrollments = [PlannedEnrollment(course, rng.choice(course.modes))]
    else:
        enrollments = []
    return PendingPlan(number=number, customer=customer, enrollments=enrollments)
