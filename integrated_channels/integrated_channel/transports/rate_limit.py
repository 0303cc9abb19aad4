"""A sliding-window rate limiter: at most N calls in any 60 seconds."""

from __future__ import annotations

import collections
from collections.abc import Callable

WINDOW = 60.0


class RateLimiter:
    def __init__(self, calls_per_minute: int, *, clock: Callable[[], float], wait: Callable[[float], None]):
        self.limit = max(int(calls_per_minute or 0), 0)
        self.clock = clock
        self.wait = wait
        self.calls: collections.deque[float] = collections.deque()

    def acquire(self) -> None:
        """Return when one more call fits in the window (at once when the limit is off)."""
        if not self.limit:
            return
        now = self.clock()
        while True:
            while self.calls and now - self.calls[0] >= WINDOW:
                self.calls.popleft()
            if len(self.calls) < self.limit:
                break
            self.wait(WINDOW - (now - self.calls[0]))
            now = self.clock()
        self.calls.append(now)
