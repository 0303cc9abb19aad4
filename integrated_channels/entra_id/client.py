"""Microsoft Graph for the Entra ID connector: a client-credentials token, then GETs.

The token comes from the Microsoft identity platform's v2.0 endpoint
(``{login}/{tenant}/oauth2/v2.0/token``, ``grant_type=client_credentials``, the client id and
secret in the form body, ``scope=https://graph.microsoft.com/.default``; no refresh token: a new
one near ``expires_in``) through the framework's token store, so a connection fetches about one
per hour whatever the number of runs. Calls go through the framework's HTTP transport: the
address guard, timeouts, 429/5xx tried again honouring ``Retry-After``, a 401 answered with a new
token once. Graph's errors are ``{"error": {"code", "message", "innerError"}}``: the code is
kept in the message; a delta token Graph no longer knows (``syncStateNotFound``,
``resyncRequired``, HTTP 410 or 400) is ``DeltaExpired``, which starts a full read.
"""

from __future__ import annotations

from enterprise.transports.oauth2 import with_token_renewal
from integrated_channels.integrated_channel.exceptions import (
    MalformedResponse,
    RemoteRejected,
)
from integrated_channels.integrated_channel.transports.graph import MicrosoftGraphTransport

PAGE_SIZE = 999  # $top: Graph's maximum for users
DELTA_EXPIRED = frozenset({"syncStateNotFound", "resyncRequired", "fullSyncRequired"})


class DeltaExpired(RemoteRejected):
    """Graph no longer knows the delta token: read everything again and start a new delta."""

    code = "delta_expired"


class GraphClient(MicrosoftGraphTransport):
    def rejection(self, message: str, **kwargs):
        if self.error_code(kwargs.get("response")) in DELTA_EXPIRED:
            return DeltaExpired(message, **kwargs)
        return super().rejection(message, **kwargs)

    def get(self, url: str, *, params=None, what: str = "a page") -> dict:
        """The JSON object Graph answers to GET ``url`` (a path under /v1.0/ or a full next/delta link)."""
        url = url if "://" in url else self.url(url)

        def call(token):
            return self.request(
                "GET", url, params=params, headers={"Authorization": f"{token.token_type} {token.value}"}
            )

        response = with_token_renewal(self.token, call)
        body = self.parse_json(response, what=what)
        if not isinstance(body, dict):
            raise MalformedResponse(f"{self.name} answered {what} with {type(body).__name__}, not an object.")
        return body
