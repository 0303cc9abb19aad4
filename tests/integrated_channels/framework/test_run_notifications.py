"""The e-mail told to a connection's contacts when a run ends, as the connection chooses (decision 0174)."""

from __future__ import annotations

import pytest
from django.core import mail

from integrated_channels.integrated_channel import tasks
from integrated_channels.integrated_channel.services import operations
from integrated_channels.integrated_channel.services.run_notifications import should_notify

pytestmark = pytest.mark.django_db

RUNS = {
    "completed": [{"email": "a@example.com"}],
    "completed_with_errors": [{"email": "a@example.com"}, {"name": "no e-mail"}],
    "failed": [{"boom": True}],
}


@pytest.mark.parametrize(
    ("notify_when", "told"),
    [
        ("never", set()),
        ("failures", {"failed"}),
        ("errors", {"failed", "completed_with_errors"}),
        ("always", {"failed", "completed_with_errors", "completed"}),
    ],
)
def test_each_choice_tells_its_endings(echo, remote, notify_when, told, django_capture_on_commit_callbacks):
    echo.notify_when = notify_when
    echo.notify_emails = "ops@example.com"
    echo.save()
    endings = set()
    for status, rows in RUNS.items():
        remote["rows"] = rows
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            run = operations.run_now(echo, "echo_import")
        assert run.status == status
        if mail.outbox:
            endings.add(status)
    assert endings == told


def test_the_email_gives_the_counts_the_error_and_the_report_link(
    echo, remote, settings, django_capture_on_commit_callbacks
):
    settings.INTEGRATED_CHANNELS = {**settings.INTEGRATED_CHANNELS, "ADMIN_ROOT_URL": "https://admin.example.com/"}
    echo.notify_when = "errors"
    echo.notify_emails = "ops@example.com,\nlead@example.com; boss@example.com"
    echo.save()
    remote["rows"] = RUNS["completed_with_errors"]

    with django_capture_on_commit_callbacks(execute=True):
        run = operations.run_now(echo, "echo_import")

    [message] = mail.outbox
    assert message.to == ["ops@example.com", "lead@example.com", "boss@example.com"]
    assert message.subject == f"{echo.customer.name}: Import echoes of Echo connection “main”: completed with errors"
    body = message.body
    assert "Records considered: 2\nDone: 1\nSkipped: 0\nFailed: 1\nNot attempted: 0" in body
    assert f"https://admin.example.com/admin/integrated_channel/run/{run.pk}/error-report.csv" in body


def test_nothing_is_sent_before_the_commit_nor_when_it_rolls_back(echo, remote, django_capture_on_commit_callbacks):
    echo.notify_when = "always"
    echo.notify_emails = "ops@example.com"
    echo.save()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        operations.run_now(echo, "echo_import")
    assert mail.outbox == [] and len(callbacks) == 1  # sent only once the transaction commits


def test_without_addresses_or_for_a_deleted_connection_nobody_is_told(echo, remote, django_capture_on_commit_callbacks):
    echo.notify_when = "always"
    echo.save()
    with django_capture_on_commit_callbacks(execute=True):
        operations.run_now(echo, "echo_import")
    assert mail.outbox == []


def test_with_a_broker_a_celery_task_sends_it(echo, remote, settings, monkeypatch, django_capture_on_commit_callbacks):
    settings.INTEGRATED_CHANNELS = {**settings.INTEGRATED_CHANNELS, "USE_CELERY": True}
    sent = []
    monkeypatch.setattr(tasks.notify_run_end, "apply_async", lambda kwargs, **options: sent.append(kwargs))
    echo.notify_when = "always"
    echo.notify_emails = "ops@example.com"
    echo.save()
    run = operations.run_now(echo, "echo_import")  # in-process here; only the e-mail goes to the worker
    with django_capture_on_commit_callbacks(execute=True):
        run = operations.run_now(echo, "echo_import")

    assert sent[-1] == {"run_id": run.pk} and mail.outbox == []
    assert tasks.notify_run_end(run_id=run.pk) == 1  # the worker
    assert mail.outbox[0].to == ["ops@example.com"]


def test_an_abandoned_run_is_a_failure_told_to_the_contacts(echo, remote, settings, django_capture_on_commit_callbacks):
    import datetime

    from django.utils import timezone

    from integrated_channels.integrated_channel.models import Run
    from integrated_channels.integrated_channel.services import runs

    echo.notify_when = "failures"
    echo.notify_emails = "ops@example.com"
    echo.save()
    stale = timezone.now() - datetime.timedelta(hours=2)
    dead = Run.objects.create(
        configuration=echo,
        customer=echo.customer,
        channel="ECHO",
        connection_name="main",
        kind="echo_import",
        started_at=stale,
        heartbeat_at=stale,
    )
    with django_capture_on_commit_callbacks(execute=True):
        runs.start_run(configuration=echo, kind="echo_import", trigger="command")

    [message] = mail.outbox
    assert f"Run: #{dead.pk}" in message.body and "Abandoned" in message.body


def test_the_choice_is_a_table_of_statuses():
    assert should_notify("errors", "completed_with_errors") and not should_notify("failures", "completed_with_errors")
    assert not should_notify("never", "failed") and should_notify("always", "completed")


def test_bad_addresses_are_refused_by_the_form(echo):
    from django.core.exceptions import ValidationError

    echo.notify_emails = "ops@example.com, not-an-address"
    with pytest.raises(ValidationError, match="Not e-mail addresses: not-an-address"):
        echo.full_clean()
