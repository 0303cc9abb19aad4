"""Issue 22 item 10: seed_demo gives learners SAP user ids and courses effort hours; ``sap_demo_server`` serves
the strict fake tenant and points a customer's connection at it, so the channel can be tried end to end."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from enterprise.learner_fields import SAP_USER_ID
from enterprise.lms.local import models as lms
from enterprise.models import EnterpriseCustomerUser
from integrated_channels.integrated_channel.models import Run
from integrated_channels.sap_success_factors.management.commands import sap_demo_server
from integrated_channels.sap_success_factors.models import SAPSuccessFactorsConfiguration

pytestmark = pytest.mark.django_db


def test_seed_demo_gives_learners_sap_user_ids_and_courses_effort_hours():
    call_command("seed_demo", learners=30, pending=0, admin_password="pw-demo-1", stdout=io.StringIO())

    ids = [learner.attributes.get(SAP_USER_ID) for learner in EnterpriseCustomerUser.objects.select_related("customer")]
    assert all(ids) and len(set(ids)) == len(ids) == 30
    assert not lms.Course.objects.filter(effort_hours__isnull=True).exists()


def test_the_demo_server_serves_the_seeded_customer_end_to_end(monkeypatch):
    """The transmit runs while the server waits (in place of an operator's second terminal)."""
    call_command("seed_demo", learners=60, pending=0, admin_password="pw-demo-1", stdout=io.StringIO())
    transmitted = io.StringIO()

    def run_while_serving(seconds):
        call_command("transmit_learner_data", api_user="admin", channel=["SAP"], customers=["acme"], stdout=transmitted)

    monkeypatch.setattr(sap_demo_server, "wait_until_stopped", run_while_serving)
    out = io.StringIO()
    call_command("sap_demo_server", port=0, customer="acme", stdout=out)

    config = SAPSuccessFactorsConfiguration.objects.get(name="Local SAP demo server")
    assert config.customer.slug == "acme" and config.active and config.base_url.startswith("http://127.0.0.1:")
    run = Run.objects.get(configuration=config)
    assert run.status == Run.Status.COMPLETED and run.sent > 0, transmitted.getvalue()
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("Acme Corporation: connection 'Local SAP demo server'")
    assert lines[2].startswith("  company id DEMO, client id demo-client, client secret ")
    assert lines[-1] == f"Stopped: {run.sent} learning event(s), 0 course(s) accepted."
    events = [line for line in lines if line.startswith("events")]
    assert len(events) == run.sent and all(" 200 acme" in line for line in events)
    assert all("totalHours=0" not in line for line in events)  # effort hours reach SAP


def test_a_refused_request_is_printed_with_sap_s_error():
    printed = io.StringIO()
    command = sap_demo_server.Command(stdout=printed)
    from tests.fakes.sap import Received

    command._print(Received("token", "POST", "/t", 401, None), {"code": "invalid_client", "message": "nope"})

    assert printed.getvalue() == "token      401 invalid_client: nope\n"


def test_an_address_guard_that_refuses_http_says_what_to_set(settings):
    call_command("seed_demo", learners=1, pending=0, admin_password="pw-demo-1", stdout=io.StringIO())
    settings.INTEGRATED_CHANNELS_ADDRESSES = {"ALLOW_HTTP": False, "ALLOWED_ADDRESSES": []}

    with pytest.raises(CommandError, match=r"CHANNELS_ALLOW_HTTP=1 CHANNELS_ALLOWED_ADDRESSES=127\.0\.0\.1"):
        call_command("sap_demo_server", port=0, customer="acme", seconds=0, stdout=io.StringIO())
    assert not SAPSuccessFactorsConfiguration.objects.exists()
