"""In a real browser: an administrator authorizes a Canvas connection (button, Canvas's consent, callback).

The fake Canvas grants consent at once and sends the browser back to the live server's callback,
which checks the state against the browser's session and exchanges the code.
"""

import pytest
from django.urls import reverse

from integrated_channels.canvas.models import CanvasConfiguration
from tests.factories import CustomerFactory, StaffFactory
from tests.fakes.canvas import FakeCanvas
from tests.integrated_channels.canvas.conftest import ACCOUNT, CanvasConfigurationFactory
from tests.integrated_channels.factories import SECRET

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_authorize_a_canvas_connection(live_server, open_browser, artifacts_dir, settings):
    settings.INTEGRATED_CHANNELS = {"USE_CELERY": False}
    StaffFactory(username="operator")  # password "password"
    with FakeCanvas() as canvas:
        canvas.setup(ACCOUNT, "10000000000001", SECRET)
        config = CanvasConfigurationFactory(customer=CustomerFactory(name="Acme"), base_url=canvas.base_url)
        login_url = live_server.url + reverse("admin:login")
        change_url = live_server.url + reverse("admin:canvas_canvasconfiguration_change", args=[config.pk])

        with open_browser() as page:
            page.goto(login_url)
            page.fill("#id_username", "operator")
            page.fill("#id_password", "password")
            page.click("input[type=submit]")
            page.goto(change_url)
            assert "Not authorized yet." in page.locator("#connection-authorization").inner_text()
            page.click("form.authorize-connection input[type=submit]")
            page.wait_for_selector("text=authorized the connection")
            page.screenshot(path=str(artifacts_dir / "canvas-authorized.png"), full_page=True)
            assert page.url == change_url
            assert "Authorized by operator" in page.content()

        config = CanvasConfiguration.objects.get(pk=config.pk)
        assert config.refresh_token in canvas.refresh_tokens
        assert canvas.calls("authorize") == 1 and canvas.calls("token") == 1
