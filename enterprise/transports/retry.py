"""The one retry policy of every remote call, on tenacity (decision 0180).

An error is tried again when its ``transient`` attribute says so (every typed error of the
project carries it). The wait before the next try is, in this order: the error's
``retry_after`` (what the remote asked with ``Retry-After``), the remote's default wait for a 429
that gives none (SAP asks for 300 s), or ``backoff * 2**n`` with up to 10 % of jitter. The
policy gives up — raising the last error itself, never a wrapper — after ``max_retries``
retries or when the wait asked for is longer than ``max_wait`` (the record is then sent again by
a later run instead of blocking this one).
"""

from __future__ import annotations

import datetime
import email.utils
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import tenacity
from django.utils import timezone

logger = logging.getLogger(__name__)

T = TypeVar("T")


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


def is_transient(error: BaseException) -> bool:
    return bool(getattr(error, "transient", False))


@dataclass(frozen=True)
class RetryPolicy:
    """How a remote call is tried again. ``default_retry_after`` is the remote's own advice for a 429."""

    max_retries: int = 3
    backoff: float = 1.0
    max_wait: float = 300.0
    default_retry_after: float | None = 60.0  # None: a 429 without Retry-After waits the backoff
    jitter: float = 0.1

    def delay(self, error: BaseException | None, retry: int) -> float:
        """The wait before retry number ``retry`` (0 for the first) after ``error``."""
        retry_after = getattr(error, "retry_after", None)
        if retry_after is not None:
            return float(retry_after)
        if getattr(error, "status_code", None) == 429 and self.default_retry_after is not None:
            return float(self.default_retry_after)
        backoff = float(self.backoff) * (2**retry)
        return backoff * (1 + random.random() * self.jitter)  # noqa: S311 (jitter, not cryptography)

    def call(
        self,
        attempt: Callable[[], T],
        *,
        sleep: Callable[[float], None],
        name: str = "remote",
        retry_if: Callable[[BaseException], bool] = is_transient,
    ) -> T:
        """``attempt()`` until it returns, raises a permanent error, or the policy gives up (the last error)."""
        max_retries = max(int(self.max_retries), 0)
        max_wait = float(self.max_wait)

        def wait(state: tenacity.RetryCallState) -> float:
            return self.delay(state.outcome.exception(), state.attempt_number - 1)

        def stop(state: tenacity.RetryCallState) -> bool:
            if state.attempt_number > max_retries:
                return True
            if state.upcoming_sleep > max_wait:
                logger.warning(
                    "%s asked to wait %.0f s before retrying, more than the longest wait accepted (%.0f s): giving up",
                    name,
                    state.upcoming_sleep,
                    max_wait,
                )
                return True
            return False

        def before_sleep(state: tenacity.RetryCallState) -> None:
            logger.info(
                "%s: %s; retrying in %.1f s (retry %d of %d)",
                name,
                state.outcome.exception(),
                state.upcoming_sleep,
                state.attempt_number,
                max_retries,
            )

        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception(retry_if),
            wait=wait,
            stop=stop,
            sleep=sleep,
            before_sleep=before_sleep,
            reraise=True,
        )
        return retrying(attempt)
