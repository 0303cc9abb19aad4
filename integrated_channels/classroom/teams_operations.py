"""The Microsoft Teams connection's operations, on the framework's runs: meetings for sessions, attendance sync.

``sync_meetings`` (export): every upcoming session with a dynamic room hosted on the connection has
its registrations brought in line with the course's enrollments and gets its online meeting,
created for the organizer (``POST /users/{organizer}/onlineMeetings``, with the connection's lobby
settings) or updated when it exists (``PATCH``); a new join link re-sends the learners' invitation.

``sync_attendance`` (import, scheduled after sessions end and on demand): for each ended session
not synced yet, the meeting's attendance reports (every page) and each report's attendance
records (every page), the attended intervals summed per learner and written with the other
sessions' per chunk (``AttendanceWriter``, decision 0395), then the completions of the synced
sessions set-based. Counts are sessions, as for Zoom (decision 0312): ``sent``
synced, ``skipped`` no report yet (``meeting_not_ended``: retried at the next run), ``failed``
meeting deleted (marked so, never synced again) or refused. Graph has no "meeting ended" flag and
writes no report for a meeting nobody joined, so a session still without a report
``REPORT_GRACE`` after its end is synced with no attendance and a note (decision 0360). A persistent
room is one meeting held again and again: only its reports overlapping the session count.
The recording link is asked for each synced session without one, for ``RECORDING_WINDOW`` after
its end (Teams writes the recording after the meeting).
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from integrated_channels.classroom.exceptions import MeetingDeleted, MeetingNotEnded
from integrated_channels.classroom.models import Session
from integrated_channels.classroom.services import sync_runs
from integrated_channels.classroom.services.attendance import (
    AttendanceRecorded,
    AttendanceWriter,
)
from integrated_channels.classroom.services.registration import register_enrolled_learners, session_changed
from integrated_channels.classroom.teams import PERMISSIONS, TeamsClient, parse_graph_time
from integrated_channels.classroom.teams_models import TeamsConnection
from integrated_channels.integrated_channel.exceptions import ChannelError
from integrated_channels.integrated_channel.models import Run, RunError
from integrated_channels.integrated_channel.registry import Channel, Operation
from integrated_channels.integrated_channel.services import runs
from integrated_channels.integrated_channel.services.connections import ConnectionTest

SYNC_MEETINGS = "teams_meetings"
SYNC_ATTENDANCE = "teams_attendance"
REPORT_GRACE = datetime.timedelta(hours=24)
RECORDING_WINDOW = datetime.timedelta(days=7)
#: A persistent room's report counts for a session when it overlaps the session widened by this.
REPORT_MARGIN = datetime.timedelta(hours=1)

GETTING_STARTED = """\
Hosts the customer's virtual-classroom sessions on Microsoft Teams: an online meeting is created (and kept \
up to date) for each session, with the connection's lobby settings, for one organizer; after the session \
Microsoft Graph's attendance reports come back as attendance, which decides completion by the session's \
rule, and the recording's address when Teams has one.

Prepare, in the Microsoft Entra admin center (App registrations): an app registration with a client \
secret and the application permissions OnlineMeetings.ReadWrite.All, OnlineMeetingArtifact.Read.All \
and (for recordings) OnlineMeetingRecording.Read.All, with admin consent; its tenant ID, client ID and \
secret value; the object ID of the Microsoft 365 user who organizes the meetings.

Then, in Teams PowerShell, allow the app to act for that organizer with an application access policy: \
New-CsApplicationAccessPolicy -Identity Learning-Sessions -AppIds "<client ID>" and \
Grant-CsApplicationAccessPolicy -PolicyName Learning-Sessions -Identity "<organizer object ID>" (it can \
take up to 30 minutes to apply). Test connection asks for a token and makes a call only that policy allows."""


def channel() -> Channel:
    """The registry's description of the Teams connector (registered by the app's ``ready``)."""
    return Channel(
        code=TeamsConnection.CHANNEL_CODE,
        name="Microsoft Teams",
        app_label="classroom",
        configuration_model="classroom.TeamsConnection",
        operations=(
            Operation(
                SYNC_MEETINGS,
                "Create and update meetings",
                "integrated_channels.classroom.teams_operations.sync_meetings",
                "export",
            ),
            Operation(
                SYNC_ATTENDANCE,
                "Sync attendance",
                "integrated_channels.classroom.teams_operations.sync_attendance",
                "import",
                uses_start_date=True,
            ),
        ),
        connector=True,
        description="Virtual-classroom sessions on Microsoft Teams: online meetings with lobby settings, "
        "attendance reports as completions, recordings.",
        getting_started=GETTING_STARTED,
        test_connection="integrated_channels.classroom.teams_operations.test_connection",
        extra="classroom",
        extra_modules=("icalendar",),
    )


def _fail_run(run: Run, error: Exception, selected: int) -> Run:
    return sync_runs.fail_run(run, error, selected, default_code="teams_failed")


def _failure(run: Run, session: Session, error: Exception, *, deleted: bool = False) -> RunError:
    return sync_runs.session_failure(run, session, error, default_code="teams_failed", deleted=deleted)


def _note(run: Run, session: Session, code: str, message: str, **fields) -> RunError:
    return RunError(
        run=run,
        outcome=RunError.Outcome.NOT_ATTEMPTED,
        code=code,
        remote_id=session.room_id[:255],
        course_id=session.course_id,
        message=f"{session}: {message}",
        **fields,
    )


def sync_meetings(configuration: TeamsConnection, *, trigger, start_date=None, api_user=None, run=None) -> Run:
    run = run or runs.start_run(configuration=configuration, kind=SYNC_MEETINGS, trigger=trigger, api_user=api_user)
    sessions = list(sync_runs.upcoming_sessions(configuration))
    with TeamsClient(configuration) as client:
        return sync_runs.sync_signed_in(
            run, sessions, client.token, lambda session: _sync_meeting(client, session), default_code="teams_failed"
        )


def _sync_meeting(client: TeamsClient, session: Session) -> None:
    register_enrolled_learners(session=session)  # enrollments made or ended set-based since the last run
    fields = {"subject": session.title, "start": session.start, "end": session.end}
    if session.room_id:
        client.update_meeting(session.room_id, **fields)
        return
    meeting = client.create_meeting(**fields)
    session.room_id, session.join_url = meeting["id"], meeting["joinWebUrl"]
    session.save(update_fields=["room_id", "join_url", "modified"])
    session_changed(session=session)  # the learners' invitation now carries the join link


def _reports_of(session: Session, reports: list[dict]) -> list[dict]:
    """The reports that belong to the session: all of a dynamic room's, those overlapping it for a persistent one."""
    if session.room_kind == Session.RoomKind.DYNAMIC:
        return reports
    low, high = session.start - REPORT_MARGIN, session.end + REPORT_MARGIN
    mine = []
    for report in reports:
        began = parse_graph_time(report.get("meetingStartDateTime"))
        ended = parse_graph_time(report.get("meetingEndDateTime")) or began
        if began is not None and began < high and ended > low:
            mine.append(report)
    return mine


