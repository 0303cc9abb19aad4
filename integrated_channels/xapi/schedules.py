"""Import schedules as django-celery-beat periodic tasks, like the SFTP connector's (decision 0067).

Each scheduled import owns one ``PeriodicTask`` named ``xapi-import-<pk>`` (every N days from the
schedule's start, enabled while the import is active), written when the import is saved and
deleted with its schedule or the import.
"""

from __future__ import annotations

import json

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from integrated_channels.xapi.models import XAPIImportConfiguration

TASK = "integrated_channels.xapi.tasks.import_scheduled"


def task_name(configuration_id) -> str:
    return f"xapi-import-{configuration_id}"


def sync(configuration: XAPIImportConfiguration) -> PeriodicTask | None:
    name = task_name(configuration.pk)
    if not configuration.scheduled:
        PeriodicTask.objects.filter(name=name).delete()
        return None
    interval, _created = IntervalSchedule.objects.get_or_create(
        every=configuration.schedule_every_days, period=IntervalSchedule.DAYS
    )
    task, _created = PeriodicTask.objects.update_or_create(
        name=name,
        defaults={
            "task": TASK,
            "interval": interval,
            "crontab": None,
            "start_time": configuration.schedule_start,
            "kwargs": json.dumps({"configuration_id": configuration.pk}),
            "enabled": configuration.active,
            "description": f"xAPI statement import {configuration.name} of {configuration.customer}",
        },
    )
    return task


@receiver(post_save, sender=XAPIImportConfiguration, dispatch_uid="xapi.sync_schedule")
def _saved(sender, instance, raw=False, **kwargs):
    if not raw:
        sync(instance)


@receiver(post_delete, sender=XAPIImportConfiguration, dispatch_uid="xapi.drop_schedule")
def _deleted(sender, instance, **kwargs):
    PeriodicTask.objects.filter(name=task_name(instance.pk)).delete()
