"""What a Manage Learners preview planned to write, for its confirmation to apply when nothing changed.

A CSV preview that enrolls nobody decides every row from one look-up per chunk and writes nothing
(decision 0440); the confirmation then used to look every address up and plan every row again
(decision 0416). Since decision 0545 the preview also keeps its plan — per chunk, the users to link,
the learners to re-link and the addresses to add as pending — beside the upload
(``upload_store.PLAN``), with the **version of the learner state** its look-ups saw: a PostgreSQL
sequence that a statement-level trigger draws on every change of the link, pending and customer
tables and of the user table's addresses and usernames (migration 0018). The confirmation
applies the plan (set-based writes, no look-up, no planning) only when the version is unchanged;
otherwise — or without a plan, on SQLite, with an enrollment, or for a plan that does not verify —
it runs the full path as before.

Why the version is exact: the preview takes its snapshot (``REPEATABLE READ``, all its look-ups see
it) and reads the version while holding an exclusive advisory lock (``STATE_LOCK``) for a moment;
every writer of those tables takes the same lock shared in its trigger and keeps it until it ends.
So no transaction that drew the version before the preview's read is still running when the
snapshot is taken: the snapshot holds every change counted in the version, and any later change
draws a new one. A writer busy at that moment makes the preview give up the plan (the
confirmation then plans again); it never waits for the preview.
"""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
import time

from django.core import signing
from django.core.files import File
from django.db import connections, router
from django.utils import timezone

from enterprise.app_settings import enterprise_settings
from enterprise.models import EnterpriseCustomerUser, PendingEnterpriseCustomerUser
from enterprise.services.bulk_link import ChunkLookup, RowStatus
from enterprise.services.bulk_sql import insert_varying

logger = logging.getLogger(__name__)

#: The advisory lock the triggers take shared (migration 0018 holds the same number).
STATE_LOCK = 7_305_450_545
SEQUENCE = "enterprise_learner_state_version"
SALT = "enterprise.manage_learners.plan"
#: Tries for the lock, and the pause between two, before a preview gives its plan up.
LOCK_TRIES = 5
LOCK_PAUSE = 0.01
#: The message ``bulk_link`` gives a re-linked row (a re-link is an UPDATE, a link an INSERT).
RELINK_MESSAGE = "Linked again (was unlinked)."
BODY_SPOOL_BYTES = 2 * 1024 * 1024


class PlanStale(Exception):
    """The learner state changed since the preview, or a write found it changed: plan again."""


def _connection():
    return connections[router.db_for_write(EnterpriseCustomerUser)]


class Planner:
    """The preview's side: the state version of its snapshot, and its plan, chunk by chunk.

    ``for_preview()`` is None where no version exists (not PostgreSQL, a user table in another
    database, a preview inside the caller's transaction, whose isolation level is already set).
    Used by ``manage_learners._run_once``: ``acquire()`` before the transaction, ``begin()`` as its
    first statement, ``record(chunk)`` for each done chunk, ``release()`` at the end.
    """

    def __init__(self, connection):
        self.connection = connection
        self.locked = False
        self.version: int | None = None
        self.body = None
        self.digest = None

    @classmethod
    def for_preview(cls) -> Planner | None:
        connection = _connection()
        if connection.vendor != "postgresql" or connection.in_atomic_block or not ChunkLookup.for_stream().joined:
            return None
        return cls(connection)

    def acquire(self) -> None:
        """Take the state lock exclusively (a few short tries; none held: no plan this time)."""
        self.version, self.locked = None, False
        self._start_body()
        with self.connection.cursor() as cursor:
            for attempt in range(LOCK_TRIES):
                # CASE, not AND: the lock is asked for only where the version exists (AND has no order)
                cursor.execute(
                    "SELECT CASE WHEN to_regclass(%s) IS NULL THEN false ELSE pg_try_advisory_lock(%s) END",
                    [SEQUENCE, STATE_LOCK],
                )
                if cursor.fetchone()[0]:
                    self.locked = True
                    return
                if attempt + 1 < LOCK_TRIES:
                    time.sleep(LOCK_PAUSE)
        logger.info("Manage Learners preview without a plan: the learner state was being written")

    def begin(self) -> None:
        """The transaction's first statements: its snapshot and the version it holds, then unlock."""
        if not self.locked:
            return
        with self.connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cursor.execute(f"SELECT last_value, is_called FROM {SEQUENCE}")  # noqa: S608 - a constant name
            last_value, is_called = cursor.fetchone()
        self.version = last_value if is_called else 0
        self.release()

    def release(self) -> None:
        if self.locked:
            self.locked = False
            with self.connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [STATE_LOCK])

    def _start_body(self) -> None:
        if self.body is not None:
            self.body.close()
        self.body = tempfile.SpooledTemporaryFile(max_size=BODY_SPOOL_BYTES)  # noqa: SIM115 (closed by close())
        self.digest = hashlib.sha256()

    def record(self, chunk) -> None:
        """The writes the confirmation would make for this chunk: one JSON line."""
        create, relink, pend = [], [], []
        linked, pending = RowStatus.LINKED, RowStatus.PENDING
        for row in chunk:
            status = row.status
            if status is linked:
                (relink if row.message == RELINK_MESSAGE else create).append(row.user_id)
            elif status is pending:
                pend.append(row.email)
        line = json.dumps([create, relink, pend], separators=(",", ":")).encode() + b"\n"
        self.body.write(line)
        self.digest.update(line)

    def content(self, *, customer, upload: str, result, disclose: bool) -> File | None:
        """The plan to store beside the upload: a signed header line, then the body; None without a version."""
        if self.version is None:
            return None
        header = signing.dumps(
            {
                "customer": str(customer.pk),
                "upload": upload,
                "version": self.version,
                "chunk_size": enterprise_settings.MANAGE_LEARNERS_CHUNK_SIZE,
                "disclose": disclose,
                "body": self.digest.hexdigest(),
                "row_count": result.total_rows,
                "counts": {status.value: count for status, count in result.counts.items()},
                "rows": [[row.line, row.value, row.email, row.status.value, row.message] for row in result.rows],
            },
            salt=SALT,
            compress=True,
        )
        out = tempfile.SpooledTemporaryFile(max_size=BODY_SPOOL_BYTES)  # noqa: SIM115 (closed by close())
        out.write(header.encode() + b"\n")
        self.body.seek(0)
        while block := self.body.read(1 << 20):
            out.write(block)
        out.seek(0)
        return File(out, name="plan")

    def close(self) -> None:
        if self.body is not None:
            self.body.close()
            self.body = None


