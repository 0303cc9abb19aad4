"""The Adobe Connect connection's operations, on the framework's runs: rooms for sessions, attendance and quiz scores.

``sync_rooms`` (export): every upcoming session hosted on the connection has its registrations
brought in line with the course's enrollments and gets its room: a dynamic room is created from
the template in the meetings folder (sco-update) and kept up to date; a persistent room named by
its URL path is resolved to its sco-id (sco-by-url), one named by sco-id is checked (sco-info).
Each registered learner becomes a Connect user (found by e-mail, else created) given participant
permission (``view``) on the room; the principal id is kept on the registration. A learner whose
registration was cancelled since loses the permission (``remove``). A new join link
re-sends the learners' invitation.

``sync_attendance`` (import, scheduled after sessions end and on demand): for each ended session
not synced yet, the room's attendance report within the session's window (a persistent room
holds every session's visits), summed per learner; the quiz takers report (final score: points of
the maximum, and percent) and the quiz interactions report (per question), stored and used by the
completion rule; the recording and its passcode. Counts are sessions, as for Zoom (decision 0312):
``skipped`` not ended yet (a visit without its end: someone is still in the room; retried),
``failed`` room deleted (marked so, never synced again) or refused.
"""

from __future__ import annotations

import datetime

from integrated_channels.classroom.adobe_connect import AdobeConnectClient
from integrated_channels.classroom.adobe_connect_models import AdobeConnectConnection
from integrated_channels.classroom.exceptions import MeetingDeleted, MeetingNotEnded
from integrated_channels.classroom.models import Registration, Session
from integrated_channels.classroom.services import sync_runs
from integrated_channels.classroom.services.attendance import (
    Participant,
    record_provider_attendance,
)
from integrated_channels.classroom.services.quiz import Answer, Attempt, record_quiz
from integrated_channels.classroom.services.registration import register_enrolled_learners, session_changed
from integrated_channels.integrated_channel.exceptions import ChannelConfigurationError, ChannelError
from integrated_channels.integrated_channel.models import Run, RunError
from integrated_channels.integrated_channel.services import runs
from integrated_channels.integrated_channel.services.connections import ConnectionTest

SYNC_ROOMS = "adobe_connect_rooms"
SYNC_ATTENDANCE = "adobe_connect_attendance"
#: learners enter a room before the session starts; visits from then on count for the session
EARLY = datetime.timedelta(minutes=30)
#: quiz attempts up to this long after the scheduled end still belong to the session
LATE = datetime.timedelta(hours=1)
PASSED = {"user-passed": True, "user-failed": False}


def _fail_run(run: Run, error: Exception, selected: int) -> Run:
    return sync_runs.fail_run(run, error, selected, default_code="adobe_connect_failed")


def _failure(run: Run, session: Session, error: Exception, *, deleted: bool = False) -> RunError:
    if deleted:
        Session.objects.filter(pk=session.pk).update(status=Session.Status.MEETING_DELETED)
    return sync_runs.session_failure(run, session, error, default_code="adobe_connect_failed", deleted=deleted)


# Rooms


def sync_rooms(configuration: AdobeConnectConnection, *, trigger, start_date=None, api_user=None, run=None) -> Run:
    run = run or runs.start_run(configuration=configuration, kind=SYNC_ROOMS, trigger=trigger, api_user=api_user)
    sessions = list(sync_runs.upcoming_sessions(configuration, dynamic_only=False).order_by("start", "pk"))
    with AdobeConnectClient(configuration) as client:
        return sync_runs.sync_signed_in(
            run,
            sessions,
            client.login,
            lambda session: _sync_room(client, configuration, session),
            default_code="adobe_connect_failed",
        )


