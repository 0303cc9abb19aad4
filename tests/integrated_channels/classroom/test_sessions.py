"""Sessions: database invariants, registration with a waitlist, invitations (.ics parsed back), completions."""

import datetime
from decimal import Decimal

import icalendar
import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from enterprise.lms.local.models import Certificate, Grade
from integrated_channels.classroom.exceptions import SessionNotOpen
from integrated_channels.classroom.models import Attendance, Registration, Session
from integrated_channels.classroom.services.attendance import (
    Participant,
    correct_attendance,
    record_provider_attendance,
    record_session_completions,
)
from integrated_channels.classroom.services.registration import (
    cancel_registration,
    cancel_session,
    fill_free_seats,
    register_enrolled_learners,
    session_changed,
)
from tests.factories import CourseFactory, CustomerFactory, EnrollmentFactory, LearnerFactory, StaffFactory

pytestmark = pytest.mark.django_db

START = datetime.datetime(2027, 3, 1, 9, 0, tzinfo=datetime.UTC)


def make_session(customer, course_id="course-v1:Org+VC1+2027", **values):
    defaults = {
        "title": "Kick-off",
        "start": START,
        "end": START + datetime.timedelta(hours=1),
        "time_zone": "Europe/Paris",
        "join_url": "https://zoom.example.com/j/123",
        "min_attendance_percent": Decimal(75),
    }
    defaults.update(values)
    return Session.objects.create(customer=customer, course_id=course_id, **defaults)


def enroll(customer, n, course_id="course-v1:Org+VC1+2027"):
    return [EnrollmentFactory(learner=LearnerFactory(customer=customer), course_id=course_id) for _ in range(n)]


def calendar_of(message) -> icalendar.Calendar:
    (attachment,) = [a for a in message.attachments if a[2].startswith("text/calendar")]
    return icalendar.Calendar.from_ical(attachment[1])


@pytest.mark.parametrize(
    "values",
    [
        {"end": START},  # ends when it starts
        {"capacity": 0},
        {"min_attendance_percent": None, "min_quiz_percent": None},  # no completion rule
        {"min_attendance_percent": Decimal(101)},
        {"min_quiz_percent": Decimal(-1)},
        {"room_kind": Session.RoomKind.PERSISTENT, "room_id": ""},
    ],
)
def test_database_refuses_broken_sessions(values):
    customer = CustomerFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        make_session(customer, **values)


def test_manual_attendance_must_be_dated_and_provider_rows_must_not():
    session = make_session(CustomerFactory())
    user = LearnerFactory(customer=session.customer).user
    with pytest.raises(IntegrityError), transaction.atomic():
        Attendance.objects.create(session=session, user=user, source=Attendance.Source.MANUAL)
    with pytest.raises(IntegrityError), transaction.atomic():
        Attendance.objects.create(session=session, user=user, corrected_at=timezone.now())


def test_enrolled_learners_registered_up_to_capacity_then_waitlisted(django_assert_max_num_queries):
    customer = CustomerFactory()
    enrollments = enroll(customer, 5)
    enroll(CustomerFactory(), 2)  # another customer's learners in the same course
    EnrollmentFactory(learner=LearnerFactory(customer=customer), course_id="course-v1:Org+Other+2027")
    session = make_session(customer, capacity=3)
    mail.outbox.clear()
    with django_assert_max_num_queries(12):
        result = register_enrolled_learners(session=session)
    users = [e.learner.user_id for e in enrollments]
    assert result.registered == users[:3]
    assert result.waitlisted == users[3:]
    assert sorted(m.to[0] for m in mail.outbox) == sorted(e.learner.user.email for e in enrollments[:3])
    again = register_enrolled_learners(session=session)
    assert (again.registered, again.waitlisted, again.unchanged) == ([], [], 5)


