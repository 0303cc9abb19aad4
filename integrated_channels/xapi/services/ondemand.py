"""On-demand xAPI statement imports, over the framework's operations service (decisions 0142, 0173).

As for every connector, only the latest run of an import can be re-run, and not while it is in
progress; ``queue`` / ``queue_rerun`` take the run lock at once and leave the work to a Celery
worker when a broker is configured (decision 0141).
"""

from __future__ import annotations

from integrated_channels.integrated_channel.exceptions import RerunRefused
from integrated_channels.integrated_channel.models import Run
from integrated_channels.integrated_channel.services import operations
from integrated_channels.xapi.models import XAPIImportConfiguration
from integrated_channels.xapi.operations import STATEMENT_IMPORT
from integrated_channels.xapi.services.statement_import import import_statements

__all__ = ["RerunRefused", "check_rerun", "queue", "queue_rerun", "rerun"]


def queue(
    *, configuration: XAPIImportConfiguration, trigger: str = Run.Trigger.ADMIN, api_user=None
) -> tuple[Run, bool]:
    """Start an import and queue it on Celery when a broker is configured, else run it now."""
    return operations.queue(configuration, STATEMENT_IMPORT, trigger=trigger, api_user=api_user)


def check_rerun(run: Run) -> XAPIImportConfiguration:
    """The import ``run`` belongs to, or ``RerunRefused`` saying why it cannot be re-run."""
    if run.kind != STATEMENT_IMPORT:
        raise RerunRefused(f"Run #{run.pk} is not an xAPI statement import.")
    return operations.check_rerun(run).specific()


def rerun(*, run: Run, trigger: str = Run.Trigger.COMMAND, api_user=None, progress=None) -> Run:
    """Re-run the latest run of an import now."""
    configuration = check_rerun(run)
    return import_statements(configuration=configuration, trigger=trigger, api_user=api_user, progress=progress).run


def queue_rerun(*, run: Run, trigger: str = Run.Trigger.ADMIN, api_user=None) -> tuple[Run, bool]:
    """``rerun`` through ``queue``: on a Celery worker when a broker is configured."""
    return queue(configuration=check_rerun(run), trigger=trigger, api_user=api_user)