def _sync_room(client: AdobeConnectClient, configuration: AdobeConnectConnection, session: Session) -> None:
    register_enrolled_learners(session=session)  # enrollments made or ended set-based since the last run
    announced, named = session.join_url, session.room_id
    if session.room_kind == Session.RoomKind.PERSISTENT:
        room = session.room_id.strip()
        if room.isdigit():
            url_path = _url_path(client.room(room))
        else:  # a URL path or a whole room URL: /training/ or https://acme.adobeconnect.com/training/
            room, url_path = client.room_by_url(room.split("adobeconnect.com", 1)[-1])
        session.room_id, session.join_url = room, client.join_url(url_path)
    elif not session.room_id:
        if not configuration.folder_sco_id:
            raise ChannelConfigurationError(
                "The connection names no meetings folder (sco-id) to create dynamic rooms in."
            )
        room, url_path = client.create_room(name=_room_name(session), begin=session.start, end=session.end)
        session.room_id, session.join_url = room, client.join_url(url_path)
    else:
        client.update_room(session.room_id, name=_room_name(session), begin=session.start, end=session.end)
    if (session.room_id, session.join_url) != (named, announced):
        session.save(update_fields=["room_id", "join_url", "modified"])
    if session.join_url != announced:
        session_changed(session=session)  # the learners' invitation now carries the join link
    waiting = list(
        session.registrations.filter(status=Registration.Status.REGISTERED, provider_registrant_id="")
        .select_related("user")
        .order_by("pk")
    )
    principals = {}
    for registration in waiting:
        user = registration.user
        principals[registration.pk] = client.ensure_principal(
            email=user.email, first_name=user.first_name, last_name=user.last_name
        )
    client.grant_participants(session.room_id, list(dict.fromkeys(principals.values())))
    for registration_pk, principal in principals.items():
        Registration.objects.filter(pk=registration_pk).update(provider_registrant_id=principal)
    # learners cancelled (unenrolled) or moved back to the waitlist since they were given access lose it
    revoked = dict(
        session.registrations.exclude(status=Registration.Status.REGISTERED)
        .exclude(provider_registrant_id="")
        .values_list("pk", "provider_registrant_id")
    )
    if revoked:
        client.revoke_participants(session.room_id, list(dict.fromkeys(revoked.values())))
        Registration.objects.filter(pk__in=list(revoked)).update(provider_registrant_id="")


def _room_name(session: Session) -> str:
    """Connect refuses two rooms of one name in a folder: the session's number makes each name unique."""
    return f"{session.title[:200]} ({session.start:%Y-%m-%d}, session {session.pk})"


def _url_path(sco) -> str:
    child = sco.find("url-path")
    return (child.text or "").strip() if child is not None else ""


# Attendance and quiz scores


def sync_attendance(configuration: AdobeConnectConnection, *, trigger, start_date=None, api_user=None, run=None) -> Run:
    run = run or runs.start_run(configuration=configuration, kind=SYNC_ATTENDANCE, trigger=trigger, api_user=api_user)
    sessions = list(sync_runs.ended_sessions(configuration, start_date).order_by("end", "pk"))
    synced: list[int] = []
    not_ended = 0
    notes: list[RunError] = []
    with AdobeConnectClient(configuration) as client:
        try:
            client.login()
        except ChannelError as error:
            return _fail_run(run, error, len(sessions))
        for session in sessions:
            try:
                notes += _sync_session(client, run, session)
            except MeetingNotEnded:
                not_ended += 1
                continue
            except MeetingDeleted as error:
                notes.append(_failure(run, session, error, deleted=True))
                continue
            except ChannelError as error:
                notes.append(_failure(run, session, error))
                continue
            synced.append(session.pk)
    failed = sum(1 for note in notes if note.outcome == RunError.Outcome.FAILED)
    return sync_runs.finish_attendance(
        run, selected=len(sessions), synced=synced, not_ended=not_ended, failed=failed, notes=notes
    )


