"""In a real browser at 1024 px: a customer administrator authorizes a Canvas connection from the portal
(decision 0485): the connectors page, the connection's page, *Authorize in Canvas*, the fake Canvas's
consent, the portal's callback on the live server, back on the connection's page. Then the remote
refuses once (the administrator sees why, nothing stored), and a second customer's administrator
replaying a state the first one's browser started gets 404 with nothing exchanged; axe-core on the pages shown.

The fake Canvas grants (or denies) at once and redirects the browser to the ``redirect_uri`` it was
given, which it checks against the one registered for the developer key: the portal's callback.
"""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from enterprise.models import PortalAction
from integrated_channels.canvas.models import CanvasConfiguration
from integrated_channels.integrated_channel.models import PortalConnector
from tests.browser.accessibility import assert_accessible
from tests.browser.portal_sign_in import sign_in, two_customers
from tests.fakes.canvas import FakeCanvas

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORT = {"width": 1024, "height": 800}
CLIENT_ID = "10000000000001"
SECRET = "canvas-secret-b10b"


def test_authorize_a_canvas_connection_from_the_portal(live_server, open_browser, artifacts_dir, settings):
    settings.INTEGRATED_CHANNELS = {"USE_CELERY": False}
    acme, globex = two_customers()  # administrators "ada" and "gus"
    for customer in (acme, globex):
        PortalConnector.objects.create(customer=customer, channel="CANVAS")
    callback = live_server.url + reverse("enterprise_portal:connection_authorized")
    connectors = reverse("enterprise_portal:connectors", kwargs={"customer_uuid": acme.uuid})

    with FakeCanvas() as canvas:
        canvas.setup(7, CLIENT_ID, SECRET, redirect_uri=callback)  # the redirect URI registered in Canvas
        config = CanvasConfiguration.objects.create(
            customer=acme,
            name="acme-lms-7",
            active=True,
            base_url=canvas.base_url,
            account_id=7,
            client_id=CLIENT_ID,
            client_secret=SECRET,
            calls_per_minute=0,
        )
        edit = reverse(
            "enterprise_portal:connection_edit", kwargs={"customer_uuid": acme.uuid, "configuration_id": config.pk}
        )

        with open_browser(viewport=VIEWPORT) as page:
            sign_in(page, live_server.url, "ada", connectors)
            page.wait_for_url("**/connectors/")
            page.get_by_role("link", name="Settings, mapping and filters of acme-lms-7").click()
            section = page.locator("#connection-authorization")
            section.get_by_text("Not authorized yet").wait_for()
            assert callback in section.inner_text()  # the redirect URI to register, shown to the administrator
            assert_accessible(page, where="the Canvas connection, not authorized")
            section.get_by_role("button", name="Authorize in Canvas").click()
            page.get_by_text("Canvas authorized the connection acme-lms-7.").wait_for()
            assert page.url == live_server.url + edit  # back on the connection's portal page
            assert "Authorized by ada" in page.locator("#connection-authorization").inner_text()
            assert SECRET not in page.content()
            assert_accessible(page, where="the Canvas connection, authorized")
            page.screenshot(path=str(artifacts_dir / "portal-canvas-authorized-1024.png"), full_page=True)
            assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORT["width"]

            canvas.deny_next_authorization = True
            page.get_by_role("button", name="Authorize in Canvas").click()
            page.get_by_text("Canvas did not authorize the connection: access_denied.").wait_for()
            assert page.url == live_server.url + edit

            # A third start, held before it reaches Canvas (the browser follows redirects without asking
            # the page's routes, so the POST itself is sent from the route): its state, replayed below
            # in Gus's session.
            held = []

            def hold(route):
                answer = route.fetch(max_redirects=0)
                held.append(answer.headers["location"])
                route.fulfill(status=200, content_type="text/plain", body="held")

            page.route(re.compile(r"/authorize/$"), hold)
            page.get_by_role("button", name="Authorize in Canvas").click()
            page.get_by_text("held").wait_for()
        state = parse_qs(urlsplit(held[0]).query)["state"][0]

        with open_browser(viewport=VIEWPORT) as page:
            sign_in(page, live_server.url, "gus", reverse("enterprise_portal:index"))
            page.wait_for_load_state()
            replay = page.goto(f"{callback}?state={state}&code=stolen")
            assert replay.status == 404
            assert "acme-lms-7" not in page.content()

    config = CanvasConfiguration.objects.get(pk=config.pk)
    assert config.authorized and config.authorized_by == "ada"
    assert config.refresh_token in canvas.refresh_tokens
    assert canvas.calls("authorize") == 2 and canvas.calls("token") == 1  # one exchange: the granted one
    audit = list(PortalAction.objects.order_by("pk").values_list("username", "action", "counts", "status_code"))
    assert audit[:5] == [
        ("ada", "connections:authorize", {"started": 1}, 302),
        ("ada", "connections:authorized", {"ok": 1}, 302),
        ("ada", "connections:authorize", {"started": 1}, 302),
        ("ada", "connections:authorized", {"refused": 1}, 302),
        ("ada", "connections:authorize", {"started": 1}, 302),
    ]
    assert [(username, status) for username, _action, _counts, status in audit[5:]] == [("gus", 404)]
