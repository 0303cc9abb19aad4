"""What the classroom connectors' runs (Zoom, Teams, Adobe Connect) record when they fail: the run as a whole,
or one session of it."""

from __future__ import annotations

from collections.abc import Callable

from integrated_channels.classroom.exceptions import MeetingDeleted
from integrated_channels.classroom.models import Session
from integrated_channels.classroom.services.attendance import AttendanceRecorded
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
