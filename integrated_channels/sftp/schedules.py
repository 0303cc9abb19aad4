"""Connection schedules as django-celery-beat periodic tasks (decision 0067).

Each scheduled connection owns one ``PeriodicTask`` named ``sftp-connection-<pk>``: an interval of
N days starting at the schedule's start, calling ``integrated_channels.sftp.tasks.run_scheduled``.
It is written whenever the connection is saved, enabled only while the connection is active, and
deleted with the schedule or the connection. Celery beat (``DatabaseScheduler``) reads it.
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django_celery_beat.models import PeriodicTask

from integrated_channels.integrated_channel.schedules import drop_periodic_task, sync_periodic_task
from integrated_channels.sftp.models import SFTPConfiguration

TASK = "integrated_channels.sftp.tasks.run_scheduled"


def task_name(configuration_id) -> str:
    return f"sftp-connection-{configuration_id}"


def sync(configuration: SFTPConfiguration) -> PeriodicTask | None:
    return sync_periodic_task(
        configuration=configuration,
        name=task_name(configuration.pk),
        task=TASK,
        description=f"SFTP connection of {configuration.customer}",
    )


@receiver(post_save, sender=SFTPConfiguration, dispatch_uid="sftp.sync_schedule")
def _saved(sender, instance, raw=False, **kwargs):
    if not raw:
        sync(instance)


@receiver(post_delete, sender=SFTPConfiguration, dispatch_uid="sftp.drop_schedule")
def _deleted(sender, instance, **kwargs):
    drop_periodic_task(name=task_name(instance.pk))
