"""On-demand xAPI statement imports from the admin, and the re-run of the latest run (decision 0142).

As for the SFTP connector (decision 0066), only the latest run of an import can be re-run, and
not while it is in progress. ``queue`` / ``queue_rerun`` start the run at once — so it holds the
run lock and a second request is told a run is in progress — and, when a Celery broker is
configured, leave the work to a worker (``tasks.import_queued``); without a broker the import
runs in-process (decision 0141).
"""

from __future__ import annotations

from integrated_channels.integrated_channel.models import Run
from integrated_channels.integrated_channel.services import dispatch, runs
from integrated_channels.xapi.models import XAPIImportConfiguration
from integrated_channels.xapi.services.statement_import import import_statements


class RerunRefused(Exception):
    pass


def latest_run(configuration_id: int) -> Run | None:
    return (
        Run.objects.filter(configuration_id=configuration_id, kind=Run.Kind.STATEMENT_IMPORT)
        .order_by("-started_at", "-id")
        .first()
    )


def queue(
    *, configuration: XAPIImportConfiguration, trigger: str = Run.Trigger.ADMIN, api_user=None
) -> tuple[Run, bool]:
    """Start an import and queue it on Celery when a broker is configured, else run it now.

    Returns the run and whether it was queued. ``RunLocked`` when an import of it is in progress.
    """
    if not dispatch.use_celery():
        return import_statements(configuration=configuration, trigger=trigger, api_user=api_user).run, False
    from integrated_channels.xapi.tasks import import_queued

    run = runs.start_run(
        configuration=configuration, kind=Run.Kind.STATEMENT_IMPORT, trigger=trigger, api_user=api_user
    )
    dispatch.queue_started_run(run=run, task=import_queued, kwargs={"run_id": run.pk})
    return run, True


def check_rerun(run: Run) -> XAPIImportConfiguration:
    """The import ``run`` belongs to, or ``RerunRefused`` saying why it cannot be re-run."""
    if run.kind != Run.Kind.STATEMENT_IMPORT:
        raise RerunRefused(f"Run #{run.pk} is not an xAPI statement import.")
    if run.status == Run.Status.RUNNING:
        raise RerunRefused(f"Run #{run.pk} is still in progress.")
    latest = latest_run(run.configuration_id)
    if latest is None or latest.pk != run.pk:
        raise RerunRefused(f"Only the latest run can be re-run: run #{latest.pk} is newer than run #{run.pk}.")
    return XAPIImportConfiguration.objects.select_related("customer").get(pk=run.configuration_id)


def rerun(*, run: Run, trigger: str = Run.Trigger.COMMAND, api_user=None, progress=None) -> Run:
    """Re-run the latest run of an import now."""
    configuration = check_rerun(run)
    return import_statements(configuration=configuration, trigger=trigger, api_user=api_user, progress=progress).run


def queue_rerun(*, run: Run, trigger: str = Run.Trigger.ADMIN, api_user=None) -> tuple[Run, bool]:
    """``rerun`` through ``queue``: on a Celery worker when a broker is configured."""
    return queue(configuration=check_rerun(run), trigger=trigger, api_user=api_user)
