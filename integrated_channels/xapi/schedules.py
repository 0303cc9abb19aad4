"""Import schedules as django-celery-beat periodic tasks, like the SFTP connector's (decision 0067).

Each scheduled import owns one ``PeriodicTask`` named ``xapi-import-<pk>`` (every N days from the
schedule's start, enabled while the import is active), written when the import is saved and
deleted with its schedule or the import.
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django_celery_beat.models import PeriodicTask

from integrated_channels.integrated_channel.schedules import drop_periodic_task, sync_periodic_task
from integrated_channels.xapi.models import XAPIImportConfiguration

TASK = "integrated_channels.xapi.tasks.import_scheduled"


def task_name(configuration_id) -> str:
    return f"xapi-import-{configuration_id}"


def sync(configuration: XAPIImportConfiguration) -> PeriodicTask | None:
    return sync_periodic_task(
        configuration=configuration,
        name=task_name(configuration.pk),
        task=TASK,
        description=f"xAPI statement import {configuration.name} of {configuration.customer}",
    )


@receiver(post_save, sender=XAPIImportConfiguration, dispatch_uid="xapi.sync_schedule")
def _saved(sender, instance, raw=False, **kwargs):
    if not raw:
        sync(instance)


@receiver(post_delete, sender=XAPIImportConfiguration, dispatch_uid="xapi.drop_schedule")
def _deleted(sender, instance, **kwargs):
    drop_periodic_task(name=task_name(instance.pk))
