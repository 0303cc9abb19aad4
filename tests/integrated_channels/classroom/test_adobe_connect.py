"""The Adobe Connect connector against the strict fake: login cookie, rooms, permissions, attendance,
quiz scores deciding completion, recordings, and bad input (strangers, deleted rooms, rooms still in use,
hostile XML)."""

import datetime
import functools
from decimal import Decimal

import pytest
import requests
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from enterprise.lms.local.models import Certificate
from integrated_channels.classroom.adobe_connect import AdobeConnectClient, ConnectRefused
from integrated_channels.classroom.adobe_connect_operations import sync_attendance, sync_rooms, test_connection
from integrated_channels.classroom.models import AdobeConnectConnection, QuizAnswer, QuizResult, Session
from integrated_channels.classroom.services.registration import cancel_registration, register_enrolled_learners
from integrated_channels.integrated_channel.models import Run
from tests.factories import CourseFactory, CustomerFactory, EnrollmentFactory, LearnerFactory
from tests.fakes.adobe_connect import FakeAdobeConnect
from tests.integrated_channels.classroom.support import session_on as classroom_session

pytestmark = pytest.mark.django_db
ADMIN = Run.Trigger.ADMIN
COURSE = "course-v1:Org+AC1+2027"


@pytest.fixture
def connect():
    with FakeAdobeConnect() as fake:
        yield fake


@pytest.fixture
def connection(connect):
    return AdobeConnectConnection.objects.create(
        customer=CustomerFactory(),
        active=True,
        domain="acme.adobeconnect.com",
        login=connect.admin_login,
        password=connect.admin_password,
        folder_sco_id=connect.folder.sco_id,
        template_sco_id=connect.template.sco_id,
        api_url=connect.base_url,
    )


session_on = functools.partial(classroom_session, course_id=COURSE, title="Connect session", time_zone="Europe/Paris")


def learner_of(connection, email, *, enrolled=False):
    learner = LearnerFactory(customer=connection.customer, user__email=email)
    if enrolled:
        EnrollmentFactory(learner=learner, course_id=COURSE)
    return learner.user


def test_connection_test_logs_in_with_the_password_in_a_form_body(connect, connection):
    assert test_connection(connection).ok
    (login,) = connect.called("login")
    assert login.method == "POST" and login.in_query == {"action"}  # the password is in no URL
    connection.password = "wrong-password"
    connection.save()
    result = test_connection(connection)
    assert not result.ok and "no-data" in result.message and "wrong-password" not in result.message


def test_dynamic_room_created_from_the_template_with_learners_as_participants(connect, connection):
    session = session_on(connection)
    known = learner_of(connection, "known@example.com", enrolled=True)
    connect.add_principal("known@example.com", "Kim", "Known")  # already a Connect user: found, not created
    new = learner_of(connection, "new@example.com", enrolled=True)
    register_enrolled_learners(session=session)
    mail.outbox.clear()
    run = sync_rooms(connection, trigger=ADMIN)
    assert (run.status, run.sent) == (Run.Status.COMPLETED, 1), list(run.errors.values_list("message", flat=True))
    session.refresh_from_db()
    room = connect.scos[session.room_id]
    assert (room.folder_id, room.source_sco_id) == (connect.folder.sco_id, connect.template.sco_id)
    assert room.name == f"Connect session ({session.start:%Y-%m-%d}, session {session.pk})"
    assert (room.date_begin, room.date_end) == (session.start, session.end)
    assert session.join_url == f"https://acme.adobeconnect.com/{room.url_path.strip('/')}/"
    assert room.permissions == {connect.principal_of(u.email): "view" for u in (known, new)}
    assert len(connect.called("principal-update")) == 1  # only the learner Connect did not know
    assert dict(session.registrations.values_list("user__email", "provider_registrant_id")) == {
        u.email: connect.principal_of(u.email) for u in (known, new)
    }
    assert {m.to[0] for m in mail.outbox} == {known.email, new.email}
    assert all(session.join_url in m.body for m in mail.outbox)
    assert all(call.cookie for call in connect.calls if call.action != "login")
    # a second run updates the room; nobody is created or granted twice, nobody is mailed again
    Session.objects.filter(pk=session.pk).update(title="Renamed")
    mail.outbox.clear()
    assert sync_rooms(connection, trigger=ADMIN).sent == 1
    assert room.name.startswith("Renamed (") and len([s for s in connect.scos.values() if s.type == "meeting"]) == 2
    assert len(connect.called("principal-update")) == 1 and len(connect.called("permissions-update")) == 1
    assert mail.outbox == []
    # an unenrolled learner loses access at the next run
    cancel_registration(session=session, user_id=new.pk)
    sync_rooms(connection, trigger=ADMIN)
    assert room.permissions == {connect.principal_of(known.email): "view"}
    assert session.registrations.get(user=new).provider_registrant_id == ""


