"""The admin-initiated OAuth 2 authorization of a Canvas connection (authorization code grant).

1. ``start(configuration, session=…, redirect_uri=…)``: a state that names the connection and a
   random nonce, signed (``django.core.signing``, salted, valid ``STATE_MAX_AGE`` seconds); the
   nonce is kept in the administrator's session. The administrator is sent to Canvas's
   ``/login/oauth2/auth`` with it.
2. Canvas sends the browser back to the callback with ``code`` and ``state`` (or ``error``).
   ``complete(…)`` checks the signature, the age, the nonce against the same session (a state
   made for another browser or used once already is refused: no login CSRF), then exchanges the
   code at ``/login/oauth2/token`` and keeps the refresh token, encrypted, on the connection.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlencode

from django.core import signing
from django.utils import timezone

from integrated_channels.canvas.models import CanvasConfiguration
from integrated_channels.integrated_channel.exceptions import ChannelError, TransmissionError

SALT = "integrated_channels.canvas.authorization"
STATE_MAX_AGE = 600
SESSION_KEY = "canvas_oauth_nonces"
AUTHORIZE_PATH = "/login/oauth2/auth"


class AuthorizationRefused(ChannelError):
    """The authorization could not be completed (refused by the administrator or Canvas, or a bad state)."""

    code = "authorization_refused"


def start(configuration: CanvasConfiguration, *, session, redirect_uri: str) -> str:
    """The Canvas URL the administrator is sent to."""
    nonce = secrets.token_urlsafe(16)
    nonces = dict(session.get(SESSION_KEY) or {})
    nonces[str(configuration.pk)] = nonce
    session[SESSION_KEY] = nonces
    state = signing.dumps({"c": configuration.pk, "n": nonce}, salt=SALT)
    query = urlencode(
        {"client_id": configuration.client_id, "response_type": "code", "redirect_uri": redirect_uri, "state": state}
    )
    return f"{configuration.base_url.rstrip('/')}{AUTHORIZE_PATH}?{query}"


def connection_of(state: str) -> int:
    """The connection a state names (signature and age checked), or ``AuthorizationRefused``."""
    try:
        data = signing.loads(state or "", salt=SALT, max_age=STATE_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise AuthorizationRefused("The authorization took too long: start it again.") from exc
    except signing.BadSignature as exc:
        raise AuthorizationRefused("The authorization answer does not come from a request made here.") from exc
    return int(data["c"])


def complete(*, params, session, redirect_uri: str, user) -> CanvasConfiguration:
    """Check the callback's state and exchange its code; the connection, now authorized."""
    state = params.get("state", "")
    pk = connection_of(state)
    nonces = dict(session.get(SESSION_KEY) or {})
    expected = nonces.pop(str(pk), None)
    session[SESSION_KEY] = nonces  # a state is used once
    if expected is None or not secrets.compare_digest(expected, signing.loads(state, salt=SALT)["n"]):
        raise AuthorizationRefused("The authorization answer does not belong to this browser session: start again.")
    configuration = CanvasConfiguration.objects.select_related("customer").get(pk=pk)
    if params.get("error"):
        said = params.get("error_description") or params["error"]
        raise AuthorizationRefused(f"Canvas did not authorize the connection: {said[:200]}.")
    code = params.get("code", "")
    if not code:
        raise AuthorizationRefused("Canvas answered without an authorization code.")
    from integrated_channels.canvas.client import CanvasClient

    with CanvasClient(configuration) as client:
        try:
            refresh_token = client.exchange_code(code, redirect_uri=redirect_uri)
        except TransmissionError as exc:
            raise AuthorizationRefused(f"Canvas refused the authorization code: {exc.message}") from exc
    configuration.refresh_token = refresh_token
    configuration.authorized_at = timezone.now()
    configuration.authorized_by = getattr(user, "username", "")[:255]
    configuration.save(update_fields=["refresh_token", "authorized_at", "authorized_by", "modified"])
    return configuration
