"""Quiz scores of a session: the final score per learner and the answer per question, stored set-based.

``record_quiz`` takes a session's quiz attempts (one per learner and attempt, with points of the
maximum) and answers (one per learner and question, tied to an attempt), keyed by the learner's
e-mail; it keeps each learner's best attempt and that attempt's answers, replaces the session's
rows for those learners in one transaction (bulk upserts; answers of the replaced attempts
deleted), and returns the percentages for the completion rule. E-mails of no learner of the
session's customer are returned for the run to report, not raised; an attempt whose points do
not lie within 0..maximum (maximum above 0) is returned as refused.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models.functions import Lower

from enterprise.models import EnterpriseCustomerUser
from integrated_channels.classroom.adobe_connect_models import QuizAnswer, QuizResult
from integrated_channels.classroom.models import Attendance, Session

HUNDRED = Decimal(100)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Attempt:
    email: str
    attempt_id: str
    points: Decimal
    max_points: Decimal
    passed: bool | None = None
    taken_at: datetime.datetime | None = None

    @property
    def percent(self) -> Decimal:
        return min((self.points * HUNDRED / self.max_points).quantize(CENT), HUNDRED)


@dataclass(frozen=True)
class Answer:
    attempt_id: str
    interaction_id: str
    question_number: int
    question: str
    response: str
    points: Decimal
    answered_at: datetime.datetime | None = None


@dataclass
class QuizRecorded:
    learners: int = 0
    answers: int = 0
    percents: dict[str, Decimal] = field(default_factory=dict)  # e-mail (lower case) -> best percent
    unknown_emails: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # why an attempt was not kept


def learner_ids(customer_id: int, emails: Iterable[str]) -> dict[str, int]:
    """{lower-case e-mail: user id} of the customer's linked learners among ``emails`` (one query)."""
    return dict(
        EnterpriseCustomerUser.objects.filter(customer_id=customer_id, linked=True)
        .annotate(email_lower=Lower("user__email"))
        .filter(email_lower__in=list({e.lower() for e in emails}))
        .values_list("email_lower", "user_id")
    )


def record_quiz(*, session: Session, attempts: Iterable[Attempt], answers: Iterable[Answer]) -> QuizRecorded:
    result = QuizRecorded()
    best: dict[str, Attempt] = {}
    for attempt in attempts:
        email = (attempt.email or "").strip().lower()
        if not email:
            continue
        if attempt.max_points <= 0 or not 0 <= attempt.points <= attempt.max_points:
            result.refused.append(
                f"{email}: {attempt.points} points of {attempt.max_points} is not a score"
                f" (attempt {attempt.attempt_id})."
            )
            continue
        current = best.get(email)
        if current is None or attempt.percent > current.percent:
            best[email] = attempt
    users = learner_ids(session.customer_id, best)
    result.unknown_emails = sorted(set(best) - set(users))
    manual = set(
        Attendance.objects.filter(session=session, source=Attendance.Source.MANUAL).values_list("user_id", flat=True)
    )
    kept = {attempt.attempt_id: users[email] for email, attempt in best.items() if email in users}
    rows = [
        QuizResult(
            session=session,
            user_id=users[email],
            points=attempt.points.quantize(CENT),
            max_points=attempt.max_points.quantize(CENT),
            percent=attempt.percent,
            passed=attempt.passed,
            transcript_id=attempt.attempt_id[:32],
            taken_at=attempt.taken_at,
        )
        for email, attempt in best.items()
        if email in users
    ]
    per_question: dict[tuple[int, int], QuizAnswer] = {}
    for answer in answers:
        user_id = kept.get(answer.attempt_id)
        if user_id is None or answer.question_number < 1:
            continue
        per_question[(user_id, answer.question_number)] = QuizAnswer(
            session=session,
            user_id=user_id,
            interaction_id=answer.interaction_id[:32],
            question_number=answer.question_number,
            question=answer.question,
            response=answer.response,
            points=max(answer.points, Decimal(0)).quantize(CENT),
            answered_at=answer.answered_at,
        )
    with transaction.atomic():
        QuizResult.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["session", "user"],
            update_fields=["points", "max_points", "percent", "passed", "transcript_id", "taken_at", "modified"],
            batch_size=1000,
        )
        QuizAnswer.objects.filter(session=session, user_id__in=list(kept.values())).delete()
        QuizAnswer.objects.bulk_create(per_question.values(), batch_size=1000)
    result.learners = len(rows)
    result.answers = len(per_question)
    result.percents = {
        email: attempt.percent for email, attempt in best.items() if email in users and users[email] not in manual
    }
    return result
