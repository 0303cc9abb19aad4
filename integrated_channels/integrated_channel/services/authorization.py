"""An administrator authorizes a connection in the remote system (OAuth 2 authorization code grant).

For channels whose remote system gives a refresh token only through a browser (Canvas, Blackboard
Learn; their configuration models are ``AuthorizedConnection``\\ s and their clients implement
``authorization_url(configuration, redirect_uri=, state=)`` and ``exchange_code(code,
redirect_uri=)``):

1. ``start(configuration, session=…, redirect_uri=…)``: a state naming the connection and a random
   nonce, signed (``django.core.signing``, salted, valid ``STATE_MAX_AGE`` seconds); the nonce is
   kept in the administrator's session. The administrator's browser is sent to the remote's
   authorization page with it.
2. The remote sends the browser back to the callback with ``code`` and ``state`` (or ``error``).
   ``complete(…)`` checks the signature and age, and the nonce against the same session, once (an
   answer this browser session did not start, or one used already, is refused: no login CSRF,
   decision 0282), then exchanges the code and keeps the refresh token, encrypted.
"""

from __future__ import annotations

import secrets

from django.core import signing
from django.utils import timezone

from integrated_channels.integrated_channel.exceptions import ChannelError, TransmissionError
from integrated_channels.integrated_channel.models import ChannelConfiguration

SALT = "integrated_channels.authorization"
STATE_MAX_AGE = 600
SESSION_KEY = "channel_authorization_nonces"


class AuthorizationRefused(ChannelError):
    """The authorization could not be completed (refused by the administrator or the remote, or a bad state)."""

    code = "authorization_refused"


def start(configuration, *, session, redirect_uri: str) -> str:
    """The remote URL the administrator's browser is sent to."""
    nonce = secrets.token_urlsafe(16)
    nonces = dict(session.get(SESSION_KEY) or {})
    nonces[str(configuration.pk)] = nonce
    session[SESSION_KEY] = nonces
    state = signing.dumps({"c": configuration.pk, "n": nonce}, salt=SALT)
    client_class = configuration.get_channel().get_client_class()
    return client_class.authorization_url(configuration, redirect_uri=redirect_uri, state=state)


def _state(state: str) -> dict:
    try:
        return signing.loads(state or "", salt=SALT, max_age=STATE_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise AuthorizationRefused("The authorization took too long: start it again.") from exc
    except signing.BadSignature as exc:
        raise AuthorizationRefused("The authorization answer does not come from a request made here.") from exc


def connection_of(state: str) -> int:
    """The connection a state names (signature and age checked), or ``AuthorizationRefused``."""
    return int(_state(state)["c"])


def complete(*, params, session, redirect_uri: str, user):
    """Check the callback's state and exchange its code; the connection, now authorized."""
    data = _state(params.get("state", ""))
    pk = int(data["c"])
    nonces = dict(session.get(SESSION_KEY) or {})
    expected = nonces.pop(str(pk), None)
    session[SESSION_KEY] = nonces  # a state is used once
    if expected is None or not secrets.compare_digest(expected, str(data.get("n", ""))):
        raise AuthorizationRefused("The authorization answer does not belong to this browser session: start again.")
    configuration = ChannelConfiguration.objects.get(pk=pk).specific()
    name = configuration.channel_name
    if params.get("error"):
        said = params.get("error_description") or params["error"]
        raise AuthorizationRefused(f"{name} did not authorize the connection: {said[:200]}.")
    code = params.get("code", "")
    if not code:
        raise AuthorizationRefused(f"{name} answered without an authorization code.")
    with configuration.get_channel().get_client_class()(configuration) as client:
        try:
            refresh_token = client.exchange_code(code, redirect_uri=redirect_uri)
        except TransmissionError as exc:
            raise AuthorizationRefused(f"{name} refused the authorization code: {exc.message}") from exc
    configuration.refresh_token = refresh_token
    configuration.authorized_at = timezone.now()
    configuration.authorized_by = getattr(user, "username", "")[:255]
    configuration.save(update_fields=["refresh_token", "authorized_at", "authorized_by", "modified"])
    return configuration
