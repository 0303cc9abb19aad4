"""The Zoom connection's operations, on the framework's runs: meetings for sessions, and attendance sync.

``sync_meetings`` (export): every upcoming session hosted on the connection has its registrations
brought in line with the course's enrollments, and gets its Zoom meeting
(created for a dynamic room, updated when it exists) and, when the connection takes registrations,
its registered learners as registrants; a new join link re-sends the learners' invitation.

``sync_attendance`` (import, scheduled after sessions end and on demand): for each ended session
not synced yet, the meeting's participants report (every page), summed per learner and written
with the other sessions' per chunk (``AttendanceWriter``: three statements per chunk, none per
session or page), then the completions of the synced sessions in two upserts (decision 0395).
The database queries of a run do not grow with its sessions or their pages. Counts are sessions: ``sent`` synced,
``skipped`` not ended yet (retried at the next run, reason ``meeting_not_ended``), ``failed`` meeting
deleted (the session is marked so and never synced again) or refused. Participants without an
e-mail, or with the e-mail of no learner of the customer, are listed in the run's report
(codes ``participant_without_email`` / ``participant_not_a_learner``) without failing it (decision 0312).
"""

from __future__ import annotations

import datetime

from integrated_channels.classroom.exceptions import MeetingDeleted, MeetingNotEnded
from integrated_channels.classroom.models import Registration, Session, ZoomConnection
from integrated_channels.classroom.services import sync_runs
from integrated_channels.classroom.services.attendance import (
    AttendanceRecorded,
    AttendanceWriter,
)
from integrated_channels.classroom.services.registration import register_enrolled_learners, session_changed
from integrated_channels.classroom.zoom import ZoomClient
from integrated_channels.integrated_channel.exceptions import ChannelError
from integrated_channels.integrated_channel.models import Run, RunError
from integrated_channels.integrated_channel.services import runs
from integrated_channels.integrated_channel.services.connections import ConnectionTest

SYNC_MEETINGS = "zoom_meetings"
SYNC_ATTENDANCE = "zoom_attendance"


def _start_time(session: Session) -> str:
    return session.start.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _minutes(session: Session) -> int:
    return max(int((session.end - session.start).total_seconds() // 60), 1)


def _fail_run(run: Run, error: Exception, selected: int) -> Run:
    return sync_runs.fail_run(run, error, selected, default_code="zoom_failed")


def _failure(run: Run, session: Session, error: Exception, *, deleted: bool = False) -> RunError:
    return sync_runs.session_failure(run, session, error, default_code="zoom_failed", deleted=deleted)


def sync_meetings(configuration: ZoomConnection, *, trigger, start_date=None, api_user=None, run=None) -> Run:
    run = run or runs.start_run(configuration=configuration, kind=SYNC_MEETINGS, trigger=trigger, api_user=api_user)
    sessions = list(sync_runs.upcoming_sessions(configuration))
    with ZoomClient(configuration) as client:
        return sync_runs.sync_signed_in(
            run,
            sessions,
            client.token,
            lambda session: _sync_meeting(client, configuration, session),
            default_code="zoom_failed",
        )


def _sync_meeting(client: ZoomClient, configuration: ZoomConnection, session: Session) -> None:
    register_enrolled_learners(session=session)  # enrollments made or ended set-based since the last run
    fields = {
        "topic": session.title,
        "start_time": _start_time(session),
        "minutes": _minutes(session),
        "time_zone": session.time_zone,
    }
    if not session.room_id:
        meeting = client.create_meeting(**fields, registration=configuration.registration_required)
        session.room_id, session.join_url = str(meeting["id"]), meeting["join_url"]
        session.save(update_fields=["room_id", "join_url", "modified"])
        session_changed(session=session)  # the learners' invitation now carries the join link
    else:
        client.update_meeting(session.room_id, **fields)
    if configuration.registration_required:
        waiting = (
            session.registrations.filter(status=Registration.Status.REGISTERED, provider_registrant_id="")
            .select_related("user")
            .order_by("pk")
        )
        for registration in waiting:
            user = registration.user
            answer = client.add_registrant(
                session.room_id, email=user.email, first_name=user.first_name, last_name=user.last_name
            )
            Registration.objects.filter(pk=registration.pk).update(provider_registrant_id=answer["registrant_id"])


def sync_attendance(configuration: ZoomConnection, *, trigger, start_date=None, api_user=None, run=None) -> Run:
    run = run or runs.start_run(configuration=configuration, kind=SYNC_ATTENDANCE, trigger=trigger, api_user=api_user)
    sessions = list(sync_runs.ended_sessions(configuration, start_date).select_related("customer"))  # in the notes
    synced: list[int] = []
    recorded: list[tuple[Session, AttendanceRecorded]] = []  # complete once the writer has flushed
    not_ended = failed = 0
    notes: list[RunError] = []
    writer = AttendanceWriter()
    with ZoomClient(configuration) as client:
        try:
            client.token()
        except ChannelError as error:
            return _fail_run(run, error, len(sessions))
        for session in sessions:
            try:
                meeting = client.get_meeting(session.room_id)
                if meeting.get("status") == "started":
                    raise MeetingNotEnded(f"Zoom meeting {session.room_id} is still running.", code="meeting_not_ended")
                participants = list(client.participants(session.room_id))  # every page, before anything is written
            except MeetingNotEnded:
                not_ended += 1
                continue
            except MeetingDeleted as error:
                Session.objects.filter(pk=session.pk).update(status=Session.Status.MEETING_DELETED)
                notes.append(_failure(run, session, error, deleted=True))
                failed += 1
                continue
            except ChannelError as error:
                notes.append(_failure(run, session, error))
                failed += 1
                continue
            synced.append(session.pk)
            recorded.append((session, writer.add(session, participants)))
            if not session.recording_url:
                recording = client.recording(session.room_id)  # a refusal here fails the run: the token works
                if recording is not None:
                    Session.objects.filter(pk=session.pk).update(
                        recording_url=recording[0], recording_passcode=recording[1][:64]
                    )
    writer.flush()
    for session, result in recorded:
        notes += sync_runs.participant_notes(run, session, result)
    return sync_runs.finish_attendance(
        run, selected=len(sessions), synced=synced, not_ended=not_ended, failed=failed, notes=notes
    )


def test_connection(configuration: ZoomConnection) -> ConnectionTest:
    """Ask Zoom for a token with the account_credentials grant: it proves the account id, client id and secret."""
    with ZoomClient(configuration) as client:
        try:
            client.token()
        except ChannelError as error:
            return ConnectionTest(ok=False, message=f"Failed: {error}")
    return ConnectionTest(ok=True, message="Connected: Zoom issued a token for the account.")


test_connection.__test__ = False
