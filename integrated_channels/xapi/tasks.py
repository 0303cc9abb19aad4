"""Celery tasks of the xAPI import schedules and of the admin's queued imports (thin: load, call the service)."""

from __future__ import annotations

from celery import shared_task

from integrated_channels.integrated_channel.exceptions import RunLocked
from integrated_channels.integrated_channel.models import Run


@shared_task(name="integrated_channels.xapi.tasks.import_scheduled")
def import_scheduled(configuration_id: int) -> int | None:
    """Run one scheduled import; the id of its run (None when inactive, unscheduled or locked)."""
    from integrated_channels.xapi.models import XAPIImportConfiguration
    from integrated_channels.xapi.services.statement_import import import_statements

    configuration = (
        XAPIImportConfiguration.objects.select_related("customer")
        .filter(pk=configuration_id, active=True, customer__active=True)
        .first()
    )
    if configuration is None or not configuration.scheduled:
        return None
    try:
        return import_statements(configuration=configuration, trigger=Run.Trigger.SCHEDULE).run.pk
    except RunLocked:
        return None


@shared_task(name="integrated_channels.xapi.tasks.import_queued")
def import_queued(*, run_id: int) -> int | None:
    """Do the work of an import the admin started and queued; None when it is no longer in progress."""
    from integrated_channels.xapi.models import XAPIImportConfiguration
    from integrated_channels.xapi.services.statement_import import import_statements

    run = Run.objects.select_related("api_user").filter(pk=run_id, status=Run.Status.RUNNING).first()
    if run is None:
        return None  # it waited longer than RUN_LOCK_EXPIRY and a later run declared it abandoned
    configuration = XAPIImportConfiguration.objects.select_related("customer").get(pk=run.configuration_id)
    import_statements(configuration=configuration, trigger=run.trigger, api_user=run.api_user, run=run)
    return run.pk
