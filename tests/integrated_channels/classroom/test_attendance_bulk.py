"""Attendance sync set-based end to end: queries per chunk (never per session, join or page), completion rules kept."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext

from enterprise.lms.local.models import Certificate, Grade
from integrated_channels.classroom.models import Attendance, Session
from integrated_channels.classroom.operations import sync_attendance
from integrated_channels.classroom.services.attendance import (
    AttendanceWriter,
    Participant,
    correct_attendance,
    record_session_completions,
)
from integrated_channels.integrated_channel.models import Run
from tests.factories import CourseFactory, CustomerFactory, LearnerFactory, StaffFactory
from tests.fakes.zoom import participant
from tests.integrated_channels.classroom.test_zoom import connection, session_on, zoom  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

START = datetime.datetime(2027, 3, 1, 9, 0, tzinfo=datetime.UTC)


def make_session(customer, course_id="course-v1:Org+VC1+2027", **values):
    defaults = {"title": "Live", "start": START, "end": START + datetime.timedelta(hours=1)}
    defaults["min_attendance_percent"] = Decimal(75)
    defaults.update(values)
    return Session.objects.create(customer=customer, course_id=course_id, **defaults)


def statements(queries, verb: str, table: str) -> int:
    return sum(1 for q in queries if q["sql"].lstrip().upper().startswith(verb) and table in q["sql"])


def test_writer_writes_a_chunk_of_many_sessions_in_three_queries():
    customer = CustomerFactory()
    users = [LearnerFactory(customer=customer).user for _ in range(8)]
    sessions = [make_session(customer) for _ in range(6)]
    operator = StaffFactory()
    correct_attendance(session=sessions[0], user_id=users[0].pk, minutes=Decimal(5), corrected_by=operator)
    writer = AttendanceWriter(chunk_rows=8)  # four learners a session: a chunk every two sessions
    with CaptureQueriesContext(db) as queries:
        results = []
        for number, session in enumerate(sessions):
            learners = users[number % 2 * 4 : number % 2 * 4 + 4]
            joins = [Participant(email=u.email.upper(), seconds=1800) for u in learners]
            joins += [Participant(email=u.email, seconds=900) for u in learners]  # every learner rejoined
            joins += [Participant(email="", name="Phone"), Participant(email=f"guest{number}@example.org")]
            results.append(writer.add(session, joins))
        writer.flush()
    sql = [q for q in queries if not q["sql"].upper().startswith(("SAVEPOINT", "RELEASE"))]
    assert len(sql) == 9, [q["sql"][:80] for q in sql]  # 3 chunks: learners found, attendance upserted, synced
    assert statements(sql, "INSERT", "classroom_attendance") == 3
    assert statements(sql, "SELECT", "enterprise") == 3 and statements(sql, "UPDATE", "classroom_session") == 3
    assert [(r.learners, r.joins, r.kept_manual) for r in results] == [(3, 10, 1)] + [(4, 10, 0)] * 5
    assert results[2].no_email == ["Phone"] and results[2].unknown_emails == ["guest2@example.org"]
    assert Attendance.objects.filter(source=Attendance.Source.PROVIDER, minutes=Decimal(45)).count() == 23
    assert Attendance.objects.get(session=sessions[0], user=users[0]).minutes == Decimal(5)  # kept
    assert Session.objects.filter(attendance_synced_at__isnull=False).count() == 6


def test_writer_queries_do_not_grow_with_the_rows(django_assert_max_num_queries):
    customer = CustomerFactory()
    users = [LearnerFactory(customer=customer).user for _ in range(300)]
    session = make_session(customer)
    writer = AttendanceWriter()
    with django_assert_max_num_queries(5):  # learners, savepoint, upsert, synced, release
        result = writer.add(session, [Participant(email=u.email, seconds=60 * 50) for u in users * 2])
        writer.flush()
    assert (result.learners, result.joins) == (300, 600)
    assert set(session.attendances.values_list("minutes", flat=True)) == {Decimal(100)}


def test_completions_are_written_per_batch_in_two_statements():
    customer = CustomerFactory()
    course = CourseFactory(course_id="course-v1:Org+VC1+2027")
    users = [LearnerFactory(customer=customer).user for _ in range(7)]
    sessions = [make_session(customer, course_id=course.course_id) for _ in range(3)]
    for number, user in enumerate(users):
        Attendance.objects.create(session=sessions[number % 3], user=user, minutes=Decimal(30 + number * 5))
    with CaptureQueriesContext(db) as queries:
        result = record_session_completions(sessions=Session.objects.all(), batch_size=3)
    sql = [q for q in queries if not q["sql"].upper().startswith(("SAVEPOINT", "RELEASE"))]
    # rules, attendance, courses, grades there, then per batch of 3: the grades, and the certificates of its passes
    grades, certificates = (
        statements(sql, "INSERT", "lms_local_grade"),
        statements(sql, "INSERT", "lms_local_certificate"),
    )
    assert grades == 3 and 2 <= certificates <= 3
    assert len(sql) == 4 + grades + certificates, [q["sql"][:80] for q in sql]
    assert (result.created, result.updated, result.unchanged) == (7, 0, 0)
    passed = {u.pk for number, u in enumerate(users) if 30 + number * 5 >= 45}
    assert set(Certificate.objects.values_list("user_id", flat=True)) == passed
    assert set(Grade.objects.exclude(passed_at=None).values_list("user_id", flat=True)) == passed
    assert Grade.objects.get(user=users[0]).percent == Decimal("0.5")


def test_a_later_failed_session_keeps_the_pass_and_an_unchanged_grade_is_not_written():
    customer = CustomerFactory()
    course = CourseFactory(course_id="course-v1:Org+VC1+2027")
    passer, improver = (LearnerFactory(customer=customer).user for _ in range(2))
    first = make_session(customer, course_id=course.course_id)
    Attendance.objects.create(session=first, user=passer, minutes=Decimal(60))
    Attendance.objects.create(session=first, user=improver, minutes=Decimal(12))
    record_session_completions(sessions=Session.objects.filter(pk=first.pk))
    kept = Grade.objects.get(user=passer)
    assert (kept.percent, kept.passed_at) == (Decimal(1), first.end)
    second = make_session(
        customer,
        course_id=course.course_id,
        start=START + datetime.timedelta(days=7),
        end=START + datetime.timedelta(days=7, hours=1),
    )
    Attendance.objects.create(session=second, user=passer, minutes=Decimal(6))  # failed this time
    Attendance.objects.create(session=second, user=improver, minutes=Decimal(30))  # better, still short
    result = record_session_completions(sessions=Session.objects.filter(pk=second.pk))
    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    again = Grade.objects.get(user=passer)
    assert (again.percent, again.passed_at, again.modified) == (kept.percent, kept.passed_at, kept.modified)
    assert Grade.objects.get(user=improver).percent == Decimal("0.5")
    assert Certificate.objects.get().user == passer


def test_zoom_sync_queries_do_not_grow_with_sessions_or_pages(zoom, connection):  # noqa: F811 (fixtures)
    users = [LearnerFactory(customer=connection.customer).user for _ in range(320)]
    CourseFactory(course_id="course-v1:Org+Z1+2027")

    def ended_session(rows):
        meeting = zoom.add_meeting(participants=rows)
        return session_on(connection, ended=True, room_id=str(meeting.id))

    sync_attendance(connection, trigger=Run.Trigger.ADMIN)  # nothing due: the token is fetched and stored
    ended_session([participant(users[0].email, 3600)])
    with CaptureQueriesContext(db) as one:
        small = sync_attendance(connection, trigger=Run.Trigger.ADMIN)
    for _ in range(3):  # 640 joins each: three pages
        ended_session([participant(u.email, 1800) for u in users] * 2)
    with CaptureQueriesContext(db) as many:
        large = sync_attendance(connection, trigger=Run.Trigger.ADMIN)
    assert (small.sent, large.sent) == (1, 3)
    assert len(zoom.received("GET", "/v2/report/meetings/")) >= 10
    assert Certificate.objects.count() == 320
    assert len(many) == len(one) <= 20, "\n".join(q["sql"][:110] for q in [*one, {"sql": "----"}, *many])


def test_a_score_out_of_range_is_refused_naming_the_participant_and_nothing_is_queued():
    customer = CustomerFactory()
    user = LearnerFactory(customer=customer).user
    session = make_session(customer, min_quiz_percent=Decimal(80))
    writer = AttendanceWriter()
    joins = [Participant(email=user.email, seconds=600, quiz_percent=Decimal(90))]
    with pytest.raises(ValueError, match=rf"participant {user.email.lower()}, join 2: quiz_percent 120 is not within"):
        writer.add(session, [*joins, Participant(email=user.email, seconds=60, quiz_percent=Decimal(120))])
    with pytest.raises(ValueError, match="attended over 999999 minutes"):
        writer.add(session, [Participant(email=user.email, seconds=10**9)])
    writer.flush()
    assert not Attendance.objects.exists()
    writer.add(session, joins)
    with pytest.raises(ValueError, match="already waiting to be written"):
        writer.add(session, joins)  # one upsert cannot write the same row twice
    writer.flush()
    assert session.attendances.get().quiz_percent == Decimal(90)