def test_persistent_room_named_by_its_url_path(connect, connection):
    room = connect.add_room("Weekly training", "/weekly-training/")
    session = session_on(connection, room_kind=Session.RoomKind.PERSISTENT, room_id="/weekly-training/")
    learner_of(connection, "ann@example.com", enrolled=True)
    run = sync_rooms(connection, trigger=ADMIN)
    assert (run.status, run.sent) == (Run.Status.COMPLETED, 1)
    session.refresh_from_db()
    assert session.room_id == room.sco_id and session.join_url == "https://acme.adobeconnect.com/weekly-training/"
    assert room.permissions == {connect.principal_of("ann@example.com"): "view"}
    assert connect.called("sco-update") == []  # an existing room is used, never created or changed
    gone = session_on(connection, room_kind=Session.RoomKind.PERSISTENT, room_id="/no-such-room/")
    run = sync_rooms(connection, trigger=ADMIN)
    assert (run.sent, run.failed) == (1, 1)
    gone.refresh_from_db()
    assert gone.status == Session.Status.MEETING_DELETED


def test_attendance_and_quiz_scores_decide_completion(connect, connection):
    course = CourseFactory(course_id=COURSE)
    room = connect.add_room("Quiz room")
    session = session_on(
        connection, ended=True, room_id=room.sco_id, min_attendance_percent=Decimal(75), min_quiz_percent=Decimal(70)
    )
    good, weak, absent = (learner_of(connection, f"{n}@example.com") for n in ("good", "weak", "absent"))
    for user in (good, weak, absent):
        connect.add_principal(user.email, user.first_name or "F", "L")
    start = session.start
    connect.add_visit(room, login=good.email, start=start - datetime.timedelta(minutes=5), minutes=30)
    connect.add_visit(room, login=good.email, start=start + datetime.timedelta(minutes=30), minutes=25)  # rejoined
    connect.add_visit(room, login=weak.email, start=start, minutes=60)
    connect.add_visit(room, login=absent.email, start=start - datetime.timedelta(days=7), minutes=60)  # last week
    connect.add_visit(room, login="stranger@example.org", start=start, minutes=60)
    connect.add_visit(room, login="", name="Guest caller", start=start, minutes=60)
    questions = [("Capital of France?", "Paris"), ("2 + 2?", "4"), ("Largest ocean?", "Pacific")]
    taken = session.end - datetime.timedelta(minutes=5)
    connect.add_quiz(room, login=good.email, taken=taken, answers=[(q, a, 3) for q, a in questions], max_score=10)
    connect.add_quiz(room, login=weak.email, taken=taken, answers=[(q, "?", 1) for q, _a in questions], max_score=10)
    connect.add_quiz(  # a better second attempt counts
        room, login=weak.email, taken=taken + datetime.timedelta(minutes=1), max_score=10,
        answers=[(questions[0][0], "Paris", 3), (questions[1][0], "4", 2), (questions[2][0], "?", 0)],
    )  # fmt: skip
    connect.add_recording(room, begin=start, passcode="R3c-0rd")
    run = sync_attendance(connection, trigger=ADMIN)
    assert (run.status, run.selected, run.sent) == (Run.Status.COMPLETED, 1, 1)
    minutes = dict(session.attendances.values_list("user__email", "minutes"))
    assert minutes == {good.email: Decimal(55), weak.email: Decimal(60)}  # last week's visit is another session's
    scores = {r.user.email: (r.points, r.max_points, r.percent, r.passed) for r in QuizResult.objects.all()}
    assert scores == {
        good.email: (Decimal(9), Decimal(10), Decimal(90), True),
        weak.email: (Decimal(5), Decimal(10), Decimal(50), True),
    }
    by_question = {(a.user.email, a.question_number): (a.response, a.points) for a in QuizAnswer.objects.all()}
    assert by_question[(good.email, 1)] == ("Paris", Decimal(3))
    assert by_question[(weak.email, 2)] == ("4", Decimal(2))  # the kept attempt's answers, not the first one's
    assert len(by_question) == 6
    assert set(session.attendances.values_list("user__email", "quiz_percent")) == {
        (good.email, Decimal(90)),
        (weak.email, Decimal(50)),
    }
    # good attended 55 of 60 minutes (>= 75 %) and scored 90 (>= 70); weak attended all but scored 50
    assert set(Certificate.objects.filter(course=course).values_list("user__email", flat=True)) == {good.email}
    session.refresh_from_db()
    recording = connect.scos[session.room_id].recordings[0]["sco"]
    assert session.recording_url == f"https://acme.adobeconnect.com/{recording.url_path.strip('/')}/"
    assert session.recording_passcode == "R3c-0rd"
    reported = dict(run.errors.values_list("code", "message"))
    assert "stranger@example.org" in reported["participant_not_a_learner"]
    assert "Guest caller" in reported["participant_without_email"]
    takers = connect.called("report-quiz-takers")
    assert takers[0].param("filter-gte-date-created") == (start - datetime.timedelta(minutes=30)).strftime(
        "%Y-%m-%dT%H:%M:%S.000+00:00"
    )
    assert sync_attendance(connection, trigger=ADMIN).selected == 0  # synced sessions are not read again