class Plan:
    """The confirmation's side: a stored plan, verified (``read``), applied when nothing changed."""

    def __init__(self, file, header: dict, body_offset: int):
        self.file = file
        self.header = header
        self.body_offset = body_offset

    @classmethod
    def read(cls, file, *, customer, upload: str, disclose: bool) -> Plan | None:
        """The plan in ``file`` when it is this upload's, signed and whole, and made under the same
        settings; else None (the confirmation plans again)."""
        first = file.readline()
        try:
            header = signing.loads(first.strip().decode(), salt=SALT)
        except (signing.BadSignature, UnicodeDecodeError):
            logger.warning("Manage Learners plan of %s does not verify: planning again", upload)
            return None
        same = (
            header.get("customer") == str(customer.pk)
            and header.get("upload") == upload
            and header.get("disclose") == disclose
            and header.get("chunk_size") == enterprise_settings.MANAGE_LEARNERS_CHUNK_SIZE
        )
        digest = hashlib.sha256()
        while block := file.read(1 << 20):
            digest.update(block)
        if not same or digest.hexdigest() != header.get("body"):
            logger.warning("Manage Learners plan of %s is not this confirmation's: planning again", upload)
            return None
        return cls(file, header, len(first))

    def apply(self, customer) -> None:
        """Write the plan (caller's transaction), or ``PlanStale`` before writing anything when the
        learner state changed since the preview; a write that finds it changed raises ``PlanStale``
        or ``IntegrityError`` (the caller rolls back and plans again)."""
        connection = _connection()
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT last_value, is_called FROM {SEQUENCE}")  # noqa: S608 - a constant name
            last_value, is_called = cursor.fetchone()
        if (last_value if is_called else 0) != self.header["version"]:
            raise PlanStale
        self.file.seek(self.body_offset)
        now = timezone.now()
        while line := self.file.readline():  # not ``for line in``: a Django ``File`` iterates from its start
            create, relink, pend = json.loads(line)
            if create:
                insert_varying(
                    EnterpriseCustomerUser,
                    field="user",
                    values=create,
                    constants={"customer_id": customer.pk},
                    returning=False,
                )
            if relink:
                relinked = EnterpriseCustomerUser.objects.filter(
                    customer=customer, user_id__in=relink, linked=False
                ).update(linked=True, unlinked_at=None, modified=now)
                if relinked != len(set(relink)):
                    raise PlanStale
            if pend:
                insert_varying(
                    PendingEnterpriseCustomerUser,
                    field="user_email",
                    values=pend,
                    constants={"customer_id": customer.pk},
                    returning=False,
                )

    def summary(self) -> dict:
        """What the preview recorded of its rows: ``row_count``, ``counts`` (status values), ``rows``."""
        return self.header
