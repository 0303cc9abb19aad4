"""Test connection of SAP SuccessFactors against the fake tenant: a token, or the reason there is none."""

import pytest

from integrated_channels.integrated_channel.services.connections import test_connection as check

pytestmark = pytest.mark.django_db


def test_a_token_is_issued(sap_config, fake_sap):
    result = check(sap_config)
    assert result.ok, result.message
    assert f"issued a token for company {sap_config.company_id}" in result.message
    assert fake_sap.calls("token") == 1


def test_a_wrong_secret_is_a_failure_without_the_secret(sap_config):
    sap_config.client_secret = "wrong-secret-value"
    sap_config.save()
    result = check(sap_config)
    assert not result.ok and "HTTP 401" in result.message
    assert "wrong-secret-value" not in result.summary()
