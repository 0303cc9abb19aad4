"""The Zoom connector against the strict fake: token, meetings, registrants, participants report, bad input."""

import datetime
import functools
from decimal import Decimal

import pytest
from django.core import mail

from enterprise.lms.local.models import Certificate
from integrated_channels.classroom.models import Registration, Session, ZoomConnection
from integrated_channels.classroom.operations import sync_attendance, sync_meetings, test_connection
from integrated_channels.classroom.services.registration import register_enrolled_learners
from integrated_channels.classroom.zoom import ZoomClient
from integrated_channels.integrated_channel.models import Run
from tests.factories import CourseFactory, CustomerFactory, EnrollmentFactory, LearnerFactory
from tests.fakes.zoom import FakeZoom, participant
from tests.integrated_channels.classroom.support import session_on as classroom_session

pytestmark = pytest.mark.django_db
ADMIN = Run.Trigger.ADMIN


@pytest.fixture
def zoom():
    with FakeZoom() as fake:
        yield fake


@pytest.fixture
def connection(zoom):
    return ZoomConnection.objects.create(
        customer=CustomerFactory(),
        active=True,
        account_id=zoom.account_id,
        client_id=zoom.client_id,
        client_secret=zoom.client_secret,
        host_user="host@example.com",
        api_url=zoom.api_url,
        token_url=zoom.token_url,
    )


session_on = functools.partial(
    classroom_session, course_id="course-v1:Org+Z1+2027", title="Zoom session", time_zone="America/New_York"
)


def test_connection_test_uses_the_account_credentials_grant(zoom, connection):
    assert test_connection(connection).ok
    (token_call,) = zoom.received("POST", "/oauth/token")
    assert token_call.status == 200
    connection.client_secret = "wrong"
    connection.save()
    result = test_connection(connection)
    assert not result.ok and "Invalid client_id or client_secret" in result.message and "wrong" not in result.message


def test_meetings_created_with_registrants_and_the_join_link_sent(zoom, connection):
    session = session_on(connection)
    learners = [LearnerFactory(customer=connection.customer) for _ in range(2)]
    for learner in learners:
        EnrollmentFactory(learner=learner, course_id=session.course_id)
    register_enrolled_learners(session=session)
    mail.outbox.clear()
    run = sync_meetings(connection, trigger=ADMIN)
    assert (run.status, run.sent) == (Run.Status.COMPLETED, 1), list(run.errors.values_list("message", flat=True))
    session.refresh_from_db()
    meeting = zoom.meetings[int(session.room_id)]
    assert session.join_url == f"{zoom.base_url}/j/{meeting.id}"
    assert meeting.duration == 60 and meeting.timezone == "America/New_York"
    assert meeting.start_time == session.start.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert {r["email"] for r in meeting.registrants} == {learner.user.email for learner in learners}
    assert all(r.provider_registrant_id for r in session.registrations.all())
    assert {m.to[0] for m in mail.outbox} == {learner.user.email for learner in learners}
    assert all(session.join_url in m.body for m in mail.outbox)
    # a second run updates the meeting and adds no registrant twice
    Session.objects.filter(pk=session.pk).update(title="Renamed")
    sync_meetings(connection, trigger=ADMIN)
    assert meeting.topic == "Renamed" and len(meeting.registrants) == 2
    assert len(zoom.received("POST", "/oauth/token")) == 1  # the stored token serves both runs


def test_attendance_sums_rejoins_over_pages_and_completes(zoom, connection):
    course = CourseFactory(course_id="course-v1:Org+Z1+2027")
    users = [LearnerFactory(customer=connection.customer).user for _ in range(400)]
    rows = []
    for user in users:
        rows += [participant(user.email, 1500), participant(user.email.upper(), 1500)]  # 50 minutes in two joins
    rows.append(participant("", 3600, name="Dial-in caller"))
    rows.append(participant("stranger@example.org", 3600))
    meeting = zoom.add_meeting(participants=rows)
    meeting.recording = {"share_url": "https://zoom.example.com/rec/share/abc", "password": "r3c!"}
    session = session_on(connection, ended=True, room_id=str(meeting.id), course_id=course.course_id)
    run = sync_attendance(connection, trigger=ADMIN)
    assert (run.status, run.selected, run.sent) == (Run.Status.COMPLETED, 1, 1)
    pages = zoom.received("GET", f"/v2/report/meetings/{meeting.id}/participants")
    assert [p.query.get("page_size") for p in pages] == ["300"] * 3
    assert "next_page_token" not in pages[0].query and all(p.query["next_page_token"] for p in pages[1:])
    assert set(session.attendances.values_list("minutes", flat=True)) == {Decimal(50)}
    session.refresh_from_db()
    assert (session.recording_url, session.recording_passcode) == ("https://zoom.example.com/rec/share/abc", "r3c!")
    assert Certificate.objects.filter(course=course).count() == 400
    reported = dict(run.errors.values_list("code", "message"))
    assert "Dial-in caller" in reported["participant_without_email"]
    assert "stranger@example.org" in reported["participant_not_a_learner"]
    assert sync_attendance(connection, trigger=ADMIN).selected == 0  # synced sessions are not read again


