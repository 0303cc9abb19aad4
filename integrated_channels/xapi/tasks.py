"""Celery task of the xAPI import schedules (thin: loads the import, calls the service)."""

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