def sync_attendance(configuration: TeamsConnection, *, trigger, start_date=None, api_user=None, run=None) -> Run:
    run = run or runs.start_run(configuration=configuration, kind=SYNC_ATTENDANCE, trigger=trigger, api_user=api_user)
    now = timezone.now()
    sessions = list(sync_runs.ended_sessions(configuration, start_date, now).select_related("customer"))  # in the notes
    synced: list[int] = []
    recorded: list[tuple[Session, AttendanceRecorded]] = []  # complete once the writer has flushed
    not_ended = failed = 0
    notes: list[RunError] = []
    writer = AttendanceWriter()  # every session's attendance written per chunk (decision 0395)
    with TeamsClient(configuration) as client:
        try:
            client.token()
        except ChannelError as error:
            return _fail_run(run, error, len(sessions))
        for session in sessions:
            try:
                client.get_meeting(session.room_id)
                reports = _reports_of(session, client.attendance_reports(session.room_id))
                if not reports and now < session.end + REPORT_GRACE:
                    raise MeetingNotEnded("Teams has no attendance report yet.", code="meeting_not_ended")
                participants = [  # every page of every report, before anything is written
                    row for report in reports for row in client.attendance(session.room_id, report["id"])
                ]
                recorded.append((session, writer.add(session, participants)))
            except MeetingNotEnded:
                not_ended += 1
                continue
            except MeetingDeleted as error:
                Session.objects.filter(pk=session.pk).update(status=Session.Status.MEETING_DELETED)
                notes.append(_failure(run, session, error, deleted=True))
                failed += 1
                continue
            except (ChannelError, ValueError) as error:  # ValueError: a report the writer refuses (e.g. > 24 h)
                notes.append(_failure(run, session, error))
                failed += 1
                continue
            synced.append(session.pk)
            if not reports:
                notes.append(
                    _note(
                        run,
                        session,
                        "no_attendance_report",
                        f"Teams wrote no attendance report within {REPORT_GRACE.total_seconds() / 3600:g} hours "
                        "of the end: nobody joined. Synced with no attendance.",
                    )
                )
        writer.flush()
        notes.extend(_sync_recordings(client, run, configuration, now))
    for session, result in recorded:
        notes += sync_runs.participant_notes(run, session, result)
    return sync_runs.finish_attendance(
        run, selected=len(sessions), synced=synced, not_ended=not_ended, failed=failed, notes=notes
    )


def _sync_recordings(client: TeamsClient, run: Run, configuration: TeamsConnection, now) -> list[RunError]:
    """The recording address of each synced session without one, ended within ``RECORDING_WINDOW``.

    A refusal (the optional recording permission not granted) is a note of the run, once, not a failure.
    """
    waiting = Session.objects.filter(
        connection_id=configuration.pk,
        status=Session.Status.SCHEDULED,
        attendance_synced_at__isnull=False,
        recording_url="",
        end__gte=now - RECORDING_WINDOW,
    ).exclude(room_id="")
    for session in waiting:
        try:
            url = client.recording_url(session.room_id)
        except ChannelError as error:
            return [_note(run, session, "recording_not_read", f"the recording could not be read: {error}")]
        if url and len(url) <= Session._meta.get_field("recording_url").max_length:
            Session.objects.filter(pk=session.pk).update(recording_url=url)
    return []


def test_connection(configuration: TeamsConnection) -> ConnectionTest:
    """A token (tenant, client id, secret), then a call only the application access policy allows."""
    with TeamsClient(configuration) as client:
        try:
            client.token()
        except ChannelError as error:
            return ConnectionTest(ok=False, message=f"Failed: {error}")
        try:
            client.check_access()
        except (ChannelError, MeetingDeleted) as error:
            return ConnectionTest(ok=False, message=f"Signed in, but: {error}")
    needed = ", ".join(PERMISSIONS)
    return ConnectionTest(
        ok=True,
        message=f"Connected: Microsoft Graph issued a token and lets the app act for the organizer ({needed}).",
    )


test_connection.__test__ = False