def test_invitation_is_rfc5545_with_join_link_in_the_session_time_zone():
    customer = CustomerFactory()
    (enrollment,) = enroll(customer, 1)
    session = make_session(customer)
    mail.outbox.clear()
    register_enrolled_learners(session=session)
    (message,) = mail.outbox
    assert "https://zoom.example.com/j/123" in message.body
    calendar = calendar_of(message)
    assert str(calendar["method"]) == "REQUEST"
    (event,) = calendar.walk("VEVENT")
    assert str(event["uid"]) == f"{session.uuid}@enterprise-learners"
    assert event["sequence"] == 0
    start = event.decoded("dtstart")
    assert start == START and str(start.tzinfo) == "Europe/Paris" and start.hour == 10
    assert event.decoded("dtend") == START + datetime.timedelta(hours=1)
    assert str(event["url"]) == "https://zoom.example.com/j/123"
    assert str(event["attendee"]) == f"mailto:{enrollment.learner.user.email}"


def test_change_resends_with_higher_sequence_and_cancel_sends_method_cancel():
    customer = CustomerFactory()
    enroll(customer, 2)
    session = make_session(customer)
    register_enrolled_learners(session=session)
    mail.outbox.clear()
    Session.objects.filter(pk=session.pk).update(
        start=START + datetime.timedelta(days=1), end=START + datetime.timedelta(days=1, hours=2)
    )
    assert session_changed(session=session) == 2
    events = [calendar_of(m).walk("VEVENT")[0] for m in mail.outbox]
    assert {e["sequence"] for e in events} == {1}
    assert {e.decoded("dtstart") for e in events} == {START + datetime.timedelta(days=1)}
    assert all(m.subject.startswith("Updated: ") for m in mail.outbox)
    mail.outbox.clear()
    assert cancel_session(session=session) == 2
    calendars = [calendar_of(m) for m in mail.outbox]
    assert {str(c["method"]) for c in calendars} == {"CANCEL"}
    assert {c.walk("VEVENT")[0]["sequence"] for c in calendars} == {2}
    with pytest.raises(SessionNotOpen):
        register_enrolled_learners(session=session)


def test_cancelled_seat_goes_to_first_waitlisted_learner_with_an_invitation():
    customer = CustomerFactory()
    enrollments = enroll(customer, 3)
    session = make_session(customer, capacity=2)
    register_enrolled_learners(session=session)
    mail.outbox.clear()
    first, _second, third = (e.learner.user for e in enrollments)
    assert cancel_registration(session=session, user_id=first.pk) == [third.pk]
    assert {(m.to[0], str(calendar_of(m)["method"])) for m in mail.outbox} == {
        (first.email, "CANCEL"),
        (third.email, "REQUEST"),
    }
    statuses = dict(session.registrations.values_list("user_id", "status"))
    assert statuses[first.pk] == Registration.Status.CANCELLED
    assert statuses[third.pk] == Registration.Status.REGISTERED


def test_enrollment_registers_to_upcoming_sessions_and_unenrollment_cancels(django_capture_on_commit_callbacks):
    customer = CustomerFactory()
    session = make_session(
        customer,
        start=timezone.now() + datetime.timedelta(days=2),
        end=timezone.now() + datetime.timedelta(days=2, hours=1),
    )
    with django_capture_on_commit_callbacks(execute=True):
        enrollment = EnrollmentFactory(learner=LearnerFactory(customer=customer), course_id=session.course_id)
    assert session.registrations.get().status == Registration.Status.REGISTERED
    with django_capture_on_commit_callbacks(execute=True):
        enrollment.unenrolled_at = timezone.now()
        enrollment.save()
    assert session.registrations.get().status == Registration.Status.CANCELLED


def test_provider_attendance_sums_rejoins_and_reports_bad_rows(django_assert_max_num_queries):
    customer = CustomerFactory()
    a, b = (LearnerFactory(customer=customer).user for _ in range(2))
    LearnerFactory(customer=CustomerFactory(), user__email="other@example.com")
    session = make_session(customer)
    participants = [
        Participant(email=a.email.upper(), seconds=1200),
        Participant(email=a.email, seconds=1800),  # rejoined
        Participant(email=b.email, seconds=600),
        Participant(email="", name="Dial-in caller", seconds=3600),
        Participant(email="other@example.com", seconds=3600),  # a learner of another customer
    ]
    with django_assert_max_num_queries(6):
        result = record_provider_attendance(session=session, participants=participants)
    assert (result.learners, result.joins) == (2, 5)
    assert result.no_email == ["Dial-in caller"]
    assert result.unknown_emails == ["other@example.com"]
    assert dict(session.attendances.values_list("user_id", "minutes")) == {a.pk: Decimal(50), b.pk: Decimal(10)}


