"""The transmits are operations too: a channel with exporters offers learner data (and content
metadata) per connection, on demand and on a schedule, through the same service."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from integrated_channels import testing
from integrated_channels.integrated_channel.exceptions import RunLocked
from integrated_channels.integrated_channel.models import Run
from integrated_channels.integrated_channel.schedules import save_schedule
from integrated_channels.integrated_channel.services import operations, runs
from integrated_channels.integrated_channel.tasks import run_scheduled_operation
from tests.integrated_channels.factories import TestChannelConfigurationFactory, completed_enrollment

pytestmark = pytest.mark.django_db


def test_learner_data_of_one_connection_on_demand_and_on_schedule(admin_client):
    config = TestChannelConfigurationFactory()
    completed_enrollment(config.customer)
    assert [operation.code for operation in config.get_channel().all_operations()] == [
        "learner_data",
        "content_metadata",
    ]

    run = operations.run_now(config, "learner_data", trigger=Run.Trigger.ADMIN)

    assert (run.kind, run.kind_label, run.sent, run.status) == ("learner_data", "Learner data", 1, "completed")
    assert len(testing.outbox) == 1
    save_schedule(config, "content_metadata", enabled=True, start=timezone.now(), every=1, unit="hours")
    scheduled = Run.objects.get(pk=run_scheduled_operation(configuration_id=config.pk, operation="content_metadata"))
    assert (scheduled.kind, scheduled.trigger) == ("content_metadata", Run.Trigger.SCHEDULE)
    change = admin_client.get(reverse("admin:channel_testing_testchannelconfiguration_change", args=[config.pk]))
    assert "every 1 hours from" in change.content.decode()


def test_a_transmit_in_progress_refuses_a_second_one():
    config = TestChannelConfigurationFactory()
    runs.start_run(configuration=config, kind="learner_data", trigger="command")
    with pytest.raises(RunLocked):
        operations.run_now(config, "learner_data")