def test_room_in_use_is_retried_and_a_deleted_room_marks_the_session(connect, connection):
    room = connect.add_room("Still running")
    waiting = session_on(connection, ended=True, room_id=room.sco_id)
    user = learner_of(connection, "late@example.com")
    connect.add_principal(user.email)
    connect.add_visit(room, login=user.email, start=waiting.start, minutes=None)  # still in the room
    gone = session_on(connection, ended=True, room_id="2999999999")
    run = sync_attendance(connection, trigger=ADMIN)
    assert (run.status, run.selected, run.skipped, run.failed) == (Run.Status.COMPLETED_WITH_ERRORS, 2, 1, 1)
    assert run.skip_reasons == {"meeting_not_ended": 1}
    gone.refresh_from_db()
    assert gone.status == Session.Status.MEETING_DELETED
    assert run.errors.get().code == "meeting_deleted"
    room.visits[0]["end"] = waiting.start + datetime.timedelta(minutes=50)
    second = sync_attendance(connection, trigger=ADMIN)
    assert (second.status, second.selected, second.sent) == (Run.Status.COMPLETED, 1, 1)
    assert waiting.attendances.get().minutes == Decimal(50)
    waiting.refresh_from_db()
    assert waiting.recording_url == ""  # no recording yet: not an error


def test_hostile_xml_answer_is_refused_without_expanding_it(connect, connection, tmp_path):
    canary = tmp_path / "canary.txt"
    canary.write_text("canary-ac-never-read")
    room = connect.add_room("Hostile")
    session = session_on(connection, ended=True, room_id=room.sco_id)
    hostile = (
        f'<?xml version="1.0"?><!DOCTYPE results [<!ENTITY x SYSTEM "file://{canary}">]>'
        '<results><status code="ok"/><report-meeting-attendance><row principal-id="1"><login>&x;</login>'
        "<date-created>2027-01-01T00:00:00.000+00:00</date-created></row></report-meeting-attendance></results>"
    )
    connect.script("report-meeting-attendance", hostile)
    run = sync_attendance(connection, trigger=ADMIN)
    assert (run.status, run.failed) == (Run.Status.COMPLETED_WITH_ERRORS, 1)
    error = run.errors.get()
    assert error.code == "malformed_response" and "DTD or entities" in error.message
    assert "canary-ac-never-read" not in error.message and not session.attendances.exists()
    session.refresh_from_db()
    assert session.status == Session.Status.SCHEDULED and session.attendance_synced_at is None  # tried again


