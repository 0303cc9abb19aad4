"""A connector declared only in its own package (tests.testconnector, installed by the test settings)
gets runs, schedules, operation pages and a tile on the Connectors page with no framework edit."""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

import integrated_channels.integrated_channel as framework
from integrated_channels.integrated_channel.models import Run
from integrated_channels.integrated_channel.registry import registry
from integrated_channels.integrated_channel.schedules import save_schedule, task_name
from integrated_channels.integrated_channel.services import operations
from integrated_channels.integrated_channel.tasks import run_scheduled_operation

pytestmark = pytest.mark.django_db


def test_the_framework_names_no_connector_of_its_own():
    """The framework's code and templates never name the echo connector (nor any run kind of a connector)."""
    root = Path(framework.__file__).parent
    sources = [path for path in root.rglob("*") if path.suffix in (".py", ".html") and "migrations" not in path.parts]
    assert sources
    for path in sources:
        text = path.read_text().lower()
        names = ("testconnector", '"echo"', "echo_import", "echo_export")
        names += ("user_import", "statement_import", "file_export", "skills_export")  # the kinds of SFTP, xAPI
        for name in names:
            # a kind as a word of its own (the pipeline's ``run_user_import`` is the contract's name, not a kind)
            assert not re.search(rf"(?<![a-z0-9_]){re.escape(name)}(?![a-z0-9_])", text), f"{path} names {name!r}"


def test_its_operations_are_run_kinds_with_their_labels(echo, remote):
    remote["rows"] = [{"email": "a@example.com"}, {"name": "no e-mail"}]

    run = operations.run_now(echo, "echo_import", trigger=Run.Trigger.ADMIN)

    assert (run.kind, run.kind_label, run.channel, run.connection_name) == (
        "echo_import",
        "Import echoes",
        "ECHO",
        "main",
    )
    assert (run.status, run.selected, run.sent, run.failed) == (Run.Status.COMPLETED_WITH_ERRORS, 2, 1, 1)
    assert ("echo_export", "Export echoes") in registry.kind_choices()


def test_each_operation_has_its_own_schedule_and_scheduled_runs(echo, remote):
    start = timezone.now() - datetime.timedelta(minutes=5)
    save_schedule(echo, "echo_import", enabled=True, start=start, every=2, unit="hours")
    save_schedule(echo, "echo_export", enabled=True, start=start, every=3, unit="days")

    tasks = {task.name: task for task in PeriodicTask.objects.filter(name__startswith=f"connection-{echo.pk}-")}
    assert set(tasks) == {task_name(echo.pk, "echo_import"), task_name(echo.pk, "echo_export")}
    assert json.loads(tasks[task_name(echo.pk, "echo_export")].kwargs) == {
        "configuration_id": echo.pk,
        "operation": "echo_export",
    }

    imported = run_scheduled_operation(configuration_id=echo.pk, operation="echo_import")
    exported = run_scheduled_operation(configuration_id=echo.pk, operation="echo_export")

    runs = Run.objects.filter(pk__in=[imported, exported]).order_by("pk")
    assert [(run.kind, run.trigger) for run in runs] == [("echo_import", "schedule"), ("echo_export", "schedule")]
    covered = timezone.now() - remote["exported"][0]["start_date"]  # an export covers the previous interval
    assert datetime.timedelta(days=3) <= covered < datetime.timedelta(days=3, minutes=1)
    assert runs[0].start_date is None  # an import has no period


def test_its_operation_page_schedules_runs_and_lists_runs(echo, admin_client, remote):
    url = reverse("admin:integrated_channel_operation", args=[echo.pk, "echo_export"])

    scheduled = admin_client.post(
        url, {"action": "schedule", "enabled": "on", "start": "2027-01-04T06:30", "every": "12", "unit": "hours"}
    )
    ran = admin_client.post(url, {"action": "run", "start_date": "2026-11-02"}, follow=True)

    assert scheduled.status_code == 302
    task = PeriodicTask.objects.get(name=task_name(echo.pk, "echo_export"))
    assert (task.interval.every, task.interval.period, task.enabled) == (12, "hours", True)
    run = Run.objects.get(kind="echo_export")
    assert (run.trigger, timezone.localdate(run.start_date)) == (Run.Trigger.ADMIN, datetime.date(2026, 11, 2))
    body = ran.content.decode()
    assert f"run #{run.pk} completed: 1 done, 0 failed" in body
    assert f">#{run.pk}<" in body and 'class="chart-done"' in body and 'value="Re-run"' in body
    assert 'value="2027-01-04T06:30"' in body  # the schedule as saved


def test_its_tile_is_on_the_connectors_page(echo, admin_client):
    page = admin_client.get(reverse("admin:integrated_channel_connectors", args=[echo.customer_id])).content.decode()

    tile = page[page.index('id="connector-echo"') :]
    tile = tile[: tile.index("</section>")]
    assert "Reads rows from a dict" in tile and "Give the token" in tile
    add = reverse("admin:testconnector_echoconnection_add")
    assert f'href="{add}?customer={echo.customer_id}"' in tile
    assert reverse("admin:integrated_channel_operation", args=[echo.pk, "echo_import"]) in tile


def test_an_operation_can_be_on_demand_only(echo, admin_client, monkeypatch):
    """``schedulable=False``: no schedule form, and the schedule service refuses it."""
    import dataclasses

    from integrated_channels.integrated_channel.exceptions import OperationRefused

    channel = registry.get("ECHO")
    on_demand = tuple(
        dataclasses.replace(operation, schedulable=False) if operation.code == "echo_import" else operation
        for operation in channel.operations
    )
    monkeypatch.setitem(registry._channels, "ECHO", dataclasses.replace(channel, operations=on_demand))

    page = admin_client.get(reverse("admin:integrated_channel_operation", args=[echo.pk, "echo_import"]))

    assert "This operation runs on demand only." in page.content.decode()
    assert 'class="operation-schedule"' not in page.content.decode()
    with pytest.raises(OperationRefused, match="runs on demand only"):
        save_schedule(echo, "echo_import", enabled=True, start=timezone.now(), every=1, unit="days")


def test_a_dry_run_tells_nobody(echo, django_capture_on_commit_callbacks):
    from django.core import mail

    from integrated_channels.integrated_channel.services import runs

    echo.notify_when, echo.notify_emails = "always", "ops@example.com"
    echo.save()
    with django_capture_on_commit_callbacks(execute=True):
        run = runs.start_run(configuration=echo, kind="echo_import", trigger="command", dry_run=True)
        runs.finish_run(run, status=Run.Status.COMPLETED)
    assert mail.outbox == []
