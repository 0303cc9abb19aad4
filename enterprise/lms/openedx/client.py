"""The one HTTP client of the Open edX backends: mapping code on the project's shared transport.

``enterprise.transports`` gives the session, the (connect, read) timeout of every call, the one
retry policy (timeouts, refused connections, 429 and 5xx answers tried again ``MAX_RETRIES``
times with exponential backoff; a ``Retry-After`` honoured when it asks for no more than
``MAX_RETRY_WAIT`` seconds, a longer wait ending the call with a transient error carrying it) and
the one OAuth 2 token store (tokens encrypted in the ``AccessToken`` table, shared by every
client and worker, refreshed before expiry and once on 401). This module maps Open edX: the
token request (client credentials in the form, ``token_type=jwt``), its errors and its pages.
Paginated answers (``results`` with a ``next`` link, page-number or cursor style) are followed,
but never to another host: the token goes only where the settings point.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from enterprise import redaction
from enterprise.lms.openedx.app_settings import openedx_settings
from enterprise.lms.openedx.auth import jwt_claims, token_store
from enterprise.lms.openedx.exceptions import (
    OpenEdXAuthError,
    OpenEdXConfigurationError,
    OpenEdXHTTPError,
    OpenEdXNotFound,
    OpenEdXResponseError,
    OpenEdXTimeout,
    OpenEdXUnavailable,
)
from enterprise.transports.http import TIMEOUT, HttpClient
from enterprise.transports.oauth2 import IssuedToken, Token, TokenRequest, TokenStore, with_token_renewal
from enterprise.transports.retry import RetryPolicy, parse_retry_after

__all__ = ["OpenEdXClient", "parse_retry_after"]

logger = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
USER_AGENT = "enterprise-learners/openedx-client"


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc


class OpenEdXClient(HttpClient):
    """Authenticated JSON calls to the LMS and course-discovery of one Open edX deployment.

    ``api_user`` (a username or a user) names whose identity the calls use: the user of the
    OAuth2 application registered for them in ``API_USERS``; without it, the application of
    ``CLIENT_ID``.
    ``session`` and ``sleep`` can be replaced (tests, connection pools).
    """

    name = "Open edX"
    follow_redirects = True

    def __init__(
        self,
        *,
        api_user=None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        tokens: TokenStore = token_store,
    ):
        conf = openedx_settings
        if hasattr(api_user, "get_username"):  # callers may hand over the user itself
            api_user = api_user.get_username()
        self.api_user = api_user or None
        self.lms_url = conf.LMS_URL.rstrip("/")
        if not self.lms_url:
            raise OpenEdXConfigurationError("settings.ENTERPRISE_OPENEDX['LMS_URL'] is not set.")
        self.discovery_api_url = conf.DISCOVERY_API_URL.rstrip("/") + "/" if conf.DISCOVERY_API_URL else ""
        self.token_url = conf.OAUTH2_TOKEN_URL or f"{self.lms_url}/oauth2/access_token"
        if self.api_user:
            credentials = conf.API_USERS.get(self.api_user)
            if not credentials:
                raise OpenEdXConfigurationError(
                    f"No OAuth2 application is configured for API user {self.api_user!r}: "
                    "add it to settings.ENTERPRISE_OPENEDX['API_USERS'].",
                    api_user=self.api_user,
                )
            self._client_id = credentials.get("CLIENT_ID", "")
            self._client_secret = credentials.get("CLIENT_SECRET", "")
        else:
            self._client_id, self._client_secret = conf.CLIENT_ID, conf.CLIENT_SECRET
        if not (self._client_id and self._client_secret):
            raise OpenEdXConfigurationError("The Open edX OAuth2 client id and secret are not set.")
        # The secret and the tokens in use never reach an error or a log line (decision 0150).
        self.redactor = redaction.Redactor([self._client_secret], users=[self._client_id])
        super().__init__(
            timeout=(float(conf.CONNECT_TIMEOUT), float(conf.READ_TIMEOUT)),
            policy=RetryPolicy(
                max_retries=int(conf.MAX_RETRIES),
                backoff=float(conf.BACKOFF_SECONDS),
                max_wait=float(conf.MAX_RETRY_WAIT),
                default_retry_after=None,  # a 429 without Retry-After waits the backoff
            ),
            session=session,
            sleep=sleep,
        )
        self.page_size = int(conf.PAGE_SIZE)
        self.session.headers.setdefault("User-Agent", USER_AGENT)
        self.session.headers["Accept"] = "application/json"
        self._tokens = tokens

    def __repr__(self):  # never the secret
        return f"<OpenEdXClient {self.lms_url} client_id={self._client_id!r} api_user={self.api_user!r}>"

    # URLs

    def lms(self, path: str) -> str:
        return f"{self.lms_url}/{path.lstrip('/')}"

    def discovery(self, path: str) -> str:
        if not self.discovery_api_url:
            raise OpenEdXConfigurationError("settings.ENTERPRISE_OPENEDX['DISCOVERY_API_URL'] is not set.")
        return urljoin(self.discovery_api_url, path.lstrip("/"))

    # The token

    @property
    def token_request(self) -> TokenRequest:
        return TokenRequest(
            url=self.token_url,
            client_id=self._client_id,
            client_secret=self._client_secret,
            credentials="body",
            body="form",
            params={"token_type": "jwt"},
        )

    def token(self, *, refused: Token | None = None) -> Token:
        return self._tokens.get(self.token_request, self._fetch_token, refused=refused)

    def _fetch_token(self, request: TokenRequest) -> IssuedToken:
        try:
            response = self.request("POST", request.url, **request.as_requests_kwargs())
        except OpenEdXHTTPError as exc:
            if isinstance(exc, OpenEdXUnavailable):
                raise
            raise OpenEdXAuthError(
                f"The LMS refused the OAuth2 client {self._client_id!r}: {_error_text(exc.response, self.redactor)}",
                method="POST",
                url=self.token_url,
                status_code=exc.status_code,
                response=exc.response,
            ) from exc
        payload = _json(response, "POST", self.token_url)
        value = payload.get("access_token") if isinstance(payload, dict) else None
        if not value:
            raise OpenEdXResponseError("The token answer has no access_token.", method="POST", url=self.token_url)
        scheme = "JWT" if str(payload.get("token_type", "jwt")).lower() == "jwt" else "Bearer"
        username = jwt_claims(value).get("preferred_username") if scheme == "JWT" else None
        if self.api_user and username and username != self.api_user:
            raise OpenEdXConfigurationError(
                f"The OAuth2 application configured for API user {self.api_user!r} issues tokens for "
                f"{username!r}: set its user in the LMS's Django OAuth Toolkit admin.",
                api_user=self.api_user,
            )
        self.redactor.add(value)
        expires_in = float(payload.get("expires_in") or 0)
        logger.debug("New Open edX token for client %s (expires in %ss)", self._client_id, expires_in)
        return IssuedToken(value, expires_in, scheme)

    # Calls

    def get_json(self, url: str, *, params: dict | None = None) -> Any:
        return _json(self.authorized_request("GET", url, params=params), "GET", url)

    def post_json(self, url: str, payload: Any) -> Any:
        return _json(self.authorized_request("POST", url, json=payload), "POST", url)

    def paginate(self, url: str, *, params: dict | None = None) -> Iterator[dict]:
        """Every item of a paginated listing (``{"results": [...], "next": url}``), page by page.

        A plain JSON list is one page. ``next`` links are followed only on the host of ``url``.
        """
        params = {"page_size": self.page_size, **(params or {})}
        origin = _origin(url)
        seen = set()
        while url:
            page = self.get_json(url, params=params)
            if isinstance(page, list):
                yield from page
                return
            if not isinstance(page, dict) or not isinstance(page.get("results"), list):
                raise OpenEdXResponseError("A listing answered without a results list.", method="GET", url=url)
            yield from page["results"]
            next_url = page.get("next")
            if not next_url:
                return
            next_url = urljoin(url, next_url)
            if _origin(next_url) != origin or next_url in seen:
                raise OpenEdXResponseError(
                    "A listing's next link leaves the service or loops; not followed.", method="GET", url=next_url
                )
            seen.add(next_url)
            url, params = next_url, None  # the next link carries the query

    def authorized_request(self, method: str, url: str, **kwargs) -> requests.Response:
        def call(token: Token) -> requests.Response:
            self.redactor.add(token.value)  # a token from the store (another worker's) is redacted too
            headers = {"Authorization": f"{token.token_type} {token.value}"}
            return self.request(method, url, headers=headers, **kwargs)

        return with_token_renewal(self.token, call)

    def error_for(self, response: requests.Response) -> OpenEdXHTTPError:
        status = response.status_code
        context = {"method": response.request.method, "url": response.url, "status_code": status, "response": response}
        if status in RETRY_STATUSES:
            return OpenEdXUnavailable(
                f"{context['method']} {response.url} answered {status}: {_error_text(response, self.redactor)}",
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
                **context,
            )
        return _client_error(status, response, context, self.redactor)

    def transport_error(self, kind: str, exc: requests.RequestException, method: str, url: str) -> OpenEdXUnavailable:
        if kind == TIMEOUT:
            return OpenEdXTimeout(f"{method} {url} timed out after {self.timeout} s.", method=method, url=url)
        return OpenEdXUnavailable(
            f"{method} {url}: connection failed ({exc.__class__.__name__}).", method=method, url=url
        )


def _client_error(
    status: int, response: requests.Response, context: dict, redactor: redaction.Redactor
) -> OpenEdXHTTPError:
    text = f"{context['method']} {context['url']} answered {status}: {_error_text(response, redactor)}"
    if status in (401, 403):
        return OpenEdXAuthError(text, **context)
    if status == 404:
        return OpenEdXNotFound(text, **context)
    return OpenEdXHTTPError(text, **context)


def _error_text(response: requests.Response | None, redactor: redaction.Redactor) -> str:
    """The service's own words: ``message``/``developer_message``/``error_description``, else the body's
    start; redacted (an echo of the request holds the client secret or the token)."""
    if response is None:
        return ""
    try:
        body = response.json()
    except ValueError:
        return redactor(response.text)[:200]
    if isinstance(body, dict):
        for key in ("developer_message", "message", "error_description", "error", "detail", "error_code"):
            if body.get(key):
                return redactor(str(body[key]))
    return redactor(response.text)[:200]


def _json(response: requests.Response, method: str, url: str) -> Any:
    if response.status_code == 204 or not response.content:
        return None
    try:
        return response.json()
    except ValueError as exc:
        raise OpenEdXResponseError(
            f"{method} {url} did not answer JSON.",
            method=method,
            url=url,
            status_code=response.status_code,
            response=response,
        ) from exc
