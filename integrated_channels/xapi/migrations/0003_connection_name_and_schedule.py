"""An xAPI statement import's name becomes its connection's name (unique per customer: a repeated
one gets a number), its runs are filed under it, and its schedule becomes the schedule of its one
operation (decisions 0171, 0173); the old ``xapi-import-<pk>`` task is deleted."""

import json

from django.db import migrations
from django.utils import timezone

TASK = "integrated_channels.run_scheduled_operation"
CODE = "statement_import"
NAME_LENGTH = 100


def unique_name(wanted: str, taken: set[str]) -> str:
    base = (wanted or "").strip()[:NAME_LENGTH] or "default"
    name, number = base, 2
    while name in taken:
        suffix = f" ({number})"
        name, number = base[: NAME_LENGTH - len(suffix)] + suffix, number + 1
    taken.add(name)
    return name


def forwards(apps, schema_editor):
    imports = apps.get_model("xapi", "XAPIImportConfiguration")
    connections = apps.get_model("integrated_channel", "ChannelConfiguration")
    runs = apps.get_model("integrated_channel", "Run")
    schedules = apps.get_model("integrated_channel", "OperationSchedule")
    intervals = apps.get_model("django_celery_beat", "IntervalSchedule")
    tasks = apps.get_model("django_celery_beat", "PeriodicTask")
    tracker = apps.get_model("django_celery_beat", "PeriodicTasks")
    taken: dict[object, set[str]] = {}
    changed = False
    for item in imports.objects.select_related("customer").order_by("pk"):
        name = unique_name(item.import_name, taken.setdefault(item.customer_id, set()))
        connections.objects.filter(pk=item.pk).update(name=name)
        runs.objects.filter(configuration_id=item.pk).update(connection_name=name)
        changed |= bool(tasks.objects.filter(name=f"xapi-import-{item.pk}").delete()[0])
        if not (item.schedule_start and item.schedule_every_days):
            continue
        interval, _created = intervals.objects.get_or_create(every=item.schedule_every_days, period="days")
        task = tasks.objects.create(
            name=f"connection-{item.pk}-{CODE}",
            task=TASK,
            interval=interval,
            start_time=item.schedule_start,
            kwargs=json.dumps({"configuration_id": item.pk, "operation": CODE}),
            enabled=item.active,
            description=f"{CODE} of {item.customer.name} - {name}",
        )
        schedules.objects.create(
            configuration_id=item.pk,
            operation=CODE,
            enabled=True,
            start=item.schedule_start,
            every=item.schedule_every_days,
            unit="days",
            periodic_task=task,
        )
        changed = True
    if changed:
        tracker.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


class Migration(migrations.Migration):
    dependencies = [
        ("xapi", "0002_rename_import_name"),
        ("integrated_channel", "0008_connections_operations_schedules"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.RemoveField(model_name="xapiimportconfiguration", name="import_name"),
        migrations.RemoveField(model_name="xapiimportconfiguration", name="schedule_start"),
        migrations.RemoveField(model_name="xapiimportconfiguration", name="schedule_every_days"),
    ]