def test_manual_correction_is_recorded_and_survives_the_next_provider_report():
    customer = CustomerFactory()
    user = LearnerFactory(customer=customer).user
    operator = StaffFactory()
    session = make_session(customer)
    record_provider_attendance(session=session, participants=[Participant(email=user.email, seconds=60)])
    correct_attendance(
        session=session, user_id=user.pk, minutes=Decimal(55), corrected_by=operator, note="Joined by phone"
    )
    result = record_provider_attendance(session=session, participants=[Participant(email=user.email, seconds=60)])
    assert result.kept_manual == 1
    row = session.attendances.get()
    assert (row.minutes, row.source, row.corrected_by, row.correction_note) == (
        Decimal(55),
        Attendance.Source.MANUAL,
        operator,
        "Joined by phone",
    )
    assert row.corrected_at is not None


def test_completions_by_attendance_share_and_quiz_score(django_assert_max_num_queries):
    customer = CustomerFactory()
    course = CourseFactory(course_id="course-v1:Org+VC1+2027")
    quiz_course = CourseFactory(course_id="course-v1:Org+VC2+2027")
    enough, short, quizzed, failed_quiz = (LearnerFactory(customer=customer).user for _ in range(4))
    session = make_session(customer, course_id=course.course_id)  # 60 min, 75 % needed
    quiz_session = make_session(
        customer, course_id=quiz_course.course_id, min_attendance_percent=Decimal(50), min_quiz_percent=Decimal(80)
    )
    Attendance.objects.create(session=session, user=enough, minutes=Decimal(45))  # exactly 75 %
    Attendance.objects.create(session=session, user=short, minutes=Decimal("44.99"))
    Attendance.objects.create(session=quiz_session, user=quizzed, minutes=Decimal(30), quiz_percent=Decimal(90))
    Attendance.objects.create(session=quiz_session, user=failed_quiz, minutes=Decimal(60), quiz_percent=Decimal(70))
    with django_assert_max_num_queries(8):
        result = record_session_completions(sessions=Session.objects.all())
    assert result.created == 4
    assert set(Certificate.objects.values_list("user_id", "course__course_id")) == {
        (enough.pk, course.course_id),
        (quizzed.pk, quiz_course.course_id),
    }
    grades = {g.user_id: g for g in Grade.objects.all()}
    assert grades[enough.pk].passed_at == session.end and grades[enough.pk].percent == Decimal("0.75")
    assert grades[short.pk].passed_at is None
    assert grades[quizzed.pk].percent == Decimal("0.9")
    assert grades[failed_quiz.pk].passed_at is None and grades[failed_quiz.pk].percent == Decimal("0.7")
    again = record_session_completions(sessions=Session.objects.all())
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)


def test_a_grown_capacity_seats_the_waitlist_in_enrollment_order():
    customer = CustomerFactory()
    enrollments = enroll(customer, 4)
    session = make_session(customer, capacity=1)
    register_enrolled_learners(session=session)
    mail.outbox.clear()
    Session.objects.filter(pk=session.pk).update(capacity=3)
    users = [e.learner.user for e in enrollments]
    assert fill_free_seats(session=session) == [users[1].pk, users[2].pk]
    assert sorted(m.to[0] for m in mail.outbox) == sorted([users[1].email, users[2].email])
    assert session.registrations.get(user=users[3]).status == Registration.Status.WAITLISTED


def test_registration_follows_enrollments_ended_set_based(django_assert_max_num_queries):
    customer = CustomerFactory()
    enrollments = enroll(customer, 3)
    session = make_session(customer, capacity=2)
    register_enrolled_learners(session=session)
    first, _second, third = (e.learner.user for e in enrollments)
    # the unenrollment service ends enrollments with one UPDATE: no signal
    type(enrollments[0]).objects.filter(pk=enrollments[0].pk).update(unenrolled_at=timezone.now())
    mail.outbox.clear()
    result = register_enrolled_learners(session=session)
    assert (result.cancelled, result.registered, result.waitlisted) == ([first.pk], [third.pk], [])
    assert {(m.to[0], str(calendar_of(m)["method"])) for m in mail.outbox} == {
        (first.email, "CANCEL"),
        (third.email, "REQUEST"),
    }
