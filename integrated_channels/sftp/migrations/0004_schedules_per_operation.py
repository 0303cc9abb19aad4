"""The connection's one schedule (start, every N days, which operations) becomes one schedule per
operation (decision 0173): each scheduled operation gets an ``OperationSchedule`` with the same
start and interval and its own periodic task; the old ``sftp-connection-<pk>`` task is deleted."""

import json

from django.db import migrations
from django.utils import timezone

TASK = "integrated_channels.run_scheduled_operation"
OLD_TASK_NAME = "sftp-connection-{pk}"
OPERATIONS = (
    ("scheduled_import", "user_import"),
    ("scheduled_export", "file_export"),
    ("scheduled_skills_export", "skills_export"),
)


def forwards(apps, schema_editor):
    configurations = apps.get_model("sftp", "SFTPConfiguration")
    schedules = apps.get_model("integrated_channel", "OperationSchedule")
    intervals = apps.get_model("django_celery_beat", "IntervalSchedule")
    tasks = apps.get_model("django_celery_beat", "PeriodicTask")
    tracker = apps.get_model("django_celery_beat", "PeriodicTasks")
    changed = False
    for configuration in configurations.objects.select_related("customer"):
        changed |= bool(tasks.objects.filter(name=OLD_TASK_NAME.format(pk=configuration.pk)).delete()[0])
        if not (configuration.schedule_start and configuration.schedule_every_days):
            continue
        interval, _created = intervals.objects.get_or_create(every=configuration.schedule_every_days, period="days")
        for flag, code in OPERATIONS:
            if not getattr(configuration, flag):
                continue
            task = tasks.objects.create(
                name=f"connection-{configuration.pk}-{code}",
                task=TASK,
                interval=interval,
                start_time=configuration.schedule_start,
                kwargs=json.dumps({"configuration_id": configuration.pk, "operation": code}),
                enabled=configuration.active,
                description=f"{code} of {configuration.customer.name} - SFTP",
            )
            schedules.objects.create(
                configuration_id=configuration.pk,
                operation=code,
                enabled=True,
                start=configuration.schedule_start,
                every=configuration.schedule_every_days,
                unit="days",
                periodic_task=task,
            )
            changed = True
    if changed:
        tracker.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


class Migration(migrations.Migration):
    dependencies = [
        ("sftp", "0003_import_conditions_leavers_source_columns"),
        ("integrated_channel", "0008_connections_operations_schedules"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.RemoveField(model_name="sftpconfiguration", name="schedule_start"),
        migrations.RemoveField(model_name="sftpconfiguration", name="schedule_every_days"),
        migrations.RemoveField(model_name="sftpconfiguration", name="scheduled_import"),
        migrations.RemoveField(model_name="sftpconfiguration", name="scheduled_export"),
        migrations.RemoveField(model_name="sftpconfiguration", name="scheduled_skills_export"),
    ]
