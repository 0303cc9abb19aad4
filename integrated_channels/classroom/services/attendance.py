"""Attendance: provider reports joined to learners by e-mail, corrections by hand, completions from both.

``record_provider_attendance`` takes a session's participant rows (one per join: a learner who
rejoined appears several times) and sums their minutes per learner; rows with no e-mail, or an
e-mail of no learner of the session's customer, are returned for the run to report, not raised.
A row corrected by hand is never overwritten by a later provider report.

``record_session_completions`` turns the attendance of many sessions into completions through
``enterprise.services.completions.record_completions`` (set-based): a learner completes a
session's course when they meet its rule: attended at least ``min_attendance_percent`` of the
scheduled time, and scored at least ``min_quiz_percent`` in its quiz, for each condition set
(decision 0311). The transmit runs of every channel then send those completions.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from enterprise.models import EnterpriseCustomerUser
from enterprise.services.completions import CompletionReport, CompletionsRecorded, record_completions
from integrated_channels.classroom.models import Attendance, Session

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Participant:
    """One join of one participant, as the provider reports it."""

    email: str
    name: str = ""
    seconds: int = 0
    quiz_percent: Decimal | None = None


@dataclass
class AttendanceRecorded:
    learners: int = 0
    joins: int = 0
    kept_manual: int = 0
    no_email: list[str] = field(default_factory=list)  # the names of participants without an e-mail
    unknown_emails: list[str] = field(default_factory=list)


def record_provider_attendance(*, session: Session, participants: Iterable[Participant]) -> AttendanceRecorded:
    """Sum the joins per learner and upsert one attendance row each (three queries, one bulk upsert)."""
    result = AttendanceRecorded()
    seconds: dict[str, int] = defaultdict(int)
    quiz: dict[str, Decimal] = {}
    for participant in participants:
        result.joins += 1
        email = (participant.email or "").strip().lower()
        if not email:
            result.no_email.append(participant.name or "(no name)")
            continue
        seconds[email] += max(int(participant.seconds), 0)
        if participant.quiz_percent is not None:
            quiz[email] = max(quiz.get(email, Decimal(0)), Decimal(participant.quiz_percent))
    users = dict(
        EnterpriseCustomerUser.objects.filter(customer_id=session.customer_id, linked=True)
        .annotate(email_lower=Lower("user__email"))
        .filter(email_lower__in=list(seconds))
        .values_list("email_lower", "user_id")
    )
    result.unknown_emails = sorted(set(seconds) - set(users))
    manual = set(
        Attendance.objects.filter(session=session, source=Attendance.Source.MANUAL).values_list("user_id", flat=True)
    )
    rows = []
    for email, user_id in users.items():
        if user_id in manual:
            result.kept_manual += 1
            continue
        minutes = (Decimal(seconds[email]) / 60).quantize(Decimal("0.01"))
        rows.append(Attendance(session=session, user_id=user_id, minutes=minutes, quiz_percent=quiz.get(email)))
    with transaction.atomic():
        Attendance.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["session", "user"],
            update_fields=["minutes", "quiz_percent", "modified"],
            batch_size=1000,
        )
        Session.objects.filter(pk=session.pk).update(attendance_synced_at=timezone.now())
    result.learners = len(rows)
    return result


def correct_attendance(
    *,
    session: Session,
    user_id: int,
    minutes: Decimal,
    quiz_percent: Decimal | None = None,
    corrected_by,
    note: str = "",
) -> Attendance:
    """An operator's correction of one learner's attendance, kept as such (who, when, why)."""
    attendance, _created = Attendance.objects.update_or_create(
        session=session,
        user_id=user_id,
        defaults={
            "minutes": minutes,
            "quiz_percent": quiz_percent,
            "source": Attendance.Source.MANUAL,
            "corrected_by": corrected_by,
            "corrected_at": timezone.now(),
            "correction_note": note,
        },
    )
    return attendance


def meets_rule(
    *, minutes: Decimal, quiz_percent: Decimal | None, scheduled_minutes: Decimal, min_attendance, min_quiz
) -> bool:
    if min_attendance is not None and (
        scheduled_minutes <= 0 or minutes * HUNDRED / scheduled_minutes < min_attendance
    ):
        return False
    return min_quiz is None or (quiz_percent is not None and quiz_percent >= min_quiz)


def record_session_completions(
    *, sessions, now: datetime.datetime | None = None, batch_size: int = 1000
) -> CompletionsRecorded:
    """Completions of the learners who attended ``sessions`` (a queryset), by their rules, set-based.

    One query reads the attendance with each session's rule; per (learner, course) the best
    session counts (a pass in any session of the course completes it). The grade is the share of
    the scheduled time attended (capped at 1), or the quiz score when the rule asks for one.
    """
    rows = Attendance.objects.filter(session__in=sessions).values_list(
        "user_id",
        "minutes",
        "quiz_percent",
        "session__course_id",
        "session__start",
        "session__end",
        "session__min_attendance_percent",
        "session__min_quiz_percent",
    )
    best: dict[tuple[int, str], CompletionReport] = {}
    for user_id, minutes, quiz_percent, course_id, start, end, min_attendance, min_quiz in rows.iterator(
        chunk_size=5000
    ):
        scheduled = Decimal((end - start).total_seconds()) / 60
        passed = meets_rule(
            minutes=minutes,
            quiz_percent=quiz_percent,
            scheduled_minutes=scheduled,
            min_attendance=min_attendance,
            min_quiz=min_quiz,
        )
        if min_quiz is not None and quiz_percent is not None:
            percent = quiz_percent / HUNDRED
        else:
            percent = min(minutes / scheduled, Decimal(1)) if scheduled > 0 else Decimal(0)
        report = CompletionReport(
            user_id=user_id,
            course_id=course_id,
            passed=passed,
            percent=percent.quantize(Decimal("0.0001")),
            completed_at=end if passed else None,
        )
        key = (user_id, course_id)
        current = best.get(key)
        if current is None or (report.passed, report.percent) > (current.passed, current.percent):
            best[key] = report
    return record_completions(reports=list(best.values()), now=now, batch_size=batch_size)
