"""What the classroom connectors' runs (Zoom, Teams, Adobe Connect) share: the sessions a run takes, the sign-in
that fails the run as a whole, one session's failure, and the end of an attendance run."""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.db.models import QuerySet
from django.utils import timezone

from integrated_channels.classroom.exceptions import MeetingDeleted
from integrated_channels.classroom.models import Session
from integrated_channels.classroom.services.attendance import AttendanceRecorded, record_session_completions
from integrated_channels.integrated_channel.exceptions import ChannelError
from integrated_channels.integrated_channel.models import Run, RunError
from integrated_channels.integrated_channel.services import runs


def fail_run(run: Run, error: Exception, selected: int, *, default_code: str) -> Run:
    """End ``run`` failed by ``error`` (its code, else ``default_code``): nothing of ``selected`` attempted."""
    code = getattr(error, "code", "") or default_code
    RunError.objects.create(run=run, outcome=RunError.Outcome.RUN, code=code, message=str(error))
    runs.finish_run(
        run,
        status=Run.Status.FAILED,
        error_code=code,
        error_message=str(error),
        selected=selected,
        not_attempted=selected,
    )
    return run


def session_failure(run: Run, session: Session, error: Exception, *, default_code: str, deleted: bool = False):
    """The (unsaved) error row of one session of ``run``; ``deleted``: the meeting is gone on the provider's side."""
    message = f"{session}: {error}" + (" The session is marked so and no longer synced." if deleted else "")
    return RunError(
        run=run,
        outcome=RunError.Outcome.FAILED,
        code=getattr(error, "code", "") or default_code,
        remote_id=session.room_id[:255],
        course_id=session.course_id,
        message=message,
        transient=bool(getattr(error, "transient", False)),
    )


def participant_notes(
    run: Run, session: Session, recorded: AttendanceRecorded, *, without_email: str = "joined without an e-mail address"
) -> list[RunError]:
    """The (unsaved) not-attempted rows of one session's attendance: each participant without an e-mail
    address (``without_email`` says how the provider lets one in), each address of no learner of the customer."""
    common = {
        "run": run,
        "outcome": RunError.Outcome.NOT_ATTEMPTED,
        "remote_id": session.room_id[:255],
        "course_id": session.course_id,
    }
    return [
        RunError(
            **common,
            code="participant_without_email",
            username=name[:150],
            message=f"{session}: the participant {name} {without_email}.",
        )
        for name in recorded.no_email
    ] + [
        RunError(
            **common,
            code="participant_not_a_learner",
            email=email[:254],
            message=f"{session}: {email} is no learner of {session.customer}.",
        )
        for email in recorded.unknown_emails
    ]


def sync_sessions(run: Run, sessions: list[Session], sync_one: Callable[[Session], None], *, default_code: str) -> Run:
    """Apply ``sync_one`` to each session and finish ``run``: a session whose meeting is gone on the provider's
    side is marked so (and no longer synced), any other remote error fails that session alone."""
    sent, failures = 0, []
    for session in sessions:
        try:
            sync_one(session)
            sent += 1
        except MeetingDeleted as error:
            Session.objects.filter(pk=session.pk).update(status=Session.Status.MEETING_DELETED)
            failures.append(session_failure(run, session, error, default_code=default_code, deleted=True))
        except ChannelError as error:
            failures.append(session_failure(run, session, error, default_code=default_code))
    RunError.objects.bulk_create(failures)
    status = Run.Status.COMPLETED_WITH_ERRORS if failures else Run.Status.COMPLETED
    runs.finish_run(run, status=status, selected=len(sessions), sent=sent, failed=len(failures))
    return run


def upcoming_sessions(configuration, *, dynamic_only: bool = True) -> QuerySet:
    """The scheduled sessions of ``configuration`` not ended yet; ``dynamic_only``: those whose room the
    connection creates (a persistent room is the course's own)."""
    sessions = Session.objects.filter(
        connection_id=configuration.pk, status=Session.Status.SCHEDULED, end__gt=timezone.now()
    )
    if dynamic_only:
        sessions = sessions.filter(room_kind=Session.RoomKind.DYNAMIC)
    return sessions


def sync_signed_in(
    run: Run, sessions: list[Session], sign_in: Callable[[], object], sync_one: Callable[[Session], None], **codes
) -> Run:
    """``sign_in()`` (a token, a login), then ``sync_sessions``; a refused sign-in fails ``run`` with none of
    ``sessions`` attempted. ``codes``: ``default_code``."""
    try:
        sign_in()
    except ChannelError as error:
        return fail_run(run, error, len(sessions), **codes)
    return sync_sessions(run, sessions, sync_one, **codes)


def ended_sessions(
    configuration, start_date: datetime.datetime | None, now: datetime.datetime | None = None
) -> QuerySet:
    """The scheduled sessions of ``configuration`` that have ended (by ``now``) in a room: those ended since
    ``start_date`` when given (a re-sync), else those whose attendance was never synced."""
    due = Session.objects.filter(
        connection_id=configuration.pk, status=Session.Status.SCHEDULED, end__lte=now or timezone.now()
    ).exclude(room_id="")
    if start_date is not None:
        return due.filter(end__gte=start_date)
    return due.filter(attendance_synced_at__isnull=True)


def finish_attendance(
    run: Run, *, selected: int, synced: list[int], not_ended: int, failed: int, notes: list[RunError]
) -> Run:
    """The end of an attendance run: its notes saved, the completions of the ``synced`` sessions recorded,
    the run finished (sessions not ended yet are skipped, reason ``meeting_not_ended``)."""
    RunError.objects.bulk_create(notes, batch_size=1000)
    if synced:
        record_session_completions(sessions=Session.objects.filter(pk__in=synced))
    runs.finish_run(
        run,
        status=Run.Status.COMPLETED_WITH_ERRORS if failed else Run.Status.COMPLETED,
        selected=selected,
        sent=len(synced),
        skipped=not_ended,
        failed=failed,
        skip_reasons={"meeting_not_ended": not_ended} if not_ended else {},
    )
    return run
