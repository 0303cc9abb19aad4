"""The migrations of issue 14 keep what exists: SFTP and xAPI-import schedules become per-operation
schedules with their periodic tasks, an xAPI import's name becomes its connection's name (its runs
filed under it), and every other configuration is the connection "default"."""

from __future__ import annotations

import json
import uuid

import pytest
from django.utils import timezone

from tests.migrations import latest, migrate

BEFORE = [
    ("integrated_channel", "0007_imported_people"),
    ("sftp", "0003_import_conditions_leavers_source_columns"),
    ("xapi", "0001_initial"),
    ("django_celery_beat", "0019_alter_periodictasks_options"),
]


@pytest.mark.django_db(transaction=True)
def test_schedules_names_and_runs_are_carried_over():
    old = migrate(BEFORE)
    customer = old.get_model("enterprise", "EnterpriseCustomer").objects.create(
        uuid=uuid.uuid4(), name="Acme", slug="acme"
    )
    start = timezone.now().replace(microsecond=0)
    common = {"customer": customer, "host": "h", "username": "u", "password": "p", "host_key_fingerprint": "x"}
    sftp = old.get_model("sftp", "SFTPConfiguration").objects.create(
        channel="SFTP",
        active=True,
        schedule_start=start,
        schedule_every_days=7,
        scheduled_import=True,
        scheduled_export=False,
        scheduled_skills_export=True,
        **common,
    )
    imported = old.get_model("xapi", "XAPIImportConfiguration").objects.create(
        channel="XAPI_IMPORT",
        name="LMS statements",
        source_file="x.csv",
        schedule_start=start,
        schedule_every_days=2,
        **common,
    )
    tasks = old.get_model("django_celery_beat", "PeriodicTask")
    interval = old.get_model("django_celery_beat", "IntervalSchedule").objects.create(every=7, period="days")
    tasks.objects.create(
        name=f"sftp-connection-{sftp.pk}", task="integrated_channels.sftp.tasks.run_scheduled", interval=interval
    )
    tasks.objects.create(
        name=f"xapi-import-{imported.pk}", task="integrated_channels.xapi.tasks.import_scheduled", interval=interval
    )
    old.get_model("integrated_channel", "Run").objects.create(
        configuration_id=imported.pk,
        customer=customer,
        channel="XAPI_IMPORT",
        kind="statement_import",
        started_at=start,
        heartbeat_at=start,
    )

    new = migrate(latest())

    connections = new.get_model("integrated_channel", "ChannelConfiguration").objects
    assert dict(connections.values_list("channel", "name")) == {"SFTP": "default", "XAPI_IMPORT": "LMS statements"}
    assert new.get_model("integrated_channel", "Run").objects.get().connection_name == "LMS statements"
    schedules = new.get_model("integrated_channel", "OperationSchedule").objects.order_by(
        "configuration_id", "operation"
    )
    assert [(s.configuration_id, s.operation, s.every, s.unit, s.start, s.enabled) for s in schedules] == [
        (sftp.pk, "skills_export", 7, "days", start, True),
        (sftp.pk, "user_import", 7, "days", start, True),
        (imported.pk, "statement_import", 2, "days", start, True),
    ]
    tasks = new.get_model("django_celery_beat", "PeriodicTask").objects
    assert sorted(tasks.filter(name__startswith="connection-").values_list("name", flat=True)) == [
        f"connection-{sftp.pk}-skills_export",
        f"connection-{sftp.pk}-user_import",
        f"connection-{imported.pk}-statement_import",
    ]
    task = tasks.get(name=f"connection-{sftp.pk}-skills_export")
    assert (task.task, task.enabled, task.interval.every) == ("integrated_channels.run_scheduled_operation", True, 7)
    assert json.loads(task.kwargs) == {"configuration_id": sftp.pk, "operation": "skills_export"}
    assert schedules[0].periodic_task_id == task.pk
