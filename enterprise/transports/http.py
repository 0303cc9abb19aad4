"""The HTTP core every HTTP client of the project shares (channels, connectors, the Open edX backends).

One ``requests.Session`` per client, a (connect, read) timeout on every call (there is no call
without one), the remote account's rate limit before every try, and the one retry policy
(``retry.RetryPolicy``) around each call. A subclass says only how a failed try becomes one of
its typed errors: ``error_for(response)`` for an error status, ``transport_error(kind, exc, method,
url)`` for a timeout or a broken connection. Those errors carry ``transient`` (may a retry help),
``retry_after`` and ``status_code``, which is all the policy reads.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import requests

from enterprise import __version__
from enterprise.transports.rate_limit import RateLimiter
from enterprise.transports.retry import RetryPolicy

USER_AGENT = f"enterprise-learners/{__version__}"
TIMEOUT, CONNECTION, BROKEN = "timeout", "connection", "broken"


class HttpClient:
    """Calls to one remote system: ``request()`` returns a successful answer or raises a typed error."""

    name = "remote"
    #: Redirects are errors by default: a redirected POST silently becomes a GET.
    follow_redirects = False

    def __init__(
        self,
        *,
        timeout: tuple[float, float],
        policy: RetryPolicy,
        session: requests.Session | None = None,
        limiter: RateLimiter | None = None,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        connect, read = timeout
        if not (connect and read):
            raise ValueError("Every HTTP call needs a connect and a read timeout.")
        self.timeout = (float(connect), float(read))
        self.policy = policy
        self.session = session or requests.Session()
        self.limiter = limiter
        self._sleep = sleep or time.sleep
        self._clock = clock
        self.calls = getattr(self, "calls", 0)

    # Hooks

    def error_for(self, response: requests.Response) -> Exception:
        """The typed error of an answer with an error status."""
        raise NotImplementedError

    def transport_error(self, kind: str, exc: requests.RequestException, method: str, url: str) -> Exception:
        """The typed error of a call that got no (complete) answer: ``TIMEOUT``, ``CONNECTION`` or ``BROKEN``."""
        raise NotImplementedError

    def wait(self, seconds: float) -> None:
        if seconds > 0:
            self._sleep(seconds)

    # Calls

    def succeeded(self, response: requests.Response) -> bool:
        return response.status_code < (400 if self.follow_redirects else 300)

    def attempt(self, method: str, url: str, **kwargs) -> requests.Response:
        """One try: rate limit, timeouts; a successful answer or a typed error."""
        if self.limiter is not None:
            self.limiter.acquire(clock=self._clock, wait=self.wait)
        self.calls += 1
        kwargs.setdefault("allow_redirects", self.follow_redirects)
        try:
            response = self.session.request(method, url, timeout=self.timeout, **kwargs)
        except requests.Timeout as exc:
            raise self.transport_error(TIMEOUT, exc, method, url) from exc
        except requests.ConnectionError as exc:
            raise self.transport_error(CONNECTION, exc, method, url) from exc
        except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError) as exc:
            # The connection broke while the answer was read: the remote may or may not have
            # processed the call; trying again is what can help.
            raise self.transport_error(BROKEN, exc, method, url) from exc
        if self.succeeded(response):
            return response
        raise self.error_for(response)

    def request(self, method: str, url: str, **kwargs) -> requests.Response:
        """One call with the retry policy around its tries."""
        return self.retrying(lambda: self.attempt(method, url, **kwargs))

    def retrying(self, attempt):
        """Any ``attempt()`` (an HTTP try, a SOAP call with a fresh envelope, …) under the retry policy."""
        return self.policy.call(attempt, sleep=self.wait, name=self.name)

    def close(self) -> None:
        self.session.close()
