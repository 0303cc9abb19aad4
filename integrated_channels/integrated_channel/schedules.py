"""Schedules of connector runs as django-celery-beat periodic tasks (decision 0067).

A scheduled configuration owns one ``PeriodicTask``: an interval of N days from the schedule's
start (``schedule_every_days``, ``schedule_start``), enabled only while the configuration is
active, calling the channel's task with ``configuration_id``. Channels call ``sync_periodic_task``
when a configuration is saved and ``drop_periodic_task`` when it is deleted; Celery beat
(``DatabaseScheduler``) reads the tasks.
"""

from __future__ import annotations

import json

from django_celery_beat.models import IntervalSchedule, PeriodicTask


def sync_periodic_task(*, configuration, name: str, task: str, description: str) -> PeriodicTask | None:
    """Write (or delete, when the configuration is not scheduled) the configuration's periodic task."""
    if not configuration.scheduled:
        drop_periodic_task(name=name)
        return None
    interval, _created = IntervalSchedule.objects.get_or_create(
        every=configuration.schedule_every_days, period=IntervalSchedule.DAYS
    )
    periodic_task, _created = PeriodicTask.objects.update_or_create(
        name=name,
        defaults={
            "task": task,
            "interval": interval,
            "crontab": None,
            "start_time": configuration.schedule_start,
            "kwargs": json.dumps({"configuration_id": configuration.pk}),
            "enabled": configuration.active,
            "description": description,
        },
    )
    return periodic_task


def drop_periodic_task(*, name: str) -> None:
    PeriodicTask.objects.filter(name=name).delete()
