"""The Microsoft Teams connector against the strict Graph fake: token, online meetings, attendance, bad input."""

import datetime
import functools
import json
from decimal import Decimal
from urllib.parse import parse_qs

import pytest
import requests
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from enterprise.lms.local.models import Certificate
from integrated_channels.classroom.models import Session, TeamsConnection
from integrated_channels.classroom.services.registration import register_enrolled_learners
from integrated_channels.classroom.teams import TeamsClient, parse_graph_time
from integrated_channels.classroom.teams_operations import (
    REPORT_GRACE,
    sync_attendance,
    sync_meetings,
    test_connection,
)
from integrated_channels.integrated_channel.models import Run
from integrated_channels.integrated_channel.registry import registry
from tests.factories import CourseFactory, CustomerFactory, EnrollmentFactory, LearnerFactory
from tests.fakes import teams as fake_module
from tests.fakes.teams import FakeTeams, attendance_record
from tests.integrated_channels.classroom.support import session_on as classroom_session

pytestmark = pytest.mark.django_db
ADMIN = Run.Trigger.ADMIN
COURSE = "course-v1:Org+T1+2027"


@pytest.fixture
def teams():
    with FakeTeams() as fake:
        yield fake


@pytest.fixture
def connection(teams):
    return TeamsConnection.objects.create(
        customer=CustomerFactory(),
        active=True,
        tenant_id=teams.tenant_id,
        client_id=teams.client_id,
        client_secret=teams.client_secret,
        organizer_id=teams.organizer_id,
        lobby_bypass=TeamsConnection.LobbyBypass.ORGANIZER,
        dial_in_bypasses_lobby=True,
        login_url=teams.login_url,
        graph_url=teams.graph_url,
    )


session_on = functools.partial(classroom_session, course_id=COURSE, title="Teams session", time_zone="Europe/Berlin")


def messages(run) -> dict:
    return dict(run.errors.values_list("code", "message"))


def test_teams_is_registered_with_its_two_schedulable_operations():
    channel = registry.get("TEAMS")
    assert channel.connector and channel.get_configuration_model() is TeamsConnection
    assert {(op.code, op.direction, op.schedulable) for op in channel.operations} == {
        ("teams_meetings", "export", True),
        ("teams_attendance", "import", True),
    }
    assert "New-CsApplicationAccessPolicy" in channel.getting_started


def test_the_ids_must_be_guids():
    connection = TeamsConnection(
        customer=CustomerFactory(),
        tenant_id="11111111-2222-3333-4444-555555555555",
        client_id="aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
        client_secret="x",
        organizer_id="someone@contoso.example",
    )
    with pytest.raises(ValidationError) as refused:
        connection.full_clean()
    assert set(refused.value.message_dict) == {"organizer_id"}
    assert "A GUID" in refused.value.message_dict["organizer_id"][0]
    with pytest.raises(IntegrityError), transaction.atomic():
        TeamsConnection.objects.create(
            customer=CustomerFactory(),
            tenant_id="contoso.onmicrosoft.com",
            client_id="aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
            client_secret="x",
            organizer_id="someone@contoso.example",
        )


def test_connection_test_proves_the_secret_and_the_application_access_policy(teams, connection):
    result = test_connection(connection)
    assert result.ok, result.message
    (token_call,) = teams.received("token")
    form = {key: values[-1] for key, values in parse_qs(token_call.body).items()}
    assert (form["grant_type"], form["scope"], form["client_id"]) == (
        "client_credentials",
        "https://graph.microsoft.com/.default",
        teams.client_id,
    )
    assert token_call.path == f"/{teams.tenant_id}/oauth2/v2.0/token"
    assert teams.received("list_meetings")[0].status == 200

    teams.policy_users.clear()
    refused = test_connection(connection)
    assert not refused.ok and "application access policy" in refused.message

    connection.client_secret = "wrong-secret"
    connection.save()
    wrong = test_connection(connection)
    assert not wrong.ok and "AADSTS7000215" in wrong.message and "wrong-secret" not in wrong.message


