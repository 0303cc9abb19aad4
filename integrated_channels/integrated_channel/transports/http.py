"""The HTTP transport every HTTP channel shares.

One ``requests.Session`` per client (connections are kept alive), an explicit (connect, read)
timeout on every call, the configuration's rate limit, retries with exponential backoff on 429,
500, 502, 503, 504, timeouts and refused connections — honouring ``Retry-After`` (seconds or an
HTTP date) and the channel's default wait for a 429 without one — and typed errors carrying the
HTTP status, the remote system's own message and a summary of its answer. Every text taken from
an answer is redacted: the configuration's secrets and the tokens in use never reach an error,
a log line, an audit row or an error report.
"""

from __future__ import annotations

import datetime
import email.utils
import json
import logging
import random

import requests
from django.utils import timezone

from enterprise import __version__, redaction
from integrated_channels.integrated_channel.app_settings import channel_settings
from integrated_channels.integrated_channel.exceptions import (
    AuthenticationFailed,
    MalformedResponse,
    RateLimited,
    RemoteAPIError,
    RemoteConnectionError,
    RemoteRejected,
    RemoteServerError,
    RemoteTimeout,
    TransmissionError,
)
from integrated_channels.integrated_channel.transports import guard
from integrated_channels.integrated_channel.transports.base import ChannelClient
from integrated_channels.integrated_channel.transports.rate_limit import RateLimiter

logger = logging.getLogger(__name__)

USER_AGENT = f"enterprise-learners/{__version__} (integrated channels)"
REDACTED = redaction.REDACTED
SUMMARY_LENGTH = 500


def parse_retry_after(value: str | None, *, now: datetime.datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delay-seconds or HTTP-date); None when absent or invalid."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.UTC)
    return max((when - (now or timezone.now())).total_seconds(), 0.0)


