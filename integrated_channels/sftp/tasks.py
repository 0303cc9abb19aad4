"""Celery task of the SFTP schedules (thin: loads the connection, calls the services)."""

from __future__ import annotations

import datetime

from celery import shared_task
from django.utils import timezone

from integrated_channels.integrated_channel.exceptions import RunLocked
from integrated_channels.integrated_channel.models import Run


@shared_task(name="integrated_channels.sftp.tasks.run_scheduled")
def run_scheduled(configuration_id: int) -> list[int]:
    """Run the scheduled operations of one connection; the ids of the runs started."""
    from integrated_channels.sftp.models import SFTPConfiguration
    from integrated_channels.sftp.services import ondemand

    configuration = (
        SFTPConfiguration.objects.select_related("customer")
        .filter(pk=configuration_id, active=True, customer__active=True)
        .first()
    )
    if configuration is None or not configuration.scheduled:
        return []
    operations = []
    if configuration.scheduled_import:
        operations.append((ondemand.IMPORT, None))
    since = timezone.localdate() - datetime.timedelta(days=configuration.schedule_every_days)
    if configuration.scheduled_export:
        operations.append((ondemand.EXPORT, since))
    if configuration.scheduled_skills_export:
        operations.append((ondemand.SKILLS, since))
    started = []
    for operation, start_date in operations:
        try:
            run = ondemand.run_now(
                configuration=configuration, operation=operation, start_date=start_date, trigger=Run.Trigger.SCHEDULE
            )
        except RunLocked:
            continue
        started.append(run.pk)
    return started
