"""OAuth 2 client-credentials tokens: fetched once, kept until shortly before expiry, refreshed once on 401.

Tokens are kept in memory for the client's life and in the ``AccessToken`` table (encrypted) for
the next runs and the other workers, so a configuration fetches about one token per token
lifetime whatever the number of runs (decision 0023). A token is never fetched per record.
"""

from __future__ import annotations

import abc
import datetime
import hashlib
import json
import logging
from dataclasses import dataclass, field

from django.utils import timezone

from integrated_channels.integrated_channel.app_settings import channel_settings
from integrated_channels.integrated_channel.exceptions import AuthenticationFailed, TransmissionError
from integrated_channels.integrated_channel.models import AccessToken
from integrated_channels.integrated_channel.transports.http import HttpTransport

logger = logging.getLogger(__name__)


class TokenRequestFailed(TransmissionError):
    """The token endpoint refused or failed; nothing can be sent with this configuration now."""

    code = "token_request_failed"

    def __init__(self, message: str | None = None, *, transient: bool = False, **kwargs):
        self.transient = transient
        super().__init__(message, **kwargs)


@dataclass(frozen=True)
class TokenRequest:
    url: str
    auth: tuple[str, str] | None = None
    json: dict | None = None
    data: dict | None = None
    headers: dict = field(default_factory=dict)

    def digest(self) -> str:
        """A hash of everything the token depends on (a changed secret or scope never reuses a token)."""
        material = json.dumps([self.url, self.auth, self.json, self.data], sort_keys=True, default=str)
        return hashlib.sha256(material.encode()).hexdigest()


@dataclass
class CachedToken:
    value: str
    usable_until: datetime.datetime
    digest: str


class OAuth2ClientCredentialsTransport(HttpTransport):
    def __init__(self, configuration, **kwargs):
        super().__init__(configuration, **kwargs)
        self._tokens: dict[str, CachedToken] = {}
        self._stored_loaded = False
        self.token_calls = 0

    @abc.abstractmethod
    def token_request(self, subject: str) -> TokenRequest:
        """The request that obtains a token for ``subject`` ("" for the configuration's own identity)."""

    def parse_token(self, response) -> tuple[str, float]:
        body = self.parse_json(response, what="the token request")
        token = body.get("access_token") if isinstance(body, dict) else None
        expires_in = body.get("expires_in") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token or isinstance(expires_in, bool):
            raise TokenRequestFailed(
                f"{self.name}'s token answer has no access_token.", response_summary=self.summarize(response)
            )
        try:
            seconds = float(expires_in)
        except (TypeError, ValueError):
            seconds = -1
        if seconds <= 0:
            raise TokenRequestFailed(
                f"{self.name}'s token answer has no valid expires_in.", response_summary=self.summarize(response)
            )
        return token, seconds

    def _load_stored(self) -> None:
        """Every stored, unexpired token of this configuration, in one query (per-learner tokens included)."""
        self._stored_loaded = True
        for subject, value, until, digest in AccessToken.objects.filter(
            configuration_id=self.configuration.pk, expires_at__gt=timezone.now()
        ).values_list("subject", "token", "expires_at", "credentials_digest"):
            self._tokens.setdefault(subject, CachedToken(value, until, digest))
            self.add_secret(value)

    def token(self, subject: str = "", *, refresh: bool = False) -> str:
        request = self.token_request(subject)
        digest = request.digest()
        if not refresh:
            if not self._stored_loaded:
                self._load_stored()
            cached = self._tokens.get(subject)
            if cached is not None and cached.digest == digest and cached.usable_until > timezone.now():
                return cached.value
        return self._fetch(subject, request, digest)

    def _fetch(self, subject: str, request: TokenRequest, digest: str) -> str:
        now = timezone.now()
        self.token_calls += 1
        try:
            response = self.request(
                "POST", request.url, auth=request.auth, json=request.json, data=request.data, headers=request.headers
            )
            value, expires_in = self.parse_token(response)
        except TokenRequestFailed:
            raise
        except TransmissionError as exc:
            raise TokenRequestFailed(
                f"{self.name} token request failed: {exc.message}",
                transient=exc.transient,
                status_code=exc.status_code,
                remote_message=exc.remote_message,
                response_summary=exc.response_summary,
                url=request.url,
            ) from exc
        self.add_secret(value)
        margin = min(float(channel_settings.TOKEN_EXPIRY_MARGIN), expires_in / 10)
        usable_until = now + datetime.timedelta(seconds=expires_in - margin)
        self._tokens[subject] = CachedToken(value, usable_until, digest)
        AccessToken.objects.update_or_create(
            configuration_id=self.configuration.pk,
            subject=subject,
            defaults={"token": value, "expires_at": usable_until, "credentials_digest": digest},
        )
        logger.info(
            "%s: new access token for configuration %s (usable %.0f s)",
            self.name,
            self.configuration.pk,
            expires_in - margin,
        )
        return value

    def authorized_request(self, method: str, url: str, *, subject: str = "", headers=None, **kwargs):
        """A call with the subject's bearer token; on 401 the token is replaced once and the call repeated."""
        headers = dict(headers or {})
        token = self.token(subject)
        try:
            return self.request(method, url, headers={**headers, "Authorization": f"Bearer {token}"}, **kwargs)
        except AuthenticationFailed as exc:
            if exc.status_code != 401:
                raise
            logger.info("%s answered 401: replacing the access token once", self.name)
        token = self.token(subject, refresh=True)
        return self.request(method, url, headers={**headers, "Authorization": f"Bearer {token}"}, **kwargs)
