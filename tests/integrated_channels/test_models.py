"""Invariants the database holds for configurations, audit rows and tokens; secrets encrypted at rest."""

from __future__ import annotations

import io

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from enterprise.models import AccessToken
from integrated_channels.integrated_channel.models import (
    ChannelConfiguration,
    ContentTransmissionAudit,
    LearnerDataTransmissionAudit,
)
from integrated_channels.sap_success_factors.models import SAPSuccessFactorsConfiguration
from tests.factories import CustomerFactory, EnrollmentFactory, IdentityProviderFactory
from tests.integrated_channels.factories import (
    SECRET,
    SAPConfigurationFactory,
    TestChannelConfigurationFactory,
)

pytestmark = pytest.mark.django_db


def stored_secret(config) -> str:
    table = SAPSuccessFactorsConfiguration._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT client_secret FROM {table} WHERE channelconfiguration_ptr_id = %s", [config.pk])
        return cursor.fetchone()[0]


def test_one_connection_per_channel_customer_and_name():
    config = SAPConfigurationFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        SAPConfigurationFactory(customer=config.customer)


def test_a_customer_may_have_several_named_connections_of_one_channel():
    config = SAPConfigurationFactory()
    SAPConfigurationFactory(customer=config.customer, name="second tenant")

    assert sorted(
        SAPSuccessFactorsConfiguration.objects.filter(customer=config.customer).values_list("name", flat=True)
    ) == [
        "default",
        "second tenant",
    ]


def test_a_customer_may_have_one_configuration_of_each_channel():
    config = SAPConfigurationFactory()
    TestChannelConfigurationFactory(customer=config.customer)

    assert ChannelConfiguration.objects.filter(customer=config.customer).count() == 2


def test_the_duplicate_is_a_validation_error_in_forms():
    config = SAPConfigurationFactory()
    duplicate = SAPSuccessFactorsConfiguration(customer=config.customer)

    with pytest.raises(ValidationError, match="already has a connection of this connector with this name"):
        duplicate.validate_constraints()

    SAPSuccessFactorsConfiguration(customer=config.customer, name="other").validate_constraints()


def test_configurations_know_their_channel_and_resolve_to_their_own_model():
    sap = SAPConfigurationFactory()
    test = TestChannelConfigurationFactory()

    assert (sap.channel, test.channel) == ("SAP", "TEST")
    assert ChannelConfiguration.objects.get(pk=sap.pk).specific() == sap
    assert [type(c).__name__ for c in ChannelConfiguration.objects.order_by("pk").specific()] == [
        "SAPSuccessFactorsConfiguration",
        "TestChannelConfiguration",
    ]


def test_transmittable_means_active_configuration_of_active_customer():
    active = SAPConfigurationFactory()
    SAPConfigurationFactory(active=False)
    SAPConfigurationFactory(customer=CustomerFactory(active=False))

    assert list(ChannelConfiguration.objects.transmittable()) == [active.channelconfiguration_ptr]
    assert [c.transmittable for c in ChannelConfiguration.objects.order_by("pk")] == [True, False, False]


def test_the_client_secret_is_encrypted_at_rest():
    config = SAPConfigurationFactory()

    stored = stored_secret(config)
    assert stored.startswith("fernet:") and SECRET not in stored
    assert SAPSuccessFactorsConfiguration.objects.get(pk=config.pk).client_secret == SECRET


def test_key_rotation_re_encrypts_channel_secrets_and_tokens(settings):
    old, new = Fernet.generate_key(), Fernet.generate_key()
    settings.ENTERPRISE = {"ENCRYPTION_KEYS": [old]}
    config = SAPConfigurationFactory()
    token = AccessToken.objects.create(
        key="k", owner=f"channel:{config.pk}", credentials_digest="x", token="tok-abc", expires_at=timezone.now()
    )
    settings.ENTERPRISE = {"ENCRYPTION_KEYS": [new, old]}

    call_command("rotate_encryption_keys", stdout=io.StringIO())

    settings.ENTERPRISE = {"ENCRYPTION_KEYS": [new]}
    assert SAPSuccessFactorsConfiguration.objects.get(pk=config.pk).client_secret == SECRET
    assert AccessToken.objects.get(pk=token.pk).token == "tok-abc"


def test_events_per_call_is_1_to_10_in_the_database():
    config = SAPConfigurationFactory()

    for value in (0, 11):
        with pytest.raises(IntegrityError), transaction.atomic():
            SAPSuccessFactorsConfiguration.objects.filter(pk=config.pk).update(events_per_call=value)


def test_the_identity_provider_must_be_the_customers():
    config = SAPConfigurationFactory()
    config.identity_provider = IdentityProviderFactory()

    with pytest.raises(ValidationError, match="another customer"):
        config.clean()


def audit_row(config, enrollment, **fields):
    defaults = {
        "status": "failed",
        "payload_hash": "h",
        "last_attempt_at": timezone.now(),
        "course_id": enrollment.course_id,
    }
    return LearnerDataTransmissionAudit.objects.create(
        configuration=config, enrollment=enrollment, **{**defaults, **fields}
    )


def test_one_audit_row_per_configuration_and_enrollment():
    config = TestChannelConfigurationFactory()
    enrollment = EnrollmentFactory(learner__customer=config.customer)
    audit_row(config, enrollment)

    with pytest.raises(IntegrityError), transaction.atomic():
        audit_row(config, enrollment)


def test_a_sent_audit_row_has_its_sent_time():
    config = TestChannelConfigurationFactory()
    enrollment = EnrollmentFactory(learner__customer=config.customer)

    with pytest.raises(IntegrityError), transaction.atomic():
        audit_row(config, enrollment, status="sent", sent_at=None)


def test_one_content_audit_row_per_configuration_and_course():
    config = TestChannelConfigurationFactory()
    fields = {"status": "sent", "payload_hash": "h", "last_attempt_at": timezone.now(), "sent_at": timezone.now()}
    ContentTransmissionAudit.objects.create(configuration=config, course_id="c1", **fields)

    with pytest.raises(IntegrityError), transaction.atomic():
        ContentTransmissionAudit.objects.create(configuration=config, course_id="c1", **fields)


def test_one_token_per_key_and_a_deleted_configuration_takes_its_tokens_along():
    from integrated_channels.integrated_channel.transports.oauth2 import TokenRequest, owner_of

    config, other = SAPConfigurationFactory(), SAPConfigurationFactory()
    fields = {"credentials_digest": "d", "token": "t", "expires_at": timezone.now()}

    def request(configuration, subject):
        return TokenRequest("https://x/token", "id", "secret", owner=owner_of(configuration), subject=subject)

    for configuration, subject in ((config, ""), (config, "sap-1"), (other, "")):
        AccessToken.objects.create(key=request(configuration, subject).key, owner=owner_of(configuration), **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        AccessToken.objects.create(key=request(config, "").key, **fields)

    SAPSuccessFactorsConfiguration.objects.filter(pk=config.pk).delete()

    assert list(AccessToken.objects.values_list("owner", flat=True)) == [owner_of(other)]