def test_meeting_not_ended_is_retried_and_deleted_meeting_marks_the_session(zoom, connection):
    running = zoom.add_meeting(ended=False, participants=[])
    waiting = session_on(connection, ended=True, room_id=str(running.id))
    gone = session_on(connection, ended=True, room_id="85999999999")
    run = sync_attendance(connection, trigger=ADMIN)
    assert (run.status, run.selected, run.skipped, run.failed) == (Run.Status.COMPLETED_WITH_ERRORS, 2, 1, 1)
    assert run.skip_reasons == {"meeting_not_ended": 1}
    gone.refresh_from_db()
    assert gone.status == Session.Status.MEETING_DELETED
    assert run.errors.get().code == "meeting_deleted"
    user = LearnerFactory(customer=connection.customer).user
    running.ended, running.participants = True, [participant(user.email, 3600)]
    second = sync_attendance(connection, trigger=ADMIN)
    assert (second.status, second.selected, second.sent) == (Run.Status.COMPLETED, 1, 1)
    assert waiting.attendances.get().user == user
    waiting.refresh_from_db()
    assert waiting.recording_url == ""  # Zoom has no cloud recording of it (3301): not an error


def test_a_meeting_deleted_in_zoom_marks_its_session_and_fails_it_alone(zoom, connection):
    kept = session_on(connection)
    gone = session_on(connection, room_id="85999999999")

    run = sync_meetings(connection, trigger=ADMIN)

    assert (run.status, run.selected, run.sent, run.failed) == (Run.Status.COMPLETED_WITH_ERRORS, 2, 1, 1)
    gone.refresh_from_db()
    kept.refresh_from_db()
    assert (gone.status, kept.status) == (Session.Status.MEETING_DELETED, Session.Status.SCHEDULED)
    error = run.errors.get()
    assert (error.code, error.remote_id, error.course_id) == ("meeting_deleted", "85999999999", gone.course_id)
    assert error.message.startswith(f"{gone}: ") and "no longer synced" in error.message


def test_rate_limit_is_waited_out_and_an_expired_token_replaced(zoom, connection):
    meeting = zoom.add_meeting(participants=[participant("nobody@example.org", 60)])
    session_on(connection, ended=True, room_id=str(meeting.id))
    client = ZoomClient(connection, sleep=lambda seconds: None)
    client.token()
    zoom.tokens.clear()  # revoked: the next call answers 401 code 124
    zoom.fail("/v2/report/", 429, {"code": 429, "message": "Too many requests."}, {"Retry-After": "0"})
    rows = list(client.participants(str(meeting.id)))
    assert [r.email for r in rows] == ["nobody@example.org"]
    statuses = [r.status for r in zoom.requests if r.path.startswith("/v2/report/")]
    assert statuses == [429, 401, 200]  # throttled, then the revoked token refused, then served
    assert len(zoom.received("POST", "/oauth/token")) == 2


def test_registration_refused_when_the_meeting_takes_none(zoom, connection):
    meeting = zoom.add_meeting(approval_type=2)
    session = session_on(connection, room_id=str(meeting.id))
    EnrollmentFactory(learner=LearnerFactory(customer=connection.customer), course_id=session.course_id)
    run = sync_meetings(connection, trigger=ADMIN)
    assert (run.status, run.failed) == (Run.Status.COMPLETED_WITH_ERRORS, 1)
    assert "Registration has not been enabled" in run.errors.get().message
    assert session.registrations.get().status == Registration.Status.REGISTERED  # registered by the run itself