def _sync_session(client: AdobeConnectClient, run: Run, session: Session) -> list[RunError]:
    room = session.room_id
    client.room(room)  # MeetingDeleted when the room is gone
    since, until = session.start - EARLY, session.end
    visits = list(client.visits(room, since=since, until=until))
    if any(visit.entered is not None and visit.left is None for visit in visits):
        raise MeetingNotEnded(f"Someone is still in Adobe Connect room {room}.", code="meeting_not_ended")
    # a learner's principal id (kept when permission was given) names them even when their login is no e-mail
    by_principal = dict(
        session.registrations.exclude(provider_registrant_id="").values_list("provider_registrant_id", "user__email")
    )

    def email_of(principal_id: str, login: str) -> str:
        return by_principal.get(principal_id) or (login if "@" in login else "")

    participants = [
        Participant(email=email_of(v.principal_id, v.login), name=v.name or v.login, seconds=v.seconds) for v in visits
    ]
    takers = [
        t for t in client.quiz_takers(room, since=since) if t.taken_at is None or t.taken_at <= session.end + LATE
    ]
    quiz = None
    if takers:
        attempts = [
            Attempt(
                email=email_of(t.principal_id, t.login),
                attempt_id=t.transcript_id,
                points=t.points,
                max_points=t.max_points,
                passed=PASSED.get(t.status),
                taken_at=t.taken_at,
            )
            for t in takers
        ]
        answers = [
            Answer(
                attempt_id=i.transcript_id,
                interaction_id=i.interaction_id,
                question_number=i.question_number,
                question=i.question,
                response=i.response,
                points=i.points,
                answered_at=i.answered_at,
            )
            for i in client.quiz_interactions(room, since=since)
        ]
        quiz = record_quiz(session=session, attempts=attempts, answers=answers)
        participants += [Participant(email=e, seconds=0, quiz_percent=p) for e, p in quiz.percents.items()]
    result = record_provider_attendance(session=session, participants=participants)
    if not session.recording_url:
        recording = client.recording(room, since=since)
        if recording is not None:
            Session.objects.filter(pk=session.pk).update(
                recording_url=recording[0][:1000], recording_passcode=recording[1][:64]
            )
    common = {"run": run, "remote_id": room, "course_id": session.course_id}
    notes = sync_runs.participant_notes(
        run, session, result, without_email="entered without an e-mail address or a learner's login"
    )
    notes += [
        RunError(**common, outcome=RunError.Outcome.NOT_ATTEMPTED, code="quiz_score_refused", message=f"{session}: {w}")
        for w in (quiz.refused if quiz else ())
    ]
    return notes


GETTING_STARTED = """\
Hosts the customer's virtual-classroom sessions in Adobe Connect meeting rooms: a dynamic room is created \
from the room template for each session (or an existing, persistent room is used), registered learners \
become Connect users with participant permission on it, and after the session the meeting attendance \
report, the quiz scores (final score per learner and per-question answers) and the recording with its \
passcode come back; attendance and quiz score decide completion by the session's rule.

Prepare, in Adobe Connect Central: an Adobe-hosted account (mycompany.adobeconnect.com; the \
administrator has logged in once and accepted the terms and conditions), the e-mail and password of \
an administrator, the sco-id of the folder dynamic rooms are created in (e.g. Shared Meetings) and, \
optionally, of the meeting template. Test connection logs in with them."""


def register() -> None:
    from integrated_channels.integrated_channel.registry import Channel, Operation, registry

    registry.register(
        Channel(
            code=AdobeConnectConnection.CHANNEL_CODE,
            name="Adobe Connect",
            app_label="classroom",
            configuration_model="classroom.AdobeConnectConnection",
            operations=(
                Operation(SYNC_ROOMS, "Create rooms and give learners access", f"{__name__}.sync_rooms", "export"),
                Operation(
                    SYNC_ATTENDANCE,
                    "Sync attendance, quiz scores and recordings",
                    f"{__name__}.sync_attendance",
                    "import",
                    uses_start_date=True,
                ),
            ),
            connector=True,
            description="Virtual-classroom sessions in Adobe Connect rooms: access, attendance, quiz scores, recordings.",  # noqa: E501
            getting_started=GETTING_STARTED,
            test_connection=f"{__name__}.test_connection",
            extra="classroom",
            extra_modules=("icalendar", "lxml"),
        )
    )


def test_connection(configuration: AdobeConnectConnection) -> ConnectionTest:
    """Log in with the administrator's login and password: it proves the domain and the credentials."""
    with AdobeConnectClient(configuration) as client:
        try:
            client.login()
        except ChannelError as error:
            return ConnectionTest(ok=False, message=f"Failed: {error}")
    return ConnectionTest(ok=True, message="Connected: Adobe Connect accepted the administrator's login.")


test_connection.__test__ = False
