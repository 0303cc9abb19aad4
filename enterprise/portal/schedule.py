"""The periodic refresh of every customer's report figures (decision 0446).

The project keeps its schedules as django-celery-beat periodic tasks in the database, read by
Celery beat's ``DatabaseScheduler`` (as the connectors' operation schedules, decision 0067). The
portal owns one: ``enterprise-portal-refresh-reports``, every ``ENTERPRISE["PORTAL_REPORTS_REFRESH_HOURS"]``
hours (default 24), calling ``enterprise_portal.refresh_all_reports``, which queues
``enterprise_portal.refresh_reports`` for each customer — on the workers with a broker, one after
the other in-process without one (``CELERY_TASK_ALWAYS_EAGER``). ``manage.py migrate`` writes the
task (``sync_refresh_task`` on ``post_migrate``): the setting is its source, so an interval
changed in the admin is set back at the next migrate; 0 (or ``None``) removes the task.
"""

from __future__ import annotations

from django_celery_beat.models import IntervalSchedule, PeriodicTask

from enterprise.app_settings import enterprise_settings

PERIODIC_TASK = "enterprise-portal-refresh-reports"
TASK = "enterprise_portal.refresh_all_reports"


def sync_refresh_task(using: str = "default") -> PeriodicTask | None:
    """Write (or remove) the periodic task from the setting; returns it, or ``None`` when switched off."""
    hours = enterprise_settings.PORTAL_REPORTS_REFRESH_HOURS
    if not hours:
        PeriodicTask.objects.using(using).filter(name=PERIODIC_TASK).delete()
        return None
    if int(hours) != hours or hours < 1:
        raise ValueError(f'ENTERPRISE["PORTAL_REPORTS_REFRESH_HOURS"] must be a whole number of hours, not {hours!r}.')
    interval, _created = IntervalSchedule.objects.using(using).get_or_create(
        every=int(hours), period=IntervalSchedule.HOURS
    )
    task, _created = PeriodicTask.objects.using(using).update_or_create(
        name=PERIODIC_TASK,
        defaults={
            "task": TASK,
            "interval": interval,
            "crontab": None,
            "kwargs": "{}",
            "enabled": True,
            "description": "Refresh the enterprise portal's report figures of every customer.",
        },
    )
    return task


def on_post_migrate(sender, using="default", **kwargs):
    sync_refresh_task(using)
