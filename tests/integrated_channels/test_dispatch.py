"""Where runs execute: in-process without a broker, one Celery task per (customer, channel) with one."""

from __future__ import annotations

import io
from unittest import mock

import pytest
from django.core.management import call_command

from integrated_channels.integrated_channel import tasks
from integrated_channels.integrated_channel.models import Run
from integrated_channels.integrated_channel.services import dispatch
from tests.factories import StaffFactory
from tests.integrated_channels.factories import TestChannelConfigurationFactory, completed_enrollment

pytestmark = pytest.mark.django_db


@pytest.fixture
def eager_celery():
    """Tasks run in-process whatever the environment: with CELERY_BROKER_URL set, the test settings
    send them to the broker, and no worker runs here (the test would wait for ever)."""
    from celery import current_app

    eager = {"task_always_eager": True, "task_eager_propagates": True}
    before = {key: current_app.conf.get(key) for key in eager}
    current_app.conf.update(eager)
    yield
    current_app.conf.update(before)


@pytest.mark.parametrize(
    ("broker", "eager", "expected"),
    [("redis://127.0.0.1:6379/5", False, True), ("redis://127.0.0.1:6379/5", True, False), ("", False, False)],
)
def test_celery_is_used_only_with_a_broker_and_not_eager(settings, broker, eager, expected):
    settings.INTEGRATED_CHANNELS = {**settings.INTEGRATED_CHANNELS, "USE_CELERY": None}
    conf = mock.Mock(broker_url=broker, task_always_eager=eager)
    with mock.patch("celery.current_app", mock.Mock(conf=conf)):
        assert dispatch.use_celery() is expected


def test_the_setting_forces_either_way(settings):
    settings.INTEGRATED_CHANNELS = {**settings.INTEGRATED_CHANNELS, "USE_CELERY": True}
    assert dispatch.use_celery() is True
    settings.INTEGRATED_CHANNELS = {**settings.INTEGRATED_CHANNELS, "USE_CELERY": False}
    assert dispatch.use_celery() is False


def test_fan_out_queues_one_task_per_customer_and_channel_and_waits(settings, eager_celery):
    """With Celery forced on (tasks run eagerly), the command goes through the tasks."""
    settings.INTEGRATED_CHANNELS = {**settings.INTEGRATED_CHANNELS, "USE_CELERY": True, "CELERY_QUEUE": "channels"}
    StaffFactory(username="staff")
    configs = [TestChannelConfigurationFactory() for _ in range(2)]
    for config in configs:
        completed_enrollment(config.customer)
    queued = []
    original = tasks.transmit_configuration.apply_async

    def spy(args=None, kwargs=None, **options):
        queued.append({"kwargs": kwargs, **options})
        return original(args, kwargs, **options)

    out = io.StringIO()
    with mock.patch.object(tasks.transmit_configuration, "apply_async", side_effect=spy):
        call_command("transmit_learner_data", api_user="staff", stdout=out)

    assert sorted(q["kwargs"]["configuration_id"] for q in queued) == sorted(c.pk for c in configs)
    assert {q["queue"] for q in queued} == {"channels"}
    assert "Dispatched 2 run(s) to Celery workers" in out.getvalue()
    assert "2 run(s): 2 selected, 2 sent, 0 failed." in out.getvalue()
    assert Run.objects.filter(status="completed").count() == 2
    assert {q["kwargs"]["full"] for q in queued} == {False}

    queued.clear()
    with mock.patch.object(tasks.transmit_configuration, "apply_async", side_effect=spy):
        call_command("transmit_learner_data", "--full", api_user="staff", stdout=io.StringIO())
    assert {q["kwargs"]["full"] for q in queued} == {True}  # --full reaches the workers
    assert set(Run.objects.order_by("-id").values_list("full_selection_reason", flat=True)[:2]) == {"requested"}


def test_a_task_without_result_counts_as_a_failed_run(settings):
    settings.INTEGRATED_CHANNELS = {**settings.INTEGRATED_CHANNELS, "USE_CELERY": True}
    config = TestChannelConfigurationFactory()
    broken = mock.Mock(id="task-1")
    broken.get.side_effect = TimeoutError("no answer")
    with mock.patch.object(tasks.transmit_configuration, "apply_async", return_value=broken):
        (result,) = dispatch.transmit(kind="learner_data")

    assert result.run_failed and "Task task-1 gave no result" in result.error
    assert result.configuration_id == config.pk


def test_transmit_all_queues_one_scheduled_run_per_active_configuration(eager_celery):
    active = TestChannelConfigurationFactory()
    TestChannelConfigurationFactory(active=False)
    completed_enrollment(active.customer)

    assert tasks.transmit_all.delay().get() == 1

    assert Run.objects.get().trigger == "schedule"


def test_every_connection_of_a_channel_of_one_customer_runs_in_process_and_fanned_out(settings, eager_celery):
    """Several connections of one channel per customer: the command and the fan-out run each (decision 0171)."""
    StaffFactory(username="staff")
    first = TestChannelConfigurationFactory()
    second = TestChannelConfigurationFactory(customer=first.customer, name="second account")
    completed_enrollment(first.customer)

    for use_celery in (False, True):
        settings.INTEGRATED_CHANNELS = {**settings.INTEGRATED_CHANNELS, "USE_CELERY": use_celery}
        call_command("transmit_learner_data", api_user="staff", channel=["TEST"], full=True, stdout=io.StringIO())

    runs = Run.objects.order_by("pk")
    assert [(run.configuration_id, run.connection_name) for run in runs] == [
        (first.pk, "default"),
        (second.pk, "second account"),
        (first.pk, "default"),
        (second.pk, "second account"),
    ]
    assert all(run.sent == 1 for run in runs[:2])  # each connection sends the learner's record once
