"""The one HTTP client of the Open edX backends: session, OAuth2 token, timeouts, retries, errors, pages.

Every call has a (connect, read) timeout. Timeouts, refused connections, 429 and 5xx answers are
tried again ``MAX_RETRIES`` times with exponential backoff; a ``Retry-After`` header is honoured
when it asks for no more than ``MAX_RETRY_WAIT`` seconds, and a longer wait ends the call with a
transient error carrying it. A 401 renews the token once. Paginated answers (``results`` with a
``next`` link, page-number or cursor style) are followed, but never to another host: the token
goes only where the settings point.
"""

from __future__ import annotations

import email.utils
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from django.utils import timezone

from enterprise import redaction
from enterprise.lms.openedx.app_settings import openedx_settings
from enterprise.lms.openedx.auth import AccessToken, TokenCache, jwt_claims, token_cache
from enterprise.lms.openedx.exceptions import (
    OpenEdXAuthError,
    OpenEdXConfigurationError,
    OpenEdXHTTPError,
    OpenEdXNotFound,
    OpenEdXResponseError,
    OpenEdXTimeout,
    OpenEdXUnavailable,
)

logger = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
USER_AGENT = "enterprise-learners/openedx-client"


def parse_retry_after(value: str | None) -> float | None:
    """Seconds asked for by a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - timezone.now()).total_seconds())


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc


class OpenEdXClient:
    """Authenticated JSON calls to the LMS and course-discovery of one Open edX deployment.

    ``api_user`` (a username or a user) names whose identity the calls use: the user of the
    OAuth2 application registered for them in ``API_USERS``; without it, the application of
    ``CLIENT_ID``.
    ``session`` and ``sleep`` can be replaced (tests, connection pools).
    """

    def __init__(
        self,
        *,
        api_user=None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        tokens: TokenCache = token_cache,
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
        self.timeout = (float(conf.CONNECT_TIMEOUT), float(conf.READ_TIMEOUT))
        self.max_retries = int(conf.MAX_RETRIES)
        self.backoff = float(conf.BACKOFF_SECONDS)
        self.max_retry_wait = float(conf.MAX_RETRY_WAIT)
        self.expiry_margin = float(conf.TOKEN_EXPIRY_MARGIN)
        self.page_size = int(conf.PAGE_SIZE)
        self.session = session or requests.Session()
        self.session.headers.setdefault("User-Agent", USER_AGENT)
        self.session.headers["Accept"] = "application/json"
        self._sleep = sleep
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
    def _token_key(self) -> tuple[str, str]:
        return (self.token_url, self._client_id)

    def token(self) -> AccessToken:
        cached = self._tokens.get(self._token_key)
        if cached is not None:
            return cached
        data = {
            "grant_type": "client_credentials",
            "client_id": self._client_id,
            "client_secret": self._client_secret,
            "token_type": "jwt",
        }
        started = time.monotonic()
        try:
            response = self._send("POST", self.token_url, data=data, authenticate=False)
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
        expires_in = float(payload.get("expires_in") or 0)
        username = jwt_claims(value).get("preferred_username") if scheme == "JWT" else None
        if self.api_user and username and username != self.api_user:
            raise OpenEdXConfigurationError(
                f"The OAuth2 application configured for API user {self.api_user!r} issues tokens for "
                f"{username!r}: set its user in the LMS's Django OAuth Toolkit admin.",
                api_user=self.api_user,
            )
        self.redactor.add(value)
        token = AccessToken(value, scheme, started + max(0.0, expires_in - self.expiry_margin), username)
        self._tokens.put(self._token_key, token)
        logger.debug("New Open edX token for client %s (expires in %ss)", self._client_id, expires_in)
        return token

    # Calls

    def request(self, method: str, url: str, **kwargs) -> requests.Response:
        return self._send(method, url, **kwargs)

    def get_json(self, url: str, *, params: dict | None = None) -> Any:
        return _json(self._send("GET", url, params=params), "GET", url)

    def post_json(self, url: str, payload: Any) -> Any:
        return _json(self._send("POST", url, json=payload), "POST", url)

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

    def _send(self, method: str, url: str, *, authenticate: bool = True, **kwargs) -> requests.Response:
        renewed = False
        attempt = 0
        while True:
            headers = {}
            token = None
            if authenticate:
                token = self.token()
                self.redactor.add(token.value)
                headers["Authorization"] = token.header
            context = {"method": method, "url": url}
            try:
                response = self.session.request(method, url, headers=headers, timeout=self.timeout, **kwargs)
            except requests.Timeout as exc:
                error = OpenEdXTimeout(f"{method} {url} timed out after {self.timeout} s.", **context)
                error.__cause__ = exc
                wait = None
            except requests.ConnectionError as exc:
                error = OpenEdXUnavailable(f"{method} {url}: connection failed ({exc.__class__.__name__}).", **context)
                error.__cause__ = exc
                wait = None
            else:
                status = response.status_code
                logger.debug("%s %s -> %s (try %s)", method, url, status, attempt + 1)
                if status < 400:
                    return response
                context.update(status_code=status, response=response)
                if status == 401 and authenticate and not renewed:
                    self._tokens.discard(self._token_key, token)
                    renewed = True
                    continue
                if status in RETRY_STATUSES:
                    wait = parse_retry_after(response.headers.get("Retry-After"))
                    error = OpenEdXUnavailable(
                        f"{method} {url} answered {status}: {_error_text(response, self.redactor)}",
                        retry_after=wait,
                        **context,
                    )
                else:
                    raise _client_error(status, response, context, self.redactor)
            if attempt >= self.max_retries:
                raise error
            wait = self.backoff * (2**attempt) if wait is None else wait
            if wait > self.max_retry_wait:
                raise error
            attempt += 1
            logger.info(
                "%s %s failed (%s); try %s of %s in %.1f s",
                method,
                url,
                error.code,
                attempt + 1,
                self.max_retries + 1,
                wait,
            )
            self._sleep(wait)


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