def test_meetings_created_with_the_lobby_settings_and_the_join_link_sent(teams, connection):
    session = session_on(connection)
    learners = [LearnerFactory(customer=connection.customer) for _ in range(2)]
    for learner in learners:
        EnrollmentFactory(learner=learner, course_id=session.course_id)
    register_enrolled_learners(session=session)
    mail.outbox.clear()

    run = sync_meetings(connection, trigger=ADMIN)

    assert (run.status, run.sent) == (Run.Status.COMPLETED, 1), messages(run)
    session.refresh_from_db()
    meeting = teams.meetings[session.room_id]
    assert session.join_url == meeting.properties["joinWebUrl"]
    (created,) = teams.received("create_meeting")
    assert created.path == f"/v1.0/users/{teams.organizer_id}/onlineMeetings"
    assert created.body == {
        "subject": "Teams session",
        "startDateTime": session.start.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "endDateTime": session.end.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "lobbyBypassSettings": {"scope": "organizer", "isDialInBypassEnabled": True},
        "allowedPresenters": "organizer",
    }
    assert {m.to[0] for m in mail.outbox} == {learner.user.email for learner in learners}
    assert all(session.join_url in m.body for m in mail.outbox)

    # the next run changes the meeting (PATCH, the id quoted) and creates none
    Session.objects.filter(pk=session.pk).update(title="Renamed", end=session.end + datetime.timedelta(minutes=30))
    second = sync_meetings(connection, trigger=ADMIN)
    assert (second.status, second.sent) == (Run.Status.COMPLETED, 1), messages(second)
    assert meeting.properties["subject"] == "Renamed"
    later = session.end.replace(microsecond=0) + datetime.timedelta(minutes=30)
    assert parse_graph_time(meeting.properties["endDateTime"]) == later
    assert len(teams.received("create_meeting")) == 1 and len(teams.received("update_meeting")) == 1
    assert len(teams.received("token")) == 1  # the stored token serves both runs


def test_a_meeting_deleted_in_teams_marks_the_session_when_it_is_updated(teams, connection):
    meeting = teams.add_meeting()
    session = session_on(connection, room_id=meeting.id)
    teams.delete_meeting(meeting.id)
    run = sync_meetings(connection, trigger=ADMIN)
    assert (run.status, run.failed) == (Run.Status.COMPLETED_WITH_ERRORS, 1)
    session.refresh_from_db()
    assert session.status == Session.Status.MEETING_DELETED
    assert run.errors.get().code == "meeting_deleted"
    assert sync_meetings(connection, trigger=ADMIN).selected == 0


def test_an_unknown_organizer_fails_the_sessions_without_marking_them_deleted(teams, connection):
    meeting = teams.add_meeting()
    session = session_on(connection, room_id=meeting.id)
    teams.users.discard(teams.organizer_id)
    run = sync_meetings(connection, trigger=ADMIN)
    assert (run.status, run.failed) == (Run.Status.COMPLETED_WITH_ERRORS, 1)
    assert "knows no user" in run.errors.get().message
    session.refresh_from_db()
    assert session.status == Session.Status.SCHEDULED


def test_attendance_sums_intervals_and_reports_over_pages_and_completes(teams, connection):
    course = CourseFactory(course_id=COURSE)
    users = [LearnerFactory(customer=connection.customer).user for _ in range(230)]
    meeting = teams.add_meeting()
    session = session_on(connection, ended=True, room_id=meeting.id)
    start = session.start
    first = [attendance_record(u.email, (start, 1200), (start + datetime.timedelta(minutes=25), 900)) for u in users]
    first.append(attendance_record(None, (start, 3600), name="Caller +49 30 1234"))
    first.append(attendance_record("stranger@example.org", (start, 3600)))
    teams.hold(meeting, start, start + datetime.timedelta(minutes=40), first)
    # the meeting emptied and was started again: a second report; e-mails as Teams writes them (any case)
    second = [attendance_record(u.email.upper(), (start + datetime.timedelta(minutes=45), 900)) for u in users]
    teams.hold(meeting, start + datetime.timedelta(minutes=45), session.end, second)
    teams.record(meeting, f"{teams.graph_url}/v1.0/users/{teams.organizer_id}/onlineMeetings/x/recordings/r/content")

    run = sync_attendance(connection, trigger=ADMIN)

    assert (run.status, run.selected, run.sent) == (Run.Status.COMPLETED, 1, 1), messages(run)
    pages = teams.received("records")
    assert len(pages) == 3 + 3  # 232 and 230 records, 100 a page
    assert "$skiptoken" not in pages[0].query and all("$skiptoken" in p.query for p in (pages[1], pages[2]))
    assert set(session.attendances.values_list("minutes", flat=True)) == {Decimal(50)}  # 20 + 15 + 15
    assert Certificate.objects.filter(course=course).count() == 230
    session.refresh_from_db()
    assert session.recording_url.endswith("/recordings/r/content")
    reported = messages(run)
    assert "Caller +49 30 1234" in reported["participant_without_email"]
    assert "stranger@example.org" in reported["participant_not_a_learner"]
    assert run.errors.get(code="participant_not_a_learner").outcome == "not_attempted"
    assert sync_attendance(connection, trigger=ADMIN).selected == 0  # synced sessions are not read again