def test_an_expired_session_cookie_is_replaced_once(connect, connection):
    room = connect.add_room("Expiring")
    with AdobeConnectClient(connection) as client:
        client.login()
        connect.sessions.clear()  # Connect forgot the session: the next call answers no-access / no-login
        assert client.room(room.sco_id).get("sco-id") == room.sco_id
    assert [(c.action, c.status) for c in connect.calls] == [
        ("login", "ok"),
        ("sco-info", "no-access"),
        ("login", "ok"),
        ("sco-info", "ok"),
    ]


def test_refusals_name_connects_status_subcode_and_field(connect, connection):
    session = session_on(connection)
    connection.folder_sco_id = connect.template.sco_id  # a meeting, not a folder
    connection.save()
    run = sync_rooms(connection, trigger=ADMIN)
    assert (run.status, run.failed) == (Run.Status.COMPLETED_WITH_ERRORS, 1)
    assert "invalid (field folder-id: no-such-item)" in run.errors.get().message
    session.refresh_from_db()
    assert session.room_id == "" and session.status == Session.Status.SCHEDULED
    with AdobeConnectClient(connection) as client, pytest.raises(ConnectRefused) as refused:
        client.call("principal-list", [("filter-mail", "typo@example.com")])
    assert (refused.value.status, refused.value.field, refused.value.subcode) == ("invalid", "filter-mail", "format")


def test_the_fake_refuses_calls_without_the_session_cookie_and_unknown_actions(connect):
    answer = requests.get(f"{connect.base_url}/api/xml", params={"action": "sco-info", "sco-id": "1"}, timeout=5)
    assert '<status code="no-access" subcode="no-login"/>' in answer.text
    answer = requests.get(f"{connect.base_url}/api/xml", params={"action": "sco-explode"}, timeout=5)
    assert 'field="action"' in answer.text and 'subcode="no-such-item"' in answer.text


