"""Attendance of many participant rows (with rejoins) across many sessions turned into completions.

``python -m benchmarks attendance_sync --participants 100000 --sessions 1000``: the participants
report rows (each learner joins twice) of every session go through an ``AttendanceWriter`` as the
Zoom sync does (rejoins summed in one pass; per chunk of 50,000 learners' rows one look-up of the
learners by e-mail and one ``INSERT … ON CONFLICT`` for the attendance of all its sessions) and
then ``record_session_completions`` (one read of the attendance, one upsert of the grades and one
of the certificates per 50,000 completions; decision 0395). The per-row baseline does what a
naive sync would: per join, find the learner by e-mail and add the minutes to their row; per
attendance row, write a grade and a certificate. It runs on ``--baseline-sessions`` sessions
(default 20) and is scaled to all of them (``baseline_scaled_from_sessions=``; 0: all), its
grades and certificates checked against the set-based ones of the same learners.
``cpu_seconds=`` / ``db_cpu_seconds=``: the CPU time of this process and of its PostgreSQL backend
during the measured operation, less inflated than the wall time on a loaded machine.
The target (issue 19): 100,000 rows across 1,000 sessions in under 10 s on PostgreSQL.
"""

from __future__ import annotations

import argparse
import datetime
from decimal import Decimal

SLUG = "bench-attendance"
COURSES = 10


