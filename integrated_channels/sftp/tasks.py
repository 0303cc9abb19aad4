"""Celery tasks of the SFTP schedules and of the admin's queued runs (thin: load, call the services)."""

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


@shared_task(name="integrated_channels.sftp.tasks.run_queued")
def run_queued(
    *, run_id: int, operation: str, start_date: str | None = None, end_date: str | None = None
) -> int | None:
    """Do the work of a run the admin started and queued; None when it is no longer in progress.

    (It waited longer than ``RUN_LOCK_EXPIRY`` and a later run declared it abandoned.)
    """
    from integrated_channels.sftp.models import SFTPConfiguration
    from integrated_channels.sftp.services import ondemand

    run = Run.objects.select_related("api_user").filter(pk=run_id, status=Run.Status.RUNNING).first()
    if run is None:
        return None
    configuration = SFTPConfiguration.objects.select_related("customer").get(pk=run.configuration_id)
    ondemand.run_now(
        configuration=configuration,
        operation=operation,
        start_date=datetime.date.fromisoformat(start_date) if start_date else None,
        end_date=datetime.date.fromisoformat(end_date) if end_date else None,
        trigger=run.trigger,
        api_user=run.api_user,
        run=run,
    )
    return run.pk