def test_quiz_scores_are_held_by_constraints(connection):
    session = session_on(connection, ended=True, room_id="1")
    user = learner_of(connection, "q@example.com")
    for points, max_points, percent in ((11, 10, 100), (-1, 10, 0), (1, 0, 0), (5, 10, 101)):
        with pytest.raises(IntegrityError), transaction.atomic():
            QuizResult.objects.create(session=session, user=user, points=points, max_points=max_points, percent=percent)
    QuizAnswer.objects.create(session=session, user=user, interaction_id="1", question_number=1, question="Q", points=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        QuizAnswer.objects.create(
            session=session, user=user, interaction_id="2", question_number=1, question="Q", points=0
        )


def test_attendance_and_scoring_report_in_the_admin(client, connection):
    from django.urls import reverse

    from integrated_channels.classroom.services.attendance import correct_attendance
    from tests.factories import StaffFactory

    staff = StaffFactory()
    session = session_on(connection, ended=True, room_id="1", min_attendance_percent=None, min_quiz_percent=60)
    ann, bob = learner_of(connection, "ann@example.com"), learner_of(connection, "bob@example.com")
    QuizResult.objects.create(session=session, user=ann, points=8, max_points=10, percent=80, passed=True)
    QuizResult.objects.create(session=session, user=bob, points=4, max_points=10, percent=40, passed=False)
    for user, points in ((ann, (2, 3, 3)), (bob, (0, 2, 2))):
        for number, value in enumerate(points, start=1):
            QuizAnswer.objects.create(
                session=session, user=user, interaction_id=f"{user.pk}{number}", question_number=number,
                question=f"Question {number}?", response="r", points=value,
            )  # fmt: skip
    correct_attendance(
        session=session, user_id=ann.pk, minutes=Decimal(45), quiz_percent=Decimal(80), corrected_by=staff
    )
    client.force_login(staff)
    listing = client.get(reverse("admin:classroom_sessionscoring_changelist"))
    assert listing.status_code == 200 and "60.0" in listing.content.decode()  # the average score
    page = client.get(reverse("admin:classroom_sessionscoring_change", args=[session.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    for heading in ("Attendance &amp; Scoring", "By User", "By Question"):
        assert f"<h2>{heading}</h2>" in html
    assert [(r.user, r.percent) for r in page.context["by_user"]] == [(ann, Decimal(80)), (bob, Decimal(40))]
    assert [(q["question_number"], q["correct"], q["share"]) for q in page.context["by_question"]] == [
        (1, 1, 50),
        (2, 2, 100),
        (3, 2, 100),
    ]
    (row,) = page.context["attendance"]
    assert (row["share"], row["met"], row["manual"]) == (Decimal("75.0"), True, True)
    assert "8.00 / 10.00" in html and "corrected by hand" in html


def test_quiz_scores_are_stored_in_a_constant_number_of_queries(connection):
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    from integrated_channels.classroom.services.quiz import Answer, Attempt, record_quiz

    def record(session, emails):
        attempts = [
            Attempt(email=e, attempt_id=f"t{i}", points=Decimal(7), max_points=Decimal(10))
            for i, e in enumerate(emails)
        ]
        answers = [
            Answer(
                attempt_id=f"t{i}",
                interaction_id=f"{i}-{q}",
                question_number=q,
                question=f"Q{q}",
                response="r",
                points=Decimal(q % 2),
            )
            for i in range(len(emails))
            for q in (1, 2, 3)
        ]
        with CaptureQueriesContext(db) as queries:
            result = record_quiz(session=session, attempts=attempts, answers=answers)
        return result, len(queries)

    few = [learner_of(connection, f"few{i}@example.com").email for i in range(3)]
    many = [learner_of(connection, f"many{i}@example.com").email for i in range(60)]
    small, small_queries = record(session_on(connection, ended=True, room_id="1"), few)
    large, large_queries = record(session_on(connection, ended=True, room_id="2"), [*many, "nobody@example.org"])
    assert (small.learners, large.learners, large.answers) == (3, 60, 180)
    assert large.unknown_emails == ["nobody@example.org"] and set(large.percents.values()) == {Decimal(70)}
    # 20 times the learners, no more queries (SQLite's bound-variable limit may split a bulk insert in two)
    assert small_queries <= large_queries <= small_queries + 2


def test_learners_known_to_connect_by_another_login_or_e_mail_are_joined_by_principal(connect, connection):
    course = CourseFactory(course_id=COURSE)
    session = session_on(connection, min_attendance_percent=Decimal(50))
    jdoe = learner_of(connection, "jane.doe@example.com", enrolled=True)
    lee = learner_of(connection, "lee@example.com", enrolled=True)
    jane_id = connect.add_principal("jdoe", "Jane", "Doe", email="jane.doe@example.com")  # login is no e-mail
    lee_id = connect.add_principal("lee@example.com", "Lee", "L", email="lee.old@example.org")  # e-mail changed
    assert sync_rooms(connection, trigger=ADMIN).status == Run.Status.COMPLETED
    session.refresh_from_db()
    assert connect.scos[session.room_id].permissions == {jane_id: "view", lee_id: "view"}
    assert [c.status for c in connect.called("principal-update")] == ["invalid"]  # lee: duplicate login, found
    # after the session, jdoe's visits name only her login "jdoe": her principal id joins them to her
    later = timezone.now() - datetime.timedelta(hours=2)
    Session.objects.filter(pk=session.pk).update(start=later, end=later + datetime.timedelta(hours=1))
    session.refresh_from_db()
    room = connect.scos[session.room_id]
    connect.add_visit(room, login="jdoe", start=session.start, minutes=40)
    connect.add_visit(room, login="lee@example.com", start=session.start, minutes=10)
    run = sync_attendance(connection, trigger=ADMIN)
    assert (run.status, run.sent) == (Run.Status.COMPLETED, 1) and not run.errors.exists()
    assert dict(session.attendances.values_list("user__email", "minutes")) == {
        jdoe.email: Decimal(40),
        lee.email: Decimal(10),
    }
    assert set(Certificate.objects.filter(course=course).values_list("user__email", flat=True)) == {jdoe.email}
