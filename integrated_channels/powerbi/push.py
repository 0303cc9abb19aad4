"""Pushing a report's rows within Power BI's push limits, and resuming an interrupted push (decision 0271).

Limits of push semantic models (learn.microsoft.com, "Power BI REST API limitations"): 10,000 rows
per POST; 120 POST-rows requests per minute per model, 120 per hour once a table holds 250,000
rows; 1,000,000 rows per hour per model; 5 pending POST-rows requests per model; 4,000 characters
per string value. The throttle waits rather than be refused; this connector posts one request at
a time (1 pending). A 429 that still comes is retried after its Retry-After by the HTTP transport.
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

ROWS_PER_POST = 10_000
POSTS_PER_MINUTE = 120
POSTS_PER_HOUR_LARGE = 120
LARGE_TABLE_ROWS = 250_000
ROWS_PER_HOUR = 1_000_000
MAX_STRING = 4_000
MINUTE, HOUR = 60.0, 3600.0


class PushThrottle:
    """The sliding windows of one semantic model (shared by every client of the process)."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self.posts: collections.deque[float] = collections.deque()  # times of POST-rows requests (last hour)
        self.rows: collections.deque[tuple[float, int]] = collections.deque()  # (time, rows) of the last hour
        self.lock = threading.Lock()

    def delay(self, rows: int, *, large_table: bool) -> float:
        """Seconds to wait before a POST of ``rows`` rows fits every window (0: now)."""
        now = self.clock()
        while self.posts and now - self.posts[0] >= HOUR:
            self.posts.popleft()
        while self.rows and now - self.rows[0][0] >= HOUR:
            self.rows.popleft()
        waits = [0.0]
        last_minute = [t for t in self.posts if now - t < MINUTE]
        if len(last_minute) >= POSTS_PER_MINUTE:
            waits.append(MINUTE - (now - last_minute[-POSTS_PER_MINUTE]))
        if large_table and len(self.posts) >= POSTS_PER_HOUR_LARGE:
            waits.append(HOUR - (now - self.posts[-POSTS_PER_HOUR_LARGE]))
        total = sum(n for _t, n in self.rows)
        if total + rows > ROWS_PER_HOUR:
            freed = 0
            for moment, count in self.rows:  # wait until enough of the hour's rows have left the window
                freed += count
                if total - freed + rows <= ROWS_PER_HOUR:
                    waits.append(HOUR - (now - moment))
                    break
        return max(waits)

    def acquire(self, rows: int, *, large_table: bool, wait: Callable[[float], None]) -> float:
        """Wait until a POST of ``rows`` rows fits, then count it; the seconds waited."""
        waited = 0.0
        while True:
            with self.lock:
                seconds = self.delay(rows, large_table=large_table)
                if seconds <= 0:
                    now = self.clock()
                    self.posts.append(now)
                    self.rows.append((now, rows))
                    return waited
            wait(seconds)
            waited += seconds


_throttles: dict[str, PushThrottle] = {}
_guard = threading.Lock()


def throttle_for(dataset_id: str, *, clock: Callable[[], float] = time.monotonic) -> PushThrottle:
    with _guard:
        return _throttles.setdefault(dataset_id, PushThrottle(clock=clock))


def forget_throttles() -> None:
    with _guard:
        _throttles.clear()


@dataclass
class Truncation:
    key: str
    column: str
    length: int


@dataclass
class Batch:
    keys: list[str] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)
    truncated: list[Truncation] = field(default_factory=list)


def batches(items, *, size: int = ROWS_PER_POST):
    """``(key, row)`` items in batches of at most ``size`` rows, strings over 4,000 characters cut."""
    batch = Batch()
    for key, row in items:
        for column, value in row.items():
            if isinstance(value, str) and len(value) > MAX_STRING:
                batch.truncated.append(Truncation(key, column, len(value)))
                row[column] = value[:MAX_STRING]
        batch.keys.append(key)
        batch.rows.append(row)
        if len(batch.rows) >= size:
            yield batch
            batch = Batch()
    if batch.rows:
        yield batch
