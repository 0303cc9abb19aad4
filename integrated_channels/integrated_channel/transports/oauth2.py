"""OAuth 2 client credentials for HTTP channels and connectors, on the one token store.

A channel says what its token request looks like (``token_request(subject)``: a
``enterprise.transports.oauth2.TokenRequest`` — Basic auth or body credentials, form or JSON,
scope and other parameters); the store (``enterprise.transports.oauth2.TokenStore``) keeps the
tokens encrypted in the ``AccessToken`` table, owned by the configuration (``channel:<pk>``),
refreshes them before expiry and once on 401 (decisions 0023, 0183). A token is never fetched
per record; a configuration fetches about one per token lifetime whatever the number of runs.
"""

from __future__ import annotations

import abc
import logging

from enterprise.models import AccessToken
from enterprise.transports.oauth2 import (
    IssuedToken,
    Token,
    TokenRequest,
    TokenStore,
    read_token_answer,
    with_token_renewal,
)
from integrated_channels.integrated_channel.app_settings import channel_settings
from integrated_channels.integrated_channel.exceptions import TransmissionError
from integrated_channels.integrated_channel.transports.http import HttpTransport

__all__ = ["OAuth2ClientCredentialsTransport", "TokenRequest", "TokenRequestFailed", "forget_tokens", "owner_of"]

logger = logging.getLogger(__name__)


class TokenRequestFailed(TransmissionError):
    """The token endpoint refused or failed; nothing can be sent with this configuration now."""

    code = "token_request_failed"

    def __init__(self, message: str | None = None, *, transient: bool = False, **kwargs):
        self.transient = transient
        super().__init__(message, **kwargs)


def owner_of(configuration) -> str:
    """The owner of a configuration's tokens in the ``AccessToken`` table."""
    return f"channel:{configuration.pk}"


def forget_tokens(configuration) -> None:
    """Delete the stored tokens of a configuration (it is being deleted)."""
    AccessToken.objects.filter(owner=owner_of(configuration)).delete()


class OAuth2ClientCredentialsTransport(HttpTransport):
    def __init__(self, configuration, **kwargs):
        super().__init__(configuration, **kwargs)
        self.tokens = TokenStore(margin=lambda: float(channel_settings.TOKEN_EXPIRY_MARGIN))

    @property
    def token_calls(self) -> int:
        return self.tokens.fetches

    @abc.abstractmethod
    def token_request(self, subject: str) -> TokenRequest:
        """The request that obtains a token for ``subject`` ("" for the configuration's own identity).

        Set ``owner=owner_of(self.configuration)`` and ``subject=subject`` on it.
        """

    def _request_for(self, subject: str) -> TokenRequest:
        request = self.token_request(subject)
        self.add_secret(request.client_secret)
        return request

    def fetch_token(self, request: TokenRequest) -> IssuedToken:
        """POST the token request through the HTTP transport; the issued token or ``TokenRequestFailed``."""
        try:
            response = self.request("POST", request.url, **request.as_requests_kwargs())
            body = self.parse_json(response, what="the token request")
        except TransmissionError as exc:
            raise TokenRequestFailed(
                f"{self.name} token request failed: {exc.message}",
                transient=exc.transient,
                status_code=exc.status_code,
                remote_message=exc.remote_message,
                response_summary=exc.response_summary,
                url=request.url,
            ) from exc
        try:
            issued = read_token_answer(body)
        except ValueError as exc:
            raise TokenRequestFailed(
                f"{self.name}: {exc}.", status_code=response.status_code, response_summary=self.summarize(response)
            ) from exc
        self.add_secret(issued.value)
        return issued

    def token(self, subject: str = "", *, refused: Token | None = None) -> Token:
        self.tokens.preload(owner_of(self.configuration))
        token = self.tokens.get(self._request_for(subject), self.fetch_token, refused=refused)
        self.add_secret(token.value)
        return token

    def authorized_request(self, method: str, url: str, *, subject: str = "", headers=None, **kwargs):
        """A call with the subject's bearer token; on 401 the token is replaced once and the call repeated."""
        headers = dict(headers or {})

        def call(token: Token):
            return self.request(method, url, headers={**headers, "Authorization": f"Bearer {token.value}"}, **kwargs)

        return with_token_renewal(lambda refused=None: self.token(subject, refused=refused), call)
