"""SAP SuccessFactors and the Open edX backends share the one token store: tokens in one table,
concurrent runs and workers fetching one token."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from enterprise.lms.openedx.client import OpenEdXClient
from enterprise.models import AccessToken
from enterprise.transports.oauth2 import TokenStore
from integrated_channels.sap_success_factors.client import SAPSuccessFactorsClient
from tests.fakes.openedx import FakeOpenEdX
from tests.integrated_channels.factories import SECRET, SAPConfigurationFactory


@pytest.fixture
def fake_openedx(settings):
    with FakeOpenEdX() as fake:
        fake.add_client("worker", "worker-secret", "enterprise_worker", staff=True)
        settings.ENTERPRISE_OPENEDX = {
            "LMS_URL": fake.lms_url,
            "DISCOVERY_API_URL": fake.discovery_api_url,
            "CLIENT_ID": "worker",
            "CLIENT_SECRET": "worker-secret",
            "MAX_RETRIES": 0,
        }
        yield fake


def run_at_once(count: int, work) -> list:
    """``work()`` in ``count`` threads started together (each its own database connection)."""
    results, barrier = [], threading.Barrier(count)

    def thread():
        try:
            barrier.wait()
            results.append(work())
        finally:
            connection.close()

    threads = [threading.Thread(target=thread) for _ in range(count)]
    for started in threads:
        started.start()
    for started in threads:
        started.join()
    return results


@pytest.mark.django_db
def test_sap_and_openedx_tokens_live_in_the_one_table(sap_config, fake_sap, fake_openedx):
    with SAPSuccessFactorsClient(sap_config) as sap:
        sap.token()
    openedx = OpenEdXClient(tokens=TokenStore())
    openedx.get_json(openedx.discovery("course_runs/"))

    rows = {row.owner: row for row in AccessToken.objects.all()}
    assert set(rows) == {f"channel:{sap_config.pk}", ""}
    assert rows[""].token_type == "JWT" and rows[f"channel:{sap_config.pk}"].token_type == "Bearer"

    openedx = OpenEdXClient(tokens=TokenStore())  # another worker: the stored token, no new one
    openedx.get_json(openedx.discovery("course_runs/"))
    assert fake_openedx.tokens_issued == 1 and fake_sap.calls("token") == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_sap_runs_of_one_configuration_fetch_one_token(fake_sap):
    config = SAPConfigurationFactory(
        base_url=fake_sap.base_url, company_id="ACME", client_id="acme-client", client_secret=SECRET
    )
    fake_sap.add_tenant("ACME", "acme-client", SECRET)
    fake_sap.delay("token", 0.3)  # a slow token endpoint: the other runs arrive meanwhile

    def run():
        with SAPSuccessFactorsClient(config) as client:
            return client.token().value

    values = run_at_once(4, run)

    assert len(values) == 4 and len(set(values)) == 1
    assert fake_sap.calls("token") == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_openedx_workers_fetch_one_token(fake_openedx):
    def work():
        client = OpenEdXClient(tokens=TokenStore())  # as separate processes: nothing shared but the table
        return client.token().value

    values = run_at_once(4, work)

    assert len(set(values)) == 1 and fake_openedx.tokens_issued == 1


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_workers_in_separate_processes_fetch_one_token(fake_sap, monkeypatch):
    """Without the process's lock (as in separate processes), the row claimed in the table serialises them."""
    import contextlib

    from enterprise.transports import oauth2

    monkeypatch.setattr(oauth2, "_lock", lambda key: contextlib.nullcontext())
    config = SAPConfigurationFactory(
        base_url=fake_sap.base_url, company_id="ACME", client_id="acme-client", client_secret=SECRET
    )
    fake_sap.add_tenant("ACME", "acme-client", SECRET)
    fake_sap.delay("token", 0.3)

    def run():
        with SAPSuccessFactorsClient(config) as client:
            return client.token().value

    values = run_at_once(4, run)

    assert len(values) == 4 and len(set(values)) == 1
    assert fake_sap.calls("token") == 1