def seed(*, participants: int, sessions: int):
    from django.contrib.auth import get_user_model

    from enterprise.lms.local.models import Course
    from enterprise.models import EnterpriseCustomer, EnterpriseCustomerUser
    from integrated_channels.classroom.models import Session

    User = get_user_model()
    customer = EnterpriseCustomer.objects.create(name="Bench attendance", slug=SLUG)
    learners = max(participants // 2, 1)  # each learner joins twice
    users = User.objects.bulk_create(
        [User(username=f"att{i:07d}", email=f"att{i:07d}@example.com") for i in range(learners)], batch_size=5000
    )
    EnterpriseCustomerUser.objects.bulk_create(
        [EnterpriseCustomerUser(customer=customer, user=user) for user in users], batch_size=5000
    )
    courses = Course.objects.bulk_create(
        [Course(course_id=f"course-v1:Bench+ATT{c}+2027", title=f"Live {c}") for c in range(COURSES)]
    )
    start = datetime.datetime(2027, 1, 4, 9, tzinfo=datetime.UTC)
    rows = Session.objects.bulk_create(
        [
            Session(
                customer=customer,
                course_id=courses[s % COURSES].course_id,
                title=f"Session {s}",
                start=start,
                end=start + datetime.timedelta(hours=1),
                min_attendance_percent=Decimal(75),
            )
            for s in range(sessions)
        ]
    )
    return customer, rows, [user.email for user in users]


def reports(sessions, emails, participants: int):
    """Per session, its report rows: consecutive learners, each joining twice (e-mails in upper case once)."""
    from integrated_channels.classroom.services.attendance import Participant

    per_session = max(participants // len(sessions), 2)
    result, cursor = {}, 0
    for session in sessions:
        rows = []
        for _ in range(per_session // 2):
            email = emails[cursor % len(emails)]
            cursor += 1
            seconds = 600 + (cursor % 3) * 900  # 10, 25 or 40 minutes, then 25 more: a third falls short of 75 %
            rows += [Participant(email=email, seconds=seconds), Participant(email=email.upper(), seconds=1500)]
        result[session.pk] = rows
    return result


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks attendance_sync", description=__doc__)
    parser.add_argument("--participants", type=int, default=100_000, help="participant rows (100000)")
    parser.add_argument("--sessions", type=int, default=1000, help="sessions (1000)")
    parser.add_argument(
        "--baseline-sessions",
        type=int,
        default=20,
        help="sessions the per-row baseline syncs, its time and queries scaled to --sessions (20; 0: all)",
    )
    args = parser.parse_args(argv)

    from benchmarks.harness import Report, cpu_seconds, measure, report, scale_baseline, setup_django

    teardown = setup_django()
    try:
        from django.db.models import F, Q

        from enterprise.lms.local.models import Certificate, Course, Grade
        from enterprise.models import EnterpriseCustomerUser
        from enterprise.services.completions import record_certificate, record_grade
        from integrated_channels.classroom.models import Attendance, Session
        from integrated_channels.classroom.services.attendance import (
            AttendanceWriter,
            meets_rule,
            record_session_completions,
        )

        customer, sessions, emails = seed(participants=args.participants, sessions=args.sessions)
        joins = reports(sessions, emails, args.participants)
        rows = sum(len(r) for r in joins.values())

        sample = sessions[: args.baseline_sessions] if args.baseline_sessions else sessions

        def set_based():
            writer = AttendanceWriter()
            for session in sessions:
                writer.add(session, joins[session.pk])
            writer.flush()
            return record_session_completions(sessions=Session.objects.filter(customer=customer))

        def per_row():
            courses = {c.course_id: c for c in Course.objects.all()}
            for session in sample:
                for join in joins[session.pk]:
                    learner = (
                        EnterpriseCustomerUser.objects.filter(customer=customer, user__email__iexact=join.email)
                        .only("user_id")
                        .first()
                    )
                    if learner is None:
                        continue
                    updated = Attendance.objects.filter(session=session, user_id=learner.user_id).update(
                        minutes=F("minutes") + Decimal(join.seconds) / 60
                    )
                    if not updated:
                        Attendance.objects.create(
                            session=session, user_id=learner.user_id, minutes=Decimal(join.seconds) / 60
                        )
            for row in Attendance.objects.filter(session__in=sample).select_related("session"):
                session = row.session
                passed = meets_rule(
                    minutes=row.minutes,
                    quiz_percent=row.quiz_percent,
                    scheduled_minutes=session.scheduled_minutes,
                    min_attendance=session.min_attendance_percent,
                    min_quiz=session.min_quiz_percent,
                )
                course = courses[session.course_id]
                percent = min(row.minutes / session.scheduled_minutes, Decimal(1)).quantize(Decimal("0.0001"))
                record_grade(
                    user_id=row.user_id, course=course, percent=percent, passed_at=session.end if passed else None
                )
                if passed:
                    record_certificate(user_id=row.user_id, course=course, grade="Pass", issued_at=session.end)

        def reset():
            Attendance.objects.filter(session__customer=customer).delete()
            Grade.objects.filter(~Q(pk=None)).delete()
            Certificate.objects.filter(~Q(pk=None)).delete()

        def completions():
            grades = set(Grade.objects.values_list("user_id", "course_id", "percent", "passed_at"))
            return grades, set(Certificate.objects.values_list("user_id", "course_id", "grade", "issued_at"))

        cpu_before = cpu_seconds()
        measured = measure(set_based)
        cpu_after = cpu_seconds()
        grades, certificates = completions()
        reset()
        baseline = measure(per_row)
        sample_grades, sample_certificates = completions()
        assert sample_grades and sample_grades <= grades, "the baseline's grades disagree"
        assert sample_certificates <= certificates, "the baseline's certificates disagree"
        extra = {"grades": len(grades), "certificates": len(certificates)}
        if cpu_before is not None and cpu_after is not None:  # what the load does not inflate much
            extra["cpu_seconds"] = f"{cpu_after[0] - cpu_before[0]:.2f}"
            extra["db_cpu_seconds"] = f"{cpu_after[1] - cpu_before[1]:.2f}"
        baseline = scale_baseline(baseline, len(sessions), len(sample))
        if len(sample) < len(sessions):
            extra["baseline_scaled_from_sessions"] = len(sample)
        report(
            Report(
                name="attendance_sync",
                sizes={"participants": rows, "sessions": len(sessions)},
                rows=rows,
                measured=measured,
                baseline=baseline,
                extra=extra,
            )
        )
    finally:
        teardown()
    return 0
