"""Operation schedules as django-celery-beat periodic tasks (decisions 0067, 0173).

Each ``OperationSchedule`` (one per connection and operation) owns one ``PeriodicTask`` named
``connection-<pk>-<operation>``: an interval of N hours or days from the schedule's start, enabled
only while the schedule is enabled and the connection active, calling
``integrated_channels.run_scheduled_operation`` with the connection and the operation. It is
written whenever the schedule or its connection is saved and deleted with the schedule (and so
with the connection). Celery beat (``DatabaseScheduler``) reads the tasks.
"""

from __future__ import annotations

import datetime
import json

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from integrated_channels.integrated_channel.exceptions import OperationRefused
from integrated_channels.integrated_channel.models import ChannelConfiguration, OperationSchedule
from integrated_channels.integrated_channel.models.schedule import MAX_EVERY

TASK = "integrated_channels.run_scheduled_operation"
PERIODS = {OperationSchedule.Unit.HOURS: IntervalSchedule.HOURS, OperationSchedule.Unit.DAYS: IntervalSchedule.DAYS}


def task_name(configuration_id: int, operation: str) -> str:
    return f"connection-{configuration_id}-{operation}"


def sync(schedule: OperationSchedule, *, configuration: ChannelConfiguration | None = None) -> PeriodicTask:
    """Write the schedule's periodic task (created, or updated in place)."""
    configuration = configuration or schedule.configuration
    interval, _created = IntervalSchedule.objects.get_or_create(every=schedule.every, period=PERIODS[schedule.unit])
    task, _created = PeriodicTask.objects.update_or_create(
        name=task_name(schedule.configuration_id, schedule.operation),
        defaults={
            "task": TASK,
            "interval": interval,
            "crontab": None,
            "start_time": schedule.start,
            "kwargs": json.dumps({"configuration_id": schedule.configuration_id, "operation": schedule.operation}),
            "enabled": schedule.enabled and configuration.active,
            "description": f"{schedule.operation} of {configuration}",
        },
    )
    if schedule.periodic_task_id != task.pk:
        OperationSchedule.objects.filter(pk=schedule.pk).update(periodic_task=task)
        schedule.periodic_task = task
    return task


def save_schedule(
    configuration: ChannelConfiguration,
    code: str,
    *,
    enabled: bool,
    start: datetime.datetime,
    every: int,
    unit: str,
) -> OperationSchedule:
    """Create or change the schedule of ``configuration``'s operation ``code`` (and its periodic task)."""
    try:
        operation = configuration.get_channel().get_operation(code)
    except LookupError as exc:
        raise OperationRefused(str(exc)) from None
    if not operation.schedulable:
        raise OperationRefused(f"{operation.name} runs on demand only: it cannot be scheduled.")
    if unit not in PERIODS:
        raise ValidationError({"unit": f"Expected one of {', '.join(PERIODS)}."})
    if not 1 <= every <= MAX_EVERY:
        raise ValidationError({"every": f"Repeat every 1 to {MAX_EVERY} {unit}."})
    with transaction.atomic():
        schedule, _created = OperationSchedule.objects.update_or_create(
            configuration=configuration,
            operation=code,
            defaults={"enabled": enabled, "start": start, "every": every, "unit": unit},
        )
    return schedule


@receiver(post_save, sender=OperationSchedule, dispatch_uid="integrated_channel.schedule_saved")
def _schedule_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        sync(instance)


@receiver(post_delete, sender=OperationSchedule, dispatch_uid="integrated_channel.schedule_deleted")
def _schedule_deleted(sender, instance, **kwargs):
    PeriodicTask.objects.filter(name=task_name(instance.configuration_id, instance.operation)).delete()


@receiver(post_save, dispatch_uid="integrated_channel.connection_saved")
def _connection_saved(sender, instance, raw=False, **kwargs):
    """A connection switched on or off switches its schedules' tasks (every channel's model is a subclass)."""
    if raw or not isinstance(instance, ChannelConfiguration):
        return
    for schedule in OperationSchedule.objects.filter(configuration_id=instance.pk):
        sync(schedule, configuration=instance)
