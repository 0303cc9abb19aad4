"""The admin-initiated Canvas authorization: the button, Canvas's consent, the callback and its state checks."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.contrib.messages import get_messages
from django.urls import reverse

from integrated_channels.integrated_channel.services import authorization
from tests.integrated_channels.factories import SECRET

pytestmark = pytest.mark.django_db


@pytest.fixture
def unauthorized(canvas_config):
    canvas_config.refresh_token = ""
    canvas_config.save()
    return canvas_config


def start(client, configuration):
    response = client.post(reverse("admin:canvas_canvasconfiguration_authorize", args=[configuration.pk]))
    assert response.status_code == 302
    return response["Location"]


def consent(canvas_url: str) -> str:
    """The administrator's browser at Canvas: the path and query Canvas sends it back to."""
    answer = requests.get(canvas_url, allow_redirects=False, timeout=5)
    assert answer.status_code == 302
    back = urlsplit(answer.headers["Location"])
    return f"{back.path}?{back.query}"


def texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_authorize_then_callback_keeps_the_refresh_token(admin_client, unauthorized, fake_canvas):
    canvas_url = start(admin_client, unauthorized)
    query = parse_qs(urlsplit(canvas_url).query)
    assert canvas_url.startswith(fake_canvas.base_url + "/login/oauth2/auth?")
    assert query["client_id"] == [unauthorized.client_id] and query["response_type"] == ["code"]
    assert query["redirect_uri"] == ["http://testserver" + reverse("admin:canvas_canvasconfiguration_oauth_complete")]

    response = admin_client.get(consent(canvas_url))

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:canvas_canvasconfiguration_change", args=[unauthorized.pk])
    assert any("authorized the connection" in text for text in texts(response))
    unauthorized.refresh_from_db()
    assert unauthorized.refresh_token in fake_canvas.refresh_tokens
    assert unauthorized.authorized_by == "admin" and unauthorized.authorized_at is not None


def test_a_state_is_used_once(admin_client, unauthorized, fake_canvas):
    back = consent(start(admin_client, unauthorized))
    admin_client.get(back)

    replay = admin_client.get(back)

    assert any("does not belong to this browser session" in text for text in texts(replay))


def test_a_state_from_another_browser_session_is_refused(admin_client, client, admin_user, unauthorized, fake_canvas):
    back = consent(start(admin_client, unauthorized))  # started by the administrator's browser
    client.force_login(admin_user)  # another session of the same user (or a victim lured to the link)

    response = client.get(back)

    assert any("does not belong to this browser session" in text for text in texts(response))
    unauthorized.refresh_from_db()
    assert not unauthorized.authorized


def test_a_forged_state_is_refused(admin_client, unauthorized):
    url = reverse("admin:canvas_canvasconfiguration_oauth_complete") + f"?code=abc&state={unauthorized.pk}"

    response = admin_client.get(url)

    assert response.status_code == 302
    assert any("does not come from a request made here" in text for text in texts(response))


def test_an_expired_state_is_refused(admin_client, unauthorized, fake_canvas, monkeypatch):
    back = consent(start(admin_client, unauthorized))
    monkeypatch.setattr(authorization, "STATE_MAX_AGE", -1)

    response = admin_client.get(back)

    assert any("took too long" in text for text in texts(response))


def test_consent_refused_in_canvas(admin_client, unauthorized, fake_canvas):
    fake_canvas.deny_next_authorization = True

    response = admin_client.get(consent(start(admin_client, unauthorized)))

    assert any("did not authorize the connection: access_denied" in text for text in texts(response))


def test_authorize_is_post_only(admin_client, unauthorized):
    response = admin_client.get(reverse("admin:canvas_canvasconfiguration_authorize", args=[unauthorized.pk]))
    assert response.status_code == 405


def test_change_page_offers_the_button_and_the_redirect_uri_never_the_secrets(admin_client, canvas_config):
    response = admin_client.get(reverse("admin:canvas_canvasconfiguration_change", args=[canvas_config.pk]))
    page = response.content.decode()
    assert "Authorize in Canvas" in page
    assert reverse("admin:canvas_canvasconfiguration_oauth_complete") in page
    assert SECRET not in page and canvas_config.refresh_token not in page


def test_staff_without_change_permission_cannot_authorize(client, unauthorized):
    from django.contrib.auth.models import Permission

    from tests.factories import UserFactory

    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_canvasconfiguration"))
    client.force_login(viewer)
    response = client.post(reverse("admin:canvas_canvasconfiguration_authorize", args=[unauthorized.pk]))
    assert response.status_code in (403, 404)
