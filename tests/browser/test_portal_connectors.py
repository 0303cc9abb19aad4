"""The portal's Connectors pages in a real browser at 1024 px: a customer administrator runs an
operation with a start date and reads its execution status; another customer's administrator gets 404."""

import pytest
from django.urls import reverse

from integrated_channels.integrated_channel.models import PortalConnector, Run
from tests.browser.portal_sign_in import sign_in, two_customers
from tests.testconnector import REMOTE
from tests.testconnector.models import EchoConnection

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORT = {"width": 1024, "height": 800}


def test_run_an_operation_and_read_its_status(live_server, open_browser, artifacts_dir):
    REMOTE["rows"], REMOTE["exported"] = [], []
    acme, _globex = two_customers()  # administrators "ada" and "gus" (Globex's sees none of this)
    PortalConnector.objects.create(customer=acme, channel="ECHO")
    echo = EchoConnection.objects.create(customer=acme, name="main", active=True, token="open-sesame")
    target = reverse("enterprise_portal:connectors", kwargs={"customer_uuid": acme.uuid})
    with open_browser(viewport=VIEWPORT) as page:
        sign_in(page, live_server.url, "ada", target)
        page.wait_for_url("**/connectors/")
        assert page.get_by_role("heading", level=2, name="Echo").is_visible()
        page.get_by_role("button", name="Test connection main").click()
        page.get_by_text("main: Connected. Columns: email, name.").wait_for()
        page.get_by_role("link", name="Export echoes").click()
        page.get_by_label("Start date", exact=True).fill("2026-01-15")
        page.get_by_role("button", name="Execute").click()
        page.locator("#runs .run-row").first.wait_for()
        assert "On demand (portal)" in page.locator("#runs").inner_text()
        assert page.get_by_role(
            "img", name="Records done, skipped and failed of the recent runs, oldest first"
        ).is_visible()
        page.screenshot(path=str(artifacts_dir / "portal-connector-operation-1024.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORT["width"]
    run = Run.objects.get()
    assert run.trigger == Run.Trigger.PORTAL and REMOTE["exported"][0]["start_date"].date().isoformat() == "2026-01-15"
    operation = reverse(
        "enterprise_portal:connector_operation",
        kwargs={"customer_uuid": acme.uuid, "configuration_id": echo.pk, "code": "echo_export"},
    )
    with open_browser(viewport=VIEWPORT) as page:
        sign_in(page, live_server.url, "gus", target)
        page.wait_for_load_state()
        assert page.goto(live_server.url + target).status == 404
        assert page.goto(live_server.url + operation).status == 404
