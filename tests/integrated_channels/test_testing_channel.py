"""The test channel shipped in the package: what users' own tests see."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from integrated_channels import testing
from tests.factories import StaffFactory
from tests.integrated_channels.factories import TestChannelConfigurationFactory, completed_enrollment

pytestmark = pytest.mark.django_db


def test_the_outbox_holds_every_call_with_its_payloads():
    StaffFactory(username="staff")
    config = TestChannelConfigurationFactory(customer__enable_data_sharing_consent=False, records_per_call=2)
    enrollments = [completed_enrollment(config.customer) for _ in range(3)]

    call_command("transmit_learner_data", api_user="staff", channel=["TEST"], stdout=io.StringIO())

    assert [(call.configuration_id, call.kind, len(call.payloads)) for call in testing.outbox] == [
        (config.pk, "learner_data", 2),
        (config.pk, "learner_data", 1),
    ]
    first = testing.outbox[0].payloads[0]
    assert first["user"] == enrollments[0].learner.user.username
    assert first["course"] == enrollments[0].course_id
    assert (first["completed"], first["grade"]) == (True, "0.91")
    assert isinstance(first["completed_at"], int)


def test_the_api_key_is_a_secret(staff_client):
    config = TestChannelConfigurationFactory(api_key="test-channel-key-123")

    assert config.secrets() == ["test-channel-key-123"]
    page = staff_client.get(f"/admin/channel_testing/testchannelconfiguration/{config.pk}/change/")
    assert "test-channel-key-123" not in page.content.decode()


def test_unenrolled_enrollments_are_not_sent():
    from enterprise.services.unenrollment import unenroll_enrollments

    StaffFactory(username="staff")
    config = TestChannelConfigurationFactory(customer__enable_data_sharing_consent=False)
    kept, gone = completed_enrollment(config.customer), completed_enrollment(config.customer)
    unenroll_enrollments(enrollment_ids=[gone.pk])

    call_command("transmit_learner_data", api_user="staff", channel=["TEST"], stdout=io.StringIO())

    sent = [payload["course"] for call in testing.outbox for payload in call.payloads]
    assert sent == [kept.course_id]
