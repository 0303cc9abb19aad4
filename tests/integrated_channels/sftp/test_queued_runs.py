"""Admin runs go through Celery when a broker is configured: started (locked) at once, done by a worker."""

import pytest
from django.urls import reverse
from django.utils import timezone

from enterprise.models import PendingEnterpriseCustomerUser
from integrated_channels.integrated_channel import tasks
from integrated_channels.integrated_channel.exceptions import RunLocked
from integrated_channels.integrated_channel.models import Run
from integrated_channels.sftp.services import ondemand
from tests.integrated_channels.sftp.factories import connection_to
from tests.integrated_channels.sftp.test_rerun_admin import CSRF_INPUT, change_url, run_now_url, staff_client

pytestmark = pytest.mark.django_db

DIR = "import/user/internal"


@pytest.fixture
def broker(settings, monkeypatch):
    """Celery on (as with CELERY_BROKER_URL); the tasks sent are kept instead of reaching a broker."""
    settings.INTEGRATED_CHANNELS = {**settings.INTEGRATED_CHANNELS, "USE_CELERY": True}
    sent = []
    monkeypatch.setattr(tasks.run_queued_operation, "apply_async", lambda kwargs, **options: sent.append(kwargs))
    return sent


def test_the_admin_run_now_is_queued_with_a_link_to_its_run_and_a_worker_does_it(
    sftp_server, broker, django_capture_on_commit_callbacks
):
    config = connection_to(sftp_server)
    sftp_server.write(f"{DIR}/a.csv", "Email,Manager,Department\nx@example.com,,A\n")
    client = staff_client("view_sftpconfiguration", "change_sftpconfiguration")
    page = client.get(change_url(config)).content.decode()
    token = CSRF_INPUT.search(page[page.index('class="operation-run-now"') :]).group(1)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(run_now_url(config), {"csrfmiddlewaretoken": token, "action": "run"}, follow=True)

    run = Run.objects.get(configuration_id=config.pk)
    assert run.status == Run.Status.RUNNING and run.trigger == Run.Trigger.ADMIN  # not done in the request
    link = reverse("admin:integrated_channel_run_change", args=[run.pk])
    assert f'run <a href="{link}">#{run.pk}</a> queued' in response.content.decode()
    assert broker == [{"run_id": run.pk}]
    assert not PendingEnterpriseCustomerUser.objects.exists()

    with pytest.raises(RunLocked):  # the lock is held while it waits in the queue
        ondemand.queue(configuration=config, operation=ondemand.IMPORT)

    assert tasks.run_queued_operation(**broker[0]) == run.pk  # the worker

    run.refresh_from_db()
    assert (run.status, run.sent, run.api_user_id) == (Run.Status.COMPLETED, 1, response.wsgi_request.user.pk)
    assert PendingEnterpriseCustomerUser.objects.filter(user_email="x@example.com").exists()


def test_a_second_request_while_the_run_waits_says_a_run_is_in_progress(
    sftp_server, broker, django_capture_on_commit_callbacks
):
    config = connection_to(sftp_server)
    client = staff_client("view_sftpconfiguration", "change_sftpconfiguration")
    page = client.get(change_url(config)).content.decode()
    token = CSRF_INPUT.search(page[page.index('class="operation-run-now"') :]).group(1)
    data = {"csrfmiddlewaretoken": token, "action": "run"}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(run_now_url(config), data)
        response = client.post(run_now_url(config), data, follow=True)

    assert "Not started: Run #" in response.content.decode() and "has been running since" in response.content.decode()
    assert len(broker) == 1


def test_a_queued_export_keeps_its_dates_and_a_rerun_is_queued_too(
    sftp_server, broker, django_capture_on_commit_callbacks
):
    import datetime

    config = connection_to(sftp_server)
    start = datetime.date(2026, 11, 1)
    with django_capture_on_commit_callbacks(execute=True):
        run, queued = ondemand.queue(configuration=config, operation=ondemand.SKILLS, start_date=start)
    assert queued and timezone.localdate(run.start_date) == start
    tasks.run_queued_operation(**broker[0])
    run.refresh_from_db()
    assert run.status == Run.Status.COMPLETED

    with django_capture_on_commit_callbacks(execute=True):
        again, queued = ondemand.queue_rerun(run=run)
    assert queued and again.status == Run.Status.RUNNING and timezone.localdate(again.start_date) == start
    assert broker[1] == {"run_id": again.pk}


def test_a_broker_that_refuses_the_task_fails_the_run(
    sftp_server, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.INTEGRATED_CHANNELS = {**settings.INTEGRATED_CHANNELS, "USE_CELERY": True}

    def refuse(**kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.run_queued_operation, "apply_async", refuse)
    config = connection_to(sftp_server)
    with django_capture_on_commit_callbacks(execute=True):
        run, _queued = ondemand.queue(configuration=config, operation=ondemand.IMPORT)
    run.refresh_from_db()
    assert (run.status, run.error_code) == (Run.Status.FAILED, "not_queued")
    assert "broker down" in run.error_message


def test_a_run_abandoned_while_queued_is_not_done_by_the_worker(
    sftp_server, broker, django_capture_on_commit_callbacks
):
    config = connection_to(sftp_server)
    with django_capture_on_commit_callbacks(execute=True):
        run, _queued = ondemand.queue(configuration=config, operation=ondemand.IMPORT)
    Run.objects.filter(pk=run.pk).update(status=Run.Status.FAILED, error_code="abandoned", finished_at=timezone.now())
    assert tasks.run_queued_operation(**broker[0]) is None


def test_without_a_broker_the_admin_runs_in_the_request(sftp_server, settings):
    from unittest import mock

    settings.INTEGRATED_CHANNELS = {**settings.INTEGRATED_CHANNELS, "USE_CELERY": None}  # decided by the broker
    config = connection_to(sftp_server)
    conf = mock.Mock(broker_url="", task_always_eager=True)  # no CELERY_BROKER_URL: the standalone settings
    with mock.patch("celery.current_app", mock.Mock(conf=conf)):
        run, queued = ondemand.queue(configuration=config, operation=ondemand.IMPORT)
    assert not queued and run.status == Run.Status.COMPLETED
