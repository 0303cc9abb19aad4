"""SFTP operations by their short names (``manage.py sftp_run import|export|skills``), over the
framework's operations service (decision 0173).

``run_now`` runs one in this process (an export may end on another day than today);
``queue`` / ``rerun`` / ``queue_rerun`` are the framework's, which every connector shares: the run
lock is taken at once, the work goes to a Celery worker when a broker is configured, and only the
latest run of a connection's operation can be re-run (decision 0066).
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from integrated_channels.integrated_channel.exceptions import RerunRefused
from integrated_channels.integrated_channel.models import Run
from integrated_channels.integrated_channel.services import operations
from integrated_channels.sftp.models import SFTPConfiguration
from integrated_channels.sftp.operations import FILE_EXPORT, SKILLS_EXPORT, USER_IMPORT, XAPI_EXPORT, export_range
from integrated_channels.sftp.services.export import export_transcripts
from integrated_channels.sftp.services.skills_export import export_skill_achievements
from integrated_channels.sftp.services.user_import import import_users
from integrated_channels.sftp.services.xapi_export import export_xapi_activity

IMPORT = "import"
EXPORT = "export"  # learner transcripts
SKILLS = "skills"  # skill achievements
XAPI = "xapi"  # xAPI activity
OPERATIONS = {IMPORT: USER_IMPORT, EXPORT: FILE_EXPORT, SKILLS: SKILLS_EXPORT, XAPI: XAPI_EXPORT}
EXPORTS = {EXPORT: export_transcripts, SKILLS: export_skill_achievements, XAPI: export_xapi_activity}

__all__ = [
    "EXPORT",
    "IMPORT",
    "OPERATIONS",
    "SKILLS",
    "XAPI",
    "RerunRefused",
    "queue",
    "queue_rerun",
    "rerun",
    "run_now",
]


def _code(operation: str) -> str:
    try:
        return OPERATIONS[operation]
    except KeyError:
        raise ValueError(f"Unknown operation {operation!r}: expected one of {', '.join(OPERATIONS)}.") from None


def run_now(
    *,
    configuration: SFTPConfiguration,
    operation: str,
    start_date: datetime.date | None = None,
    end_date: datetime.date | None = None,
    trigger: str = Run.Trigger.COMMAND,
    api_user=None,
    run: Run | None = None,
    progress=None,
) -> Run:
    """Run ``operation`` now; an export covers ``start_date`` (default: 30 days ago) to ``end_date`` (today).

    ``run``: a run already started for it; ``progress``: a terminal bar.
    """
    _code(operation)
    common = {
        "configuration": configuration,
        "trigger": trigger,
        "api_user": api_user,
        "run": run,
        "progress": progress,
    }
    if operation == IMPORT:
        return import_users(**common).run
    date_from, date_to = export_range(start_date, end_date)
    return EXPORTS[operation](date_from=date_from, date_to=date_to, **common).run


def queue(
    *,
    configuration: SFTPConfiguration,
    operation: str,
    start_date: datetime.date | None = None,
    trigger: str = Run.Trigger.ADMIN,
    api_user=None,
) -> tuple[Run, bool]:
    """Start ``operation`` (exports from ``start_date`` until today) on a worker, or now without a broker."""
    return operations.queue(
        configuration,
        _code(operation),
        trigger=trigger,
        start_date=operations.start_of_day(start_date) if start_date else None,
        api_user=api_user,
    )


def rerun(*, run: Run, trigger: str = Run.Trigger.ADMIN, api_user=None, progress=None) -> Run:
    """Re-run ``run`` now, over the same days (``RerunRefused`` unless it is the latest finished run of its
    operation)."""
    _check_sftp(run)
    configuration = operations.check_rerun(run).specific()
    operation = {code: name for name, code in OPERATIONS.items()}[run.kind]
    export = operation != IMPORT
    return run_now(
        configuration=configuration,
        operation=operation,
        start_date=timezone.localdate(run.start_date) if export and run.start_date else None,
        end_date=timezone.localdate(run.started_at) if export else None,
        trigger=trigger,
        api_user=api_user,
        progress=progress,
    )


def queue_rerun(*, run: Run, trigger: str = Run.Trigger.ADMIN, api_user=None) -> tuple[Run, bool]:
    """``rerun`` through the framework's queue: on a Celery worker when a broker is configured."""
    _check_sftp(run)
    return operations.queue_rerun(run=run, trigger=trigger, api_user=api_user)


def _check_sftp(run: Run) -> None:
    if run.channel != SFTPConfiguration.CHANNEL_CODE or run.kind not in OPERATIONS.values():
        raise RerunRefused(f"Run #{run.pk} is not an SFTP import or export.")