def test_no_report_yet_is_retried_and_after_the_grace_synced_as_nobody_joined(teams, connection):
    user = LearnerFactory(customer=connection.customer).user
    running = teams.add_meeting()
    waiting = session_on(connection, ended=True, room_id=running.id)
    empty = teams.add_meeting()
    hours = REPORT_GRACE.total_seconds() / 3600 + 2
    abandoned = session_on(connection, ended=True, room_id=empty.id, hours_ago=hours)

    run = sync_attendance(connection, trigger=ADMIN)

    assert (run.status, run.selected, run.sent, run.skipped) == (Run.Status.COMPLETED, 2, 1, 1), messages(run)
    assert run.skip_reasons == {"meeting_not_ended": 1}
    assert "nobody joined" in messages(run)["no_attendance_report"]
    abandoned.refresh_from_db()
    assert abandoned.attendance_synced_at is not None and not abandoned.attendances.exists()

    teams.hold(running, waiting.start, waiting.end, [attendance_record(user.email, (waiting.start, 3600))])
    again = sync_attendance(connection, trigger=ADMIN)
    assert (again.status, again.selected, again.sent) == (Run.Status.COMPLETED, 1, 1)
    assert waiting.attendances.get().minutes == Decimal(60)


def test_a_meeting_deleted_in_teams_marks_the_session_and_stops_syncing_it(teams, connection):
    meeting = teams.add_meeting()
    gone = session_on(connection, ended=True, room_id=meeting.id)
    teams.delete_meeting(meeting.id)
    run = sync_attendance(connection, trigger=ADMIN)
    assert (run.status, run.selected, run.failed) == (Run.Status.COMPLETED_WITH_ERRORS, 1, 1)
    gone.refresh_from_db()
    assert gone.status == Session.Status.MEETING_DELETED
    assert "no longer synced" in run.errors.get(code="meeting_deleted").message
    assert sync_attendance(connection, trigger=ADMIN).selected == 0


def test_a_persistent_room_counts_only_the_reports_of_the_session(teams, connection):
    user = LearnerFactory(customer=connection.customer).user
    room = teams.add_meeting(subject="Weekly room")
    session = session_on(connection, ended=True, room_id=room.id, room_kind=Session.RoomKind.PERSISTENT)
    last_week = session.start - datetime.timedelta(days=7)
    teams.hold(
        room, last_week, last_week + datetime.timedelta(hours=1), [attendance_record(user.email, (last_week, 3600))]
    )
    teams.hold(room, session.start, session.end, [attendance_record(user.email, (session.start, 1800))])
    run = sync_attendance(connection, trigger=ADMIN)
    assert run.sent == 1, messages(run)
    assert session.attendances.get().minutes == Decimal(30)
    assert not teams.received("create_meeting") and sync_meetings(connection, trigger=ADMIN).selected == 0


def test_recordings_refused_are_a_note_not_a_failure(teams, connection):
    meeting = teams.add_meeting()
    session = session_on(connection, ended=True, room_id=meeting.id)
    teams.hold(meeting, session.start, session.end, [])
    teams.recordings_forbidden = True
    run = sync_attendance(connection, trigger=ADMIN)
    assert (run.status, run.sent) == (Run.Status.COMPLETED, 1)
    assert "OnlineMeetingRecording.Read.All" in messages(run)["recording_not_read"]
    # a recording written later is picked up by a later run, within the window
    teams.recordings_forbidden = False
    teams.record(meeting, "https://contoso.example/recording/content")
    sync_attendance(connection, trigger=ADMIN)
    session.refresh_from_db()
    assert session.recording_url == "https://contoso.example/recording/content"


def test_rate_limit_is_waited_out_and_an_expired_token_replaced(teams, connection):
    meeting = teams.add_meeting()
    session = session_on(connection, ended=True, room_id=meeting.id)
    report = teams.hold(meeting, session.start, session.end, [attendance_record("a@example.org", (session.start, 60))])
    client = TeamsClient(connection, sleep=lambda seconds: None)
    client.token()
    teams.expire_tokens()  # the next call answers 401 InvalidAuthenticationToken
    teams.throttle("records", retry_after=0)
    rows = list(client.attendance(meeting.id, report.id))
    assert [(r.email, r.seconds) for r in rows] == [("a@example.org", 60)]
    assert [r.status for r in teams.received("records")] == [429, 401, 200]
    assert len(teams.received("token")) == 2


def test_a_next_link_to_another_host_is_refused(teams, connection):
    meeting = teams.add_meeting()
    client = TeamsClient(connection)
    teams.fail("reports", 200, body={"value": [], "@odata.nextLink": "https://evil.example/v1.0/steal"})
    with pytest.raises(Exception, match="another host"):
        client.attendance_reports(meeting.id)


# The fake itself: strict as Graph documents it


