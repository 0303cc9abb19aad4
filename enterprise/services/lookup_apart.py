"""A submission's look-ups on a connection of their own, beside its writes (decision 0585).

A Manage Learners submission is one transaction: each chunk is looked up (its users, their links, the
pending rows of its other addresses) and then written, on the one connection, so the backend does both
one after the other. On PostgreSQL the look-up of the next chunk can run on a second connection, in
the reading thread (``bulk_link.read_ahead``), while the linking connection writes the chunk before:
the two backends use the two cores.

What a second connection sees differs from the linking one's view in two ways, and both are handled:

- **The caller's own uncommitted rows**: none. The look-ups go apart only when the submission's
  transaction is the outermost one (not inside a caller's ``atomic``) and has written nothing yet
  (``pg_current_xact_id_if_assigned()`` is null when the first chunk arrives).
- **This stream's own writes** (invisible until the COMMIT). A file's addresses are distinct (its
  duplicates are classified before the look-up), so an earlier chunk's rows matter to a later chunk's
  look-up only through a user reached by two addresses (``UPPER(email)`` matches both). Such a user
  planned for a new link is caught by the unique constraint (the chunk is redone row by row on the
  linking connection, as after a lost race); planned for linking again, the chunk is looked up once
  more on the linking connection (``bulk_link._link_chunk``), which sees the stream's writes.

Only for a stream that writes (a preview that plans without writing, decision 0440, has nothing for
its look-ups to run beside: apart, they only lengthened the reading thread's turn, 0.82 → 1.05 s at
100,000 rows), in a READ COMMITTED transaction (a preview with a plan reads in one REPEATABLE READ
snapshot, decision 0545), and of more than one chunk (the first chunk is full): a small submission (an
API call with a few addresses) opens no connection and runs no extra statement. A connection that
cannot be opened (the server's ``max_connections``) leaves the look-ups on the linking connection. The
setting ``MANAGE_LEARNERS_LOOKUP_APART`` (default on) turns it off.
"""

from __future__ import annotations

import logging
import threading

from django.db import DatabaseError, connections

logger = logging.getLogger(__name__)


class LookedUp(list):
    """A chunk's rows, with its unresolved rows (``todo``) and what the database holds for them (``found``)."""

    __slots__ = ("found", "todo")

    def __init__(self, rows, *, todo, found):
        super().__init__(rows)
        self.todo = todo
        self.found = found


class LookupApart:
    """The look-up connection of one stream: decided by the linking thread, used by the reading thread.

    ``decide`` (the linking thread, at the stream's first chunk) says whether the look-ups go apart;
    ``looked_up`` (the reading thread, from the second chunk on) waits for that answer and looks the
    chunk up on the second connection, which it opens at its first use; ``release`` lets a reading
    thread waiting for the answer go on (the stream stopped first); ``close`` (the linking thread, once
    the reading thread has ended) closes the connection. A look-up that fails there (the connection
    lost, ended by the server's ``idle_in_transaction_session_timeout`` while a slow enrollment held the
    stream) leaves that chunk and the next ones to the linking connection.
    """

    def __init__(self, *, alias: str, indexed: bool):
        self.alias = alias
        self.indexed = indexed
        self.enabled = False
        self.connection = None
        self.lookup = None
        self._decided = threading.Event()

    @classmethod
    def for_stream(cls, lookup, *, write: bool = True) -> LookupApart | None:
        """For a stream whose look-ups are ``lookup`` (``bulk_link.ChunkLookup``): None when they cannot go
        apart (not one joined PostgreSQL query, the setting off) or would run beside nothing (no ``write``)."""
        from enterprise.app_settings import enterprise_settings

        if not (write and enterprise_settings.MANAGE_LEARNERS_LOOKUP_APART and lookup.joined):
            return None
        return cls(alias=lookup.connection.alias, indexed=lookup.indexed)

    def decide(self, connection, *, large: bool) -> None:
        """Whether the look-ups go apart: a stream of more than one chunk (``large``) in the outermost
        transaction of ``connection``, READ COMMITTED, which has written nothing yet. The linking thread, once."""
        try:
            if large and len(connection.atomic_blocks) == 1 and not connection.savepoint_ids:
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT pg_current_xact_id_if_assigned() IS NULL "
                        "AND current_setting('transaction_isolation') = 'read committed'"
                    )
                    self.enabled = cursor.fetchone()[0]
        finally:
            self._decided.set()

    def looked_up(self, chunk: list, gate=None) -> list:
        """``chunk`` as a ``LookedUp`` when the look-ups go apart, else as it is. The reading thread."""
        self._decided.wait()
        if not self.enabled or (self.lookup is None and not self._open()):
            return chunk
        todo = [row for row in chunk if row.status is None]
        if not todo:
            return chunk
        if gate is not None:
            gate.pass_()
        try:
            found = self.lookup.find([row.email for row in todo])
        except DatabaseError:
            logger.warning("Bulk link: the look-up connection failed; the look-ups go back to the first", exc_info=True)
            self.enabled = False
            return chunk
        return LookedUp(chunk, todo=todo, found=found)

    def _open(self) -> bool:
        from enterprise.services.bulk_link import ChunkLookup

        connection = connections.create_connection(self.alias)
        connection.inc_thread_sharing()  # opened here, closed by the linking thread after this one ends
        try:
            # One read-only transaction for the stream, so that nothing outlives it on a pooled server
            # connection (a session's SET would); READ COMMITTED: each look-up sees what is committed when it
            # runs, as the linking connection's statements do.
            # JIT off as for the linking connection's look-ups (ChunkLookup); one round trip (no parameters:
            # psycopg sends it by the simple query protocol, which takes several statements)
            with connection.cursor() as cursor:
                cursor.execute("BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY; SET LOCAL jit = off")
        except BaseException as exc:
            connection.close()
            if not isinstance(exc, DatabaseError):
                raise
            logger.warning("Bulk link: no second connection for the look-ups, which stay on the first", exc_info=True)
            self.enabled = False
            return False
        self.connection = connection
        self.lookup = ChunkLookup(joined=True, indexed=self.indexed, connection=connection)
        return True

    def release(self) -> None:
        """No decision to come (the stream stopped before its first chunk): a waiting reading thread goes on."""
        self._decided.set()

    def close(self) -> None:
        """Close the look-up connection (its transaction ends with it). The linking thread."""
        self._decided.set()
        if self.connection is not None:
            self.connection.close()
            self.connection = None
