"""On-demand execution of SFTP operations, and the re-run of the latest run (decision 0066).

``queue`` / ``queue_rerun`` (the admin's) start the run at once — so it holds the run lock — and,
when a Celery broker is configured, leave the work to a worker (``tasks.run_queued``); without a
broker they run it in-process, like ``run_now`` (decision 0141).

An on-demand export covers the start date given up to today (the seed's "from the date entered
until present"). Only the latest run of a connection and operation may be re-run: a re-run of an
older one would replay a state the newer run already replaced.
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from integrated_channels.integrated_channel.models import Run
from integrated_channels.integrated_channel.services import dispatch, runs
from integrated_channels.sftp.models import SFTPConfiguration
from integrated_channels.sftp.services.export import day_bounds, export_transcripts
from integrated_channels.sftp.services.skills_export import export_skill_achievements
from integrated_channels.sftp.services.user_import import import_users

IMPORT = "import"
EXPORT = "export"  # learner transcripts
SKILLS = "skills"  # skill achievements
OPERATIONS = {IMPORT: Run.Kind.USER_IMPORT, EXPORT: Run.Kind.FILE_EXPORT, SKILLS: Run.Kind.SKILLS_EXPORT}
EXPORTS = {EXPORT: export_transcripts, SKILLS: export_skill_achievements}


class RerunRefused(Exception):
    pass


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

    ``run``: a run already started for it (a queued run, see ``queue``); ``progress``: a terminal bar.
    """
    common = {
        "configuration": configuration,
        "trigger": trigger,
        "api_user": api_user,
        "run": run,
        "progress": progress,
    }
    if operation == IMPORT:
        return import_users(**common).run
    if operation in EXPORTS:
        date_from, date_to = export_range(start_date, end_date)
        return EXPORTS[operation](date_from=date_from, date_to=date_to, **common).run
    raise ValueError(f"Unknown operation {operation!r}: expected one of {', '.join(OPERATIONS)}.")


def export_range(
    start_date: datetime.date | None, end_date: datetime.date | None
) -> tuple[datetime.date, datetime.date]:
    """The days an export covers: ``start_date`` (default: 30 days before the end) to ``end_date`` (today)."""
    date_to = end_date or timezone.localdate()
    return start_date or (date_to - datetime.timedelta(days=30)), date_to


def queue(
    *,
    configuration: SFTPConfiguration,
    operation: str,
    start_date: datetime.date | None = None,
    end_date: datetime.date | None = None,
    trigger: str = Run.Trigger.ADMIN,
    api_user=None,
) -> tuple[Run, bool]:
    """Start ``operation`` and queue it on Celery when a broker is configured, else run it now.

    Returns the run and whether it was queued (then it is *in progress*; its counts show as it
    goes). ``RunLocked`` when a run of the same connection and operation is in progress.
    """
    if operation not in OPERATIONS:
        raise ValueError(f"Unknown operation {operation!r}: expected one of {', '.join(OPERATIONS)}.")
    if not dispatch.use_celery():
        run = run_now(
            configuration=configuration,
            operation=operation,
            start_date=start_date,
            end_date=end_date,
            trigger=trigger,
            api_user=api_user,
        )
        return run, False
    from integrated_channels.sftp.tasks import run_queued

    kwargs = {"operation": operation, "start_date": None, "end_date": None}
    start = None
    if operation in EXPORTS:
        date_from, date_to = export_range(start_date, end_date)
        start, _end = day_bounds(date_from, date_to)
        kwargs.update(start_date=date_from.isoformat(), end_date=date_to.isoformat())
    run = runs.start_run(
        configuration=configuration, kind=OPERATIONS[operation], trigger=trigger, api_user=api_user, start_date=start
    )
    dispatch.queue_started_run(run=run, task=run_queued, kwargs={"run_id": run.pk, **kwargs})
    return run, True


def latest_run(configuration_id: int, kind: str) -> Run | None:
    return Run.objects.filter(configuration_id=configuration_id, kind=kind).order_by("-started_at", "-id").first()


def rerun(*, run: Run, trigger: str = Run.Trigger.ADMIN, api_user=None, progress=None) -> Run:
    """Re-run ``run`` now (``RerunRefused`` unless it is the latest finished run of its operation)."""
    return run_now(**_rerun_of(run), trigger=trigger, api_user=api_user, progress=progress)


def queue_rerun(*, run: Run, trigger: str = Run.Trigger.ADMIN, api_user=None) -> tuple[Run, bool]:
    """``rerun`` through ``queue``: on a Celery worker when a broker is configured."""
    return queue(**_rerun_of(run), trigger=trigger, api_user=api_user)


def _rerun_of(run: Run) -> dict:
    """What re-running ``run`` does (connection, operation, dates), or ``RerunRefused`` saying why not."""
    operation = {kind: name for name, kind in OPERATIONS.items()}.get(run.kind)
    if operation is None or run.channel != SFTPConfiguration.CHANNEL_CODE:
        raise RerunRefused(f"Run #{run.pk} is not an SFTP import or export.")
    if run.status == Run.Status.RUNNING:
        raise RerunRefused(f"Run #{run.pk} is still in progress.")
    latest = latest_run(run.configuration_id, run.kind)
    if latest is None or latest.pk != run.pk:
        raise RerunRefused(f"Only the latest run can be re-run: run #{latest.pk} is newer than run #{run.pk}.")
    configuration = SFTPConfiguration.objects.select_related("customer").get(pk=run.configuration_id)
    start = timezone.localdate(run.start_date) if run.start_date else None
    end = timezone.localdate(run.started_at) if operation in EXPORTS else None
    return {"configuration": configuration, "operation": operation, "start_date": start, "end_date": end}
