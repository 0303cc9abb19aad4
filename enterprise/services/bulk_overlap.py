"""A bulk link's Python run beside its PostgreSQL backend (decision 0570).

A submission is one transaction on one connection: each chunk is looked up, planned and written by
the linking thread, which waits while the backend works, and the backend waits while the thread
reads, classifies and records rows. On a host with two cores the two can overlap: the rows are read
and classified ahead in one thread (``bulk_link.read_ahead``, decision 0500) and the done chunks
recorded behind in another (``recorded_behind``), both while the linking thread waits for the
database. What keeps that overlap from being eaten by the GIL:

- ``Gate``: the helper threads run only while the linking thread waits (a statement, a queue): they
  never take the GIL from it while it plans a chunk, which is when the backend waits for it;
- ``short_switch_interval``: a thread whose statement has returned waits up to
  ``sys.getswitchinterval()`` (5 ms) for the GIL held by a helper; shortened while a stream with
  helpers runs, so the backend gets its next statement sooner.

The foreign keys stay deferred (checked at the COMMIT): checking them after each chunk instead was
measured and left out (decision 0570): the backend's work is the same wherever it runs, and the
helpers' Python already fits in the waits of the chunks' statements.
"""

from __future__ import annotations

import contextlib
import queue
import sys
import threading
from collections.abc import Callable, Iterator

#: The switch interval while a stream with helper threads runs (the interpreter's default: 5 ms).
SWITCH_INTERVAL = 0.0005


class Gate:
    """Open while the linking thread waits, closed while it runs Python; helper threads pass it per step.

    Only the linking thread opens and closes it (``waiting``, nested as needed); ``open_for_good`` at the
    end of a stream, so a helper never waits for a thread that has stopped. A helper that finds it
    closed waits (``pass_``): it does not compete for the GIL while the backend waits for the linking
    thread, and does its share when the linking thread waits for the backend.
    """

    def __init__(self):
        self._event = threading.Event()
        self._depth = 0
        self._for_good = False
        self.is_open = self._event.is_set

    @contextlib.contextmanager
    def waiting(self) -> Iterator[None]:
        self._depth += 1
        self._event.set()
        try:
            yield
        finally:
            self._depth -= 1
            if not self._depth and not self._for_good:
                self._event.clear()

    def open_for_good(self) -> None:
        self._for_good = True
        self._event.set()

    def pass_(self) -> None:
        if not self._event.is_set():
            self._event.wait()

    def around_queries(self, connection):
        """``connection.execute_wrapper``: the gate open while each of this thread's statements runs."""

        def wrapper(execute, sql, params, many, context):
            with self.waiting():
                return execute(sql, params, many, context)

        return connection.execute_wrapper(wrapper)


_switch_lock = threading.Lock()
_switch_users = 0
_switch_before = 0.0


@contextlib.contextmanager
def short_switch_interval(interval: float = SWITCH_INTERVAL) -> Iterator[None]:
    """``sys.setswitchinterval(interval)`` while the block runs, the interval before restored after.

    Concurrent or nested blocks (streams of several threads of a web process) share it: the first
    shortens it, the last to leave restores what the first found.
    """
    global _switch_users, _switch_before
    with _switch_lock:
        if not _switch_users:
            _switch_before = sys.getswitchinterval()
            if interval < _switch_before:
                sys.setswitchinterval(interval)
        _switch_users += 1
    try:
        yield
    finally:
        with _switch_lock:
            _switch_users -= 1
            if not _switch_users:
                sys.setswitchinterval(_switch_before)


_DONE = object()


@contextlib.contextmanager
def recorded_behind(
    on_chunk: Callable[[list, object], None], *, gate: Gate, depth: int = 1
) -> Iterator[Callable[[list, object], None]]:
    """``on_chunk`` called in a thread of its own, in order, while the linking thread goes on.

    Yields the function the linking thread calls instead of ``on_chunk``; it hands the chunk over and
    returns, once fewer than ``depth`` chunks are being recorded (memory: ``depth`` chunks besides the
    linking thread's). ``on_chunk`` must not use the database (the connection is the
    linking thread's): recording a submission's rows (counts, the page's rows, the report, the plan).
    An error it raises is raised in the linking thread at its next hand-over or when the block ends;
    the chunks after it are not recorded. When the block ends every chunk handed over has been
    recorded (or the block is left by an error) and the thread has ended.
    """
    handoff: queue.Queue = queue.Queue()
    room = threading.Semaphore(depth)  # taken by a hand-over, given back when the chunk is recorded
    failed: list[BaseException] = []

    def record() -> None:
        while (item := handoff.get()) is not _DONE:
            if not failed:  # after an error: dropped, not recorded (the linking thread raises it)
                gate.pass_()
                try:
                    on_chunk(*item)
                except BaseException as exc:  # handed to the linking thread
                    failed.append(exc)
            del item
            room.release()

    def hand_over(chunk: list, links: object) -> None:
        if failed:
            raise failed[0]
        with gate.waiting():
            room.acquire()
        if failed:
            raise failed[0]
        handoff.put((chunk, links))

    thread = threading.Thread(target=record, name="bulk-link-record", daemon=True)
    thread.start()
    error = False
    try:
        yield hand_over
    except BaseException:
        error = True
        raise
    finally:
        gate.open_for_good()
        handoff.put(_DONE)
        thread.join()
        if failed and not error:
            raise failed[0]
