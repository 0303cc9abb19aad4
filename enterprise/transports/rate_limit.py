"""At most N calls in any 60 seconds to one remote account (decision 0182).

Remote systems count calls per account (SAP: per tenant), not per configuration of ours: two
configurations of one customer pointing at the same tenant, or two runs at once, share the
budget. ``limiter_for(host, account, limit)`` gives every client of the process that talks to
the same (host, account) the same sliding window. A client waits through its own ``wait`` (so
runs keep their heartbeats while they wait).
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Callable

WINDOW = 60.0


class RateLimiter:
    """At most ``calls_per_minute`` calls in any ``window`` seconds (60 by default; Marketo counts per 20 s)."""

    def __init__(
        self,
        calls_per_minute: int,
        *,
        clock: Callable[[], float],
        wait: Callable[[float], None],
        window: float = WINDOW,
    ):
        self.limit = max(int(calls_per_minute or 0), 0)
        self.window = float(window)
        self.clock = clock
        self.wait = wait
        self.calls: collections.deque[float] = collections.deque()
        self.lock = threading.Lock()

    def acquire(self, *, clock: Callable[[], float] | None = None, wait: Callable[[float], None] | None = None) -> None:
        """Return when one more call fits in the window (at once when the limit is off)."""
        if not self.limit:
            return
        clock, wait = clock or self.clock, wait or self.wait
        while True:
            with self.lock:
                now = clock()
                while self.calls and now - self.calls[0] >= self.window:
                    self.calls.popleft()
                if len(self.calls) < self.limit:
                    self.calls.append(now)
                    return
                delay = self.window - (now - self.calls[0])
            wait(delay)


_limiters: dict[tuple[str, str], RateLimiter] = {}
_registry_lock = threading.Lock()


def limiter_for(
    host: str,
    account: str,
    calls_per_minute: int,
    *,
    clock: Callable[[], float],
    wait: Callable[[float], None],
    window: float = WINDOW,
) -> RateLimiter:
    """The process's limiter of one remote account; its limit follows the latest configuration read."""
    key = (host.lower(), account)
    with _registry_lock:
        limiter = _limiters.get(key)
        if limiter is None:
            limiter = _limiters[key] = RateLimiter(calls_per_minute, clock=clock, wait=wait, window=window)
        else:
            limiter.limit = max(int(calls_per_minute or 0), 0)
        return limiter


def forget_limiters() -> None:
    """Drop every shared window (tests)."""
    with _registry_lock:
        _limiters.clear()