class HttpTransport(ChannelClient):
    #: Wait before retrying a 429 that carries no Retry-After (channels override: SAP says 300 s).
    default_retry_after = 60.0
    retry_statuses = frozenset({429, 500, 502, 503, 504})

    def __init__(self, configuration, *, session: requests.Session | None = None, **kwargs):
        super().__init__(configuration, **kwargs)
        self.session = session or guard.guarded_session()  # only allowed addresses (decision 0151)
        self.session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})
        self.timeout = (float(channel_settings.CONNECT_TIMEOUT), float(channel_settings.READ_TIMEOUT))
        self.limiter = RateLimiter(self.calls_per_minute(), clock=self.clock, wait=self.wait)
        self.redactor = redaction.for_configuration(configuration)

    # Hooks

    def calls_per_minute(self) -> int:
        """The configuration's rate limit (0: none)."""
        return 0

    def remote_message(self, response: requests.Response) -> str:
        """The remote system's own explanation in an error answer (channels know their format)."""
        try:
            body = response.json()
        except ValueError:
            return response.text.strip()[:SUMMARY_LENGTH]
        if isinstance(body, dict):
            error = body.get("error")
            if isinstance(error, dict) and error.get("message"):
                return str(error["message"])
            for key in ("error_description", "message", "errorMessage", "error"):
                if body.get(key):
                    return str(body[key])
        return json.dumps(body)[:SUMMARY_LENGTH]

    def rejection(self, message: str, **kwargs) -> RemoteAPIError:
        """The error for a 3xx or 4xx answer other than 401/403/429 (channels recognise special cases)."""
        return RemoteRejected(message, **kwargs)

    # Redaction

    def add_secret(self, value: str) -> None:
        self.redactor.add(value)

    def redact(self, text: str) -> str:
        return self.redactor(text)

    def excerpt(self, response: requests.Response, length: int = 200) -> str:
        """The start of an answer's body, on one line and redacted (what the remote system said)."""
        return redaction.excerpt(response.text, self.redactor, length)

    def summarize(self, response: requests.Response) -> str:
        body = " ".join(self.redact(response.text).split())[:SUMMARY_LENGTH]
        return self.redact(f"HTTP {response.status_code} {response.reason or ''}: {body}".strip())

    # Calls

    def error_for(self, response: requests.Response) -> RemoteAPIError:
        status = response.status_code
        remote_message = self.redact(self.remote_message(response))
        kwargs = {
            "status_code": status,
            "remote_message": remote_message,
            "response_summary": self.summarize(response),
            "url": response.url,
            "response": response,
        }
        message = f"{self.name} answered HTTP {status}" + (f": {remote_message}" if remote_message else ".")
        if status in (401, 403):
            return AuthenticationFailed(message, **kwargs)
        if status == 429:
            return RateLimited(message, retry_after=parse_retry_after(response.headers.get("Retry-After")), **kwargs)
        if status >= 500:
            return RemoteServerError(message, **kwargs)
        return self.rejection(message, **kwargs)

    def retry_delay(self, attempt: int, response: requests.Response | None) -> float:
        if response is not None:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if retry_after is not None:
                return retry_after
            if response.status_code == 429:
                return float(self.default_retry_after)
        backoff = float(channel_settings.BACKOFF_SECONDS) * (2**attempt)
        return backoff * (1 + random.random() / 10)  # noqa: S311 (jitter, not cryptography)

    def request(self, method: str, url: str, **kwargs) -> requests.Response:
        """One call with rate limit, timeouts and retries; a 2xx answer or a typed error."""
        attempt = 0
        max_retries = int(channel_settings.MAX_RETRIES)
        max_wait = float(channel_settings.MAX_RETRY_WAIT)
        while True:
            self.limiter.acquire()
            self.calls += 1
            response = None
            try:
                # A redirected POST would silently become a GET: a redirect is an error here.
                response = self.session.request(method, url, timeout=self.timeout, allow_redirects=False, **kwargs)
            # What the network library says (addresses, ports, errno) goes to the server log only: a run's
            # error, which the customer's administrators read, says no more than what failed (decision 0151).
            except requests.Timeout as exc:
                self.log_failure(url, exc)
                error: TransmissionError = RemoteTimeout(
                    f"{self.name} did not answer in time (connect {self.timeout[0]:g} s, read {self.timeout[1]:g} s).",
                    url=url,
                )
            except requests.ConnectionError as exc:
                self.log_failure(url, exc)
                error = RemoteConnectionError(f"{self.name} could not be reached (could not connect).", url=url)
            except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError) as exc:
                # The connection broke (reset, closed) while the answer was being read: the remote
                # system may or may not have processed the call; trying again is what can help.
                self.log_failure(url, exc)
                error = RemoteConnectionError(
                    self.redact(f"{self.name} broke the connection while answering: {exc}"), url=url
                )
            else:
                if response.status_code < 300:
                    return response
                error = self.error_for(response)
            if not error.transient or attempt >= max_retries:
                raise error
            delay = self.retry_delay(attempt, response)
            if delay > max_wait:
                logger.warning(
                    "%s asked to wait %.0f s before retrying, more than MAX_RETRY_WAIT (%.0f s): giving up this call",
                    self.name,
                    delay,
                    max_wait,
                )
                raise error
            logger.info(
                "%s: %s; retrying in %.1f s (retry %d of %d)", self.name, error, delay, attempt + 1, max_retries
            )
            self.wait(delay)
            attempt += 1

    def log_failure(self, url: str, exc: Exception) -> None:
        logger.info("%s: %s %s failed: %s", self.name, self.redact(url), type(exc).__name__, self.redact(str(exc)))

    def parse_json(self, response: requests.Response, *, what: str):
        """The JSON body of a successful answer, or ``MalformedResponse``."""
        try:
            return response.json()
        except ValueError as exc:
            raise MalformedResponse(
                f"{self.name} answered {what} with a body that is not valid JSON: {self.excerpt(response)}",
                status_code=response.status_code,
                response_summary=self.summarize(response),
                url=response.url,
            ) from exc

    def close(self) -> None:
        self.session.close()