def _bearer(teams):
    answer = requests.post(
        f"{teams.base_url}/{teams.tenant_id}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": teams.client_id,
            "client_secret": teams.client_secret,
            "scope": fake_module.SCOPE,
        },
        timeout=5,
    )
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"subject": "x", "lobbySettings": {}}, "does not exist on type 'microsoft.graph.onlineMeeting'"),
        ({"subject": "x", "lobbyBypassSettings": {"scope": "anyone"}}, "not found in the enum type"),
        ({"subject": "x", "lobbyBypassSettings": {"isDialInBypass": True}}, "lobbyBypassSettings"),
        ({"subject": "x", "joinWebUrl": "https://x"}, "read-only"),
        ({"subject": "x", "startDateTime": "2027-03-01 09:00"}, "Edm.DateTimeOffset"),
        ({"subject": "x", "allowedPresenters": "unknownFutureValue"}, "enum type"),
        ({"subject": "x", "attendanceReports": []}, "Navigation property"),
        (
            {"subject": "x", "startDateTime": "2027-03-01T10:00:00Z", "endDateTime": "2027-03-01T09:00:00Z"},
            "after startDateTime",
        ),
    ],
)
def test_the_fake_refuses_what_graph_does_not_define(teams, body, needle):
    answer = requests.post(
        f"{teams.base_url}/v1.0/users/{teams.organizer_id}/onlineMeetings", json=body, headers=_bearer(teams), timeout=5
    )
    assert answer.status_code == 400
    assert needle in answer.json()["error"]["message"]


def test_the_fake_checks_tokens_policy_and_skip_tokens(teams):
    url = f"{teams.base_url}/v1.0/users/{teams.organizer_id}/onlineMeetings"
    assert requests.post(url, json={"subject": "x"}, timeout=5).status_code == 401
    headers = _bearer(teams)
    assert requests.post(url, json={"subject": "x"}, headers=headers, timeout=5).status_code == 201
    other = "00000000-0000-4000-8000-000000000001"
    teams.users.add(other)
    assert (
        requests.post(
            url.replace(teams.organizer_id, other), json={"subject": "x"}, headers=headers, timeout=5
        ).status_code
        == 403
    )
    meeting = teams.add_meeting()
    reports = f"{url}/{meeting.id}/attendanceReports"
    assert requests.get(reports, params={"$top": "5"}, headers=headers, timeout=5).status_code == 400
    assert requests.get(reports, params={"$skiptoken": "forged"}, headers=headers, timeout=5).status_code == 400
    bad_scope = requests.post(
        f"{teams.base_url}/{teams.tenant_id}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": teams.client_id,
            "client_secret": "s",
            "scope": "User.Read",
        },
        timeout=5,
    )
    assert bad_scope.json()["error"] == "invalid_scope"


def test_the_committed_extract_matches_the_csdl():
    path = fake_module.csdl_path()
    if path is None:
        pytest.skip("../shared/data/msgraph is not on this machine")
    extract = json.loads(fake_module.DATA.read_text())
    csdl = fake_module.schema_from_csdl(path)
    for part in ("types", "navigation", "enums"):
        assert extract[part] == csdl[part]
    assert set(csdl["types"]["lobbyBypassSettings"]) == {"scope", "isDialInBypassEnabled"}
    assert {"emailAddress", "attendanceIntervals", "totalAttendanceInSeconds"} <= set(csdl["types"]["attendanceRecord"])


def test_graph_timestamps_with_seven_decimals_are_read():
    assert parse_graph_time("2027-03-01T09:00:00.1234567Z") == datetime.datetime(
        2027, 3, 1, 9, 0, 0, 123456, tzinfo=datetime.UTC
    )
    assert parse_graph_time("not a time") is None


def _sync_queries(teams, connection, learners: int) -> int:
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    meeting = teams.add_meeting()
    session = session_on(connection, ended=True, room_id=meeting.id, title=f"{learners} learners")
    users = [LearnerFactory(customer=connection.customer).user for _ in range(learners)]
    records = [attendance_record(u.email, (session.start, 600), (session.start, 600)) for u in users]
    teams.hold(meeting, session.start, session.end, records)
    with CaptureQueriesContext(db) as queries:
        run = sync_attendance(connection, trigger=ADMIN)
    assert (run.sent, session.attendances.count()) == (1, learners)
    return len(queries)


def test_the_attendance_sync_costs_the_same_queries_for_10_or_100_learners(teams, connection):
    teams.page_size = 1000  # one page either way: only the number of records differs
    _sync_queries(teams, connection, 1)  # the token is fetched and stored once
    assert _sync_queries(teams, connection, 10) == _sync_queries(teams, connection, 100)
