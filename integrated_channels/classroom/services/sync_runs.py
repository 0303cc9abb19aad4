"""What the classroom connectors' runs (Zoom, Teams, Adobe Connect) record when they fail: the run as a whole,
or one session of it."""

from __future__ import annotations

from collections.abc import Callable

from integrated_channels.classroom.exceptions import MeetingDeleted
from integrated_channels.classroom.models import Session
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
