"""Fixtures of the channel tests: no real waiting, in-process runs, a fake SAP SuccessFactors."""

from __future__ import annotations

import pytest

from integrated_channels import testing
from integrated_channels.integrated_channel.transports import base as transport_base
from tests.fakes.sap import FakeSAPSuccessFactors
from tests.integrated_channels.factories import SECRET, SAPConfigurationFactory

FAST = {
    "USE_CELERY": False,
    "MAX_RETRIES": 2,
    "BACKOFF_SECONDS": 0.01,
    "MAX_RETRY_WAIT": 30,
    "CONNECT_TIMEOUT": 2,
    "READ_TIMEOUT": 2,
}


@pytest.fixture(autouse=True)
def channel_settings(settings, request):
    """Runs in-process and fast retries, unless a test is marked ``celery``."""
    if "celery" not in request.keywords:
        settings.INTEGRATED_CHANNELS = dict(FAST)
    return settings


@pytest.fixture(autouse=True)
def waits(monkeypatch):
    """Clients never really wait in tests: every wait is recorded here instead."""
    recorded: list[float] = []
    monkeypatch.setattr(transport_base, "pause", recorded.append)
    return recorded


@pytest.fixture(autouse=True)
def empty_outbox():
    testing.outbox.clear()
    yield
    testing.outbox.clear()


@pytest.fixture
def fake_sap():
    with FakeSAPSuccessFactors() as server:
        yield server


@pytest.fixture
def sap_config(fake_sap, db):
    """An active SAP configuration of a consent-enabled customer, pointing at the fake tenant."""
    config = SAPConfigurationFactory(
        base_url=fake_sap.base_url,
        company_id="ACME",
        client_id="acme-client",
        client_secret=SECRET,
        customer__enable_data_sharing_consent=True,
    )
    fake_sap.add_tenant("ACME", "acme-client", SECRET)
    return config
