"""The run lock: one running run per configuration, never stale; the counts check of finished runs."""

from __future__ import annotations

import datetime
import threading
from unittest import mock

import pytest
from django.db import IntegrityError, close_old_connections, connection, transaction
from django.utils import timezone

from integrated_channels.integrated_channel.exceptions import RunLocked, RunLockLost
from integrated_channels.integrated_channel.models import Run
from integrated_channels.integrated_channel.services import runs
from integrated_channels.integrated_channel.services.results import LOCKED
from integrated_channels.integrated_channel.services.transmission import transmit_learner_data
from integrated_channels.testing.client import TestChannelClient
from tests.integrated_channels.factories import TestChannelConfigurationFactory, completed_enrollment

pytestmark = pytest.mark.django_db


def start(config, kind="learner_data"):
    return runs.start_run(configuration=config, kind=kind, trigger=Run.Trigger.COMMAND)


def test_the_database_refuses_two_running_runs_of_one_configuration():
    config = TestChannelConfigurationFactory()
    first = start(config)

    with pytest.raises(IntegrityError), transaction.atomic():
        Run.objects.create(
            configuration=config,
            customer=config.customer,
            channel="TEST",
            started_at=first.started_at,
            heartbeat_at=first.started_at,
        )


def test_a_fresh_running_run_refuses_a_second_one():
    config = TestChannelConfigurationFactory()
    holder = start(config)

    with pytest.raises(RunLocked) as info:
        start(config)

    assert info.value.holder == holder


def test_learner_data_and_content_runs_lock_separately():
    config = TestChannelConfigurationFactory()
    start(config)

    assert start(config, "content_metadata").status == "running"


def test_another_configuration_is_not_locked():
    start(TestChannelConfigurationFactory())

    assert start(TestChannelConfigurationFactory()).status == "running"


def test_a_run_without_heartbeat_for_longer_than_the_expiry_is_taken_over(settings):
    settings.INTEGRATED_CHANNELS = {**settings.INTEGRATED_CHANNELS, "RUN_LOCK_EXPIRY": 60}
    config = TestChannelConfigurationFactory()
    stale = start(config)
    Run.objects.filter(pk=stale.pk).update(
        heartbeat_at=timezone.now() - datetime.timedelta(seconds=61), selected=10, sent=4, skipped=1, failed=1
    )

    new = start(config)

    stale.refresh_from_db()
    assert new.status == "running"
    assert (stale.status, stale.error_code, stale.not_attempted) == ("failed", "abandoned", 4)
    assert "no heartbeat since" in stale.error_message


def test_a_locked_run_is_reported_not_failed():
    config = TestChannelConfigurationFactory()
    holder = start(config)

    result = transmit_learner_data(configuration=config)

    assert (result.status, result.run_id) == (LOCKED, holder.pk)
    assert Run.objects.count() == 1


def test_a_run_declared_abandoned_stops_at_its_next_heartbeat(settings):
    settings.INTEGRATED_CHANNELS = {**settings.INTEGRATED_CHANNELS, "HEARTBEAT_INTERVAL": 0}
    config = TestChannelConfigurationFactory(customer__enable_data_sharing_consent=False)
    for _ in range(3):
        completed_enrollment(config.customer)
    original = TestChannelClient.send_learner_data

    def send_then_lose_the_lock(self, records):
        outcomes = original(self, records)
        run = Run.objects.get(status="running")
        runs.abandon(run, now=timezone.now())
        return outcomes

    with mock.patch.object(TestChannelClient, "send_learner_data", send_then_lose_the_lock):
        result = transmit_learner_data(configuration=config)

    assert result.status == "failed" and "no longer running" in result.error
    assert result.sent == 1  # it stopped after the first call
    assert Run.objects.get().error_code == "abandoned"  # the row keeps what the taker wrote


def test_heartbeat_of_a_run_that_is_no_longer_running_raises():
    run = start(TestChannelConfigurationFactory())
    runs.finish_run(run, status=Run.Status.COMPLETED)

    with pytest.raises(RunLockLost):
        runs.heartbeat(run)


def test_finished_counts_must_add_up_in_the_database():
    run = start(TestChannelConfigurationFactory())

    with pytest.raises(IntegrityError), transaction.atomic():
        Run.objects.filter(pk=run.pk).update(status="completed", finished_at=timezone.now(), selected=3, sent=1)


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_two_processes_starting_at_once_get_one_run():
    config = TestChannelConfigurationFactory()
    barrier = threading.Barrier(2)
    outcomes = []

    def contender():
        close_old_connections()
        try:
            barrier.wait()
            outcomes.append(start(config).pk)
        except RunLocked:
            outcomes.append("locked")
        finally:
            connection.close()

    threads = [threading.Thread(target=contender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes, key=str).count("locked") == 1
    assert Run.objects.filter(status="running").count() == 1
