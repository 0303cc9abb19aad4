"""Linking many e-mail addresses to a customer with set-based queries.

``iter_classified`` normalises and validates each row in Python (invalid, duplicate, header) as
it is read; ``link_rows`` then resolves the remaining addresses chunk by chunk (``link_stream``, which
connector imports feed straight from their source): per chunk of ``MANAGE_LEARNERS_CHUNK_SIZE``
addresses one look-up of their users (``user_lookup``, by the host's index on the e-mail), one
query for the existing links of the matched users, one for the pending rows of the others, and
bulk writes. Nothing outside the current chunk is held, so memory is bounded by the chunk.
The database constraints stay the final guard: if a concurrent transaction wins a race inside a
chunk, that chunk's savepoint is rolled back and its rows are redone one by one through
the single-row services, which report the conflict.

``write=False`` (a preview without an enrollment, decision 0440) stops before the writes: the same
look-ups and the same planning give every row the status the writes would give it, and nothing is
inserted or updated (nothing to roll back, no dead index entries left for the confirmation).

The cost is O(rows / chunk) queries, never O(rows). On PostgreSQL, ``link_rows`` with a reading thread
looks the chunks after the first up on a second connection while this one writes (``lookup_apart``,
decision 0585).
"""

from __future__ import annotations

import contextlib
import enum
import logging
import queue
import re
import threading
from array import array
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain, islice

from django.contrib.auth import get_user_model
from django.core.validators import validate_email
from django.db import IntegrityError, connections, router, transaction
from django.db.models import F
from django.db.models.functions import Lower
from django.utils import timezone

from enterprise.emails import normalize_email
from enterprise.exceptions import LinkConflict
from enterprise.models import EnterpriseCustomer, EnterpriseCustomerUser, PendingEnterpriseCustomerUser
from enterprise.services.bulk_overlap import Gate, recorded_behind, short_switch_interval
from enterprise.services.bulk_sql import AnyOf, insert_varying, text_lines
from enterprise.services.collector import collected_per_chunk
from enterprise.services.csv_rows import CsvRow
from enterprise.services.linking import LinkStatus, link_user
from enterprise.services.lookup_apart import LookedUp, LookupApart
from enterprise.services.pending import PendingStatus, add_pending_learner
from enterprise.services.user_lookup import usernames, users_by_email

logger = logging.getLogger(__name__)


class RowStatus(enum.StrEnum):
    LINKED = "linked"
    PENDING = "pending"
    ALREADY_LINKED = "already_linked"
    ALREADY_PENDING = "already_pending"
    CONFLICT = "conflict"
    NOT_A_LEARNER = "not_a_learner"
    AMBIGUOUS = "ambiguous"
    DUPLICATE = "duplicate"
    HEADER = "header"
    INVALID = "invalid"

    def label(self, *, dry_run: bool) -> str:
        preview, done = _LABELS[self]
        return preview if dry_run else done


_LABELS = {
    RowStatus.LINKED: ("will link", "linked"),
    RowStatus.PENDING: ("will be pending", "pending"),
    RowStatus.ALREADY_LINKED: ("already linked", "already linked"),
    RowStatus.ALREADY_PENDING: ("already pending", "already pending"),
    RowStatus.CONFLICT: ("conflict with another customer", "conflict with another customer"),
    RowStatus.NOT_A_LEARNER: ("not a learner of this customer", "not a learner of this customer"),
    RowStatus.AMBIGUOUS: ("ambiguous: several users", "ambiguous: several users"),
    RowStatus.DUPLICATE: ("duplicate in the file", "duplicate in the file"),
    RowStatus.HEADER: ("header", "header"),
    RowStatus.INVALID: ("invalid", "invalid"),
}
#: Statuses whose learner belongs to the customer after the submission (enrolled, notified).
MEMBER_STATUSES = frozenset({RowStatus.LINKED, RowStatus.PENDING, RowStatus.ALREADY_LINKED, RowStatus.ALREADY_PENDING})
#: Statuses the operator must look at: nothing was done for these rows.
PROBLEM_STATUSES = frozenset({RowStatus.CONFLICT, RowStatus.NOT_A_LEARNER, RowStatus.AMBIGUOUS, RowStatus.INVALID})


@dataclass(slots=True)
class RowResult:
    """What happened (or would happen, in a preview) to one row of a submission."""

    line: int
    value: str
    email: str = ""
    status: RowStatus | None = None
    message: str = ""
    user_id: int | None = None
    enrollment: str = ""
    enrollment_message: str = ""
    notified: bool = False
    #: Imported attributes (connector imports): a learner created by the link gets them in its INSERT.
    attributes: dict | None = None


@dataclass(slots=True)
class LinkedRef:
    row: RowResult
    learner_id: int
    user_id: int
    attributes_written: bool = False  # created with ``row.attributes``: nothing left to merge


@dataclass(slots=True)
class PendingRef:
    row: RowResult
    pending_id: int


@dataclass
class ChunkLinks:
    """The learners of one chunk that belong to the customer now, for enrollment and notification."""

    linked: list[LinkedRef] = field(default_factory=list)
    pending: list[PendingRef] = field(default_factory=list)


def classify_rows(rows: Iterable[CsvRow], *, header: bool = True) -> list[RowResult]:
    """``iter_classified`` as a list (a single address, a list of addresses, tests)."""
    return list(iter_classified(rows, header=header))


def email_rows(emails: Iterable[str]) -> Iterator[CsvRow]:
    """A list of addresses (the API's JSON ``emails``) as rows numbered by their 1-based position.

    Each entry is one cell, stripped, whatever it holds (a comma, a quote, a line break); a blank
    entry is skipped like a CSV's blank line, so the numbers of the others stay their positions.
    """
    for position, email in enumerate(emails, start=1):
        if value := email.strip():
            yield CsvRow(position, (value,))


def iter_classified(rows: Iterable[CsvRow], *, header: bool = True) -> Iterator[RowResult]:
    """Normalise and validate each row as it is read; the valid, first-seen addresses are left unresolved.

    With ``header`` (a file), the first row is a header when its only cell holds no ``@``; a list
    of addresses has none (``header=False``). A row with more than one non-empty cell is invalid
    (the file is one column). Only the first line of each address is remembered (to name it in a
    duplicate's message), not the rows.
    """
    first_line = SeenAddresses().first_line
    for index, row in enumerate(rows):
        cells = row.cells
        if len(cells) != 1:  # most rows have one cell, never empty (blank rows are skipped)
            cells = [cell for cell in cells if cell]
        value = ",".join(row.cells) if len(cells) > 1 else cells[0]
        result = RowResult(line=row.line, value=value)
        if len(cells) > 1:
            result.status = RowStatus.INVALID
            result.message = f"Expected one column (an e-mail address), found {len(cells)}."
        elif header and index == 0 and "@" not in value:
            result.status = RowStatus.HEADER
            result.message = "First row without an @: read as the column header."
        else:
            email = normalize_email(value)
            error = email_error(email)
            if error:
                result.status = RowStatus.INVALID
                result.message = f"{value!r} {error}"
            else:
                result.email = value if email == value else email  # one string object when already normal
                seen = first_line(result.email, row.line)
                if seen != row.line:
                    result.status = RowStatus.DUPLICATE
                    result.message = f"Same address as line {seen}."
        yield result


#: Addresses a block of ``SeenAddresses``' hashes and lines holds (32 KB and 16 KB, allocated whole).
_SEEN_BLOCK_BITS = 12
_SEEN_BLOCK = 1 << _SEEN_BLOCK_BITS


class SeenAddresses:
    """The first line of each address met in a file, in 16-20 bytes an address.

    A dict of the addresses would hold each string (~150 bytes an address with its entry: 150 MB
    for a file of 1,000,000). This keeps each address's 64-bit hash and its line in blocks of
    ``_SEEN_BLOCK`` (12 bytes an address), in the order they were met, and a table of 4-byte
    positions in those blocks with open addressing (linear probing, at most two thirds full): 20 MB
    at 1,000,000 addresses, 24 MB while the table grows. The blocks are allocated whole and never
    reallocated: two arrays grown by appending were copied within the heap each time they grew and
    left ~8 MB of holes at 1,000,000 addresses (decision 0541). The table is rebuilt from the
    hashes when it grows. Two different addresses with the same 64-bit hash (a chance of about 1 in
    36,000,000 for a file of 1,000,000 distinct addresses) would be taken for one another: the
    second would be reported as a duplicate of the first, naming its line, and not linked.
    """

    def __init__(self, capacity: int = 1024):
        self._hash_blocks: list[array] = []
        self._line_blocks: list[array] = []
        self._size = 0
        self._table = array("I", bytes(4 * capacity))  # 1 + a position in the blocks; 0: free
        self._mask = capacity - 1

    def __len__(self) -> int:
        return self._size

    def first_line(self, email, line: int) -> int:
        """The line where ``email`` was first met; ``line`` (recorded) when it is new."""
        key = hash(email)
        table, mask = self._table, self._mask
        slot = key & mask
        while position := table[slot]:
            position -= 1
            block, offset = position >> _SEEN_BLOCK_BITS, position & (_SEEN_BLOCK - 1)
            if self._hash_blocks[block][offset] == key:
                return self._line_blocks[block][offset]
            slot = (slot + 1) & mask
        size = self._size
        offset = size & (_SEEN_BLOCK - 1)
        if not offset:
            self._hash_blocks.append(array("q", [0]) * _SEEN_BLOCK)
            self._line_blocks.append(array("i", [0]) * _SEEN_BLOCK)
        self._hash_blocks[-1][offset] = key
        self._line_blocks[-1][offset] = line
        self._size = size = size + 1
        table[slot] = size
        if size * 3 > mask * 2:
            self._grow()
        return line

    def _grow(self) -> None:
        capacity = 2 * (self._mask + 1)
        self._table = table = array("I", bytes(4 * capacity))
        self._mask = mask = capacity - 1
        hashes = islice(chain.from_iterable(self._hash_blocks), self._size)
        for position, key in enumerate(hashes, start=1):
            slot = key & mask
            while table[slot]:
                slot = (slot + 1) & mask
            table[slot] = position


MAX_EMAIL_LENGTH = PendingEnterpriseCustomerUser._meta.get_field("user_email").max_length


@lru_cache(maxsize=1024)
def _domain_ok(domain: str) -> bool:
    return domain in validate_email.domain_allowlist or validate_email.validate_domain_part(domain)


@lru_cache(maxsize=1)
def _user_part_match():
    """The compiled pattern's ``match`` (Django's is a lazy object: 2 proxy hops per call)."""
    return re.compile(validate_email.user_regex.pattern, validate_email.user_regex.flags).match


def email_error(email: str) -> str:
    """Why a normalised address is not valid, or ``""``.

    The same rules as Django's ``validate_email`` (which ``enterprise.emails.clean_email`` uses),
    with the verdict on each domain cached — a file of 100,000 rows has few domains — plus the
    254-character limit of the address columns.
    """
    if not email or "@" not in email:
        return "is not an e-mail address (no @)."
    if len(email) > MAX_EMAIL_LENGTH:
        return f"is longer than {MAX_EMAIL_LENGTH} characters."
    user_part, domain_part = email.rsplit("@", 1)
    if not _user_part_match()(user_part) or not _domain_ok(domain_part):
        return "is not a valid e-mail address."
    return ""


#: What a customer's administrator is told of an address of another customer's learner (decision 0050).
OTHER_CUSTOMER_MESSAGE = "Belongs to another customer."
#: ... and of an address several users share (their usernames are not this customer's to know).
SHARED_ADDRESS_MESSAGE = "Several users share this address: ask staff to link the right one."


def conceal_other_customers(rows: Iterable[RowResult]) -> None:
    """Take out of ``rows`` what they say of other customers and of users who are not this customer's.

    A conflict keeps its status with ``OTHER_CUSTOMER_MESSAGE``, no customer name and no user id; an
    ambiguous address loses the usernames that share it. For a customer's administrators (the API),
    who must not learn another customer's name, learners or user ids from an e-mail address; staff
    keep the detail.
    """
    for row in rows:
        if row.status == RowStatus.CONFLICT:
            row.message, row.user_id = OTHER_CUSTOMER_MESSAGE, None
        elif row.status == RowStatus.AMBIGUOUS:
            row.message, row.user_id = SHARED_ADDRESS_MESSAGE, None


class _CustomerNames:
    """Names of the other customers met in conflicts, fetched once each."""

    def __init__(self):
        self.names: dict[object, str] = {}

    def fill(self, ids: set) -> None:
        missing = ids - self.names.keys()
        if missing:
            self.names.update(EnterpriseCustomer.objects.filter(pk__in=missing).values_list("pk", "name"))

    def __getitem__(self, customer_id) -> str:
        return self.names.get(customer_id, str(customer_id))


def link_rows(
    *,
    customer: EnterpriseCustomer,
    rows: Iterable[RowResult],
    chunk_size: int,
    on_chunk: Callable[[list[RowResult], ChunkLinks], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
    total: int = 0,
    write: bool = True,
    members: bool = True,
    ahead: int = 0,
    behind: bool = False,
) -> None:
    """Resolve and apply the unresolved rows of ``iter_classified`` chunk by chunk (caller's transaction).

    ``rows`` is consumed lazily, ``chunk_size`` rows at a time (resolved or not): every resolved
    row gets a status and message, then ``on_chunk(chunk, links)`` receives the chunk's rows and
    its members (linked and pending learners with their ids) for enrollment, notification and the
    submission's record of the rows, and the chunk is dropped: memory does not grow with the file.
    ``progress(rows_done, total)`` is called after each chunk. ``write=False``, ``members=False``: see
    ``link_stream``. ``ahead``: read (and classify) up to that many chunks ahead in a thread of their
    own (``read_ahead``) while this one waits for the database; ``rows`` must then not use the
    database (a file, a spooled report, a list). ``behind``: ``on_chunk`` is called in a thread of its
    own (``bulk_overlap.recorded_behind``), in order, while this one links the next chunk; it must
    then not use the database (recording rows, not enrolling them). With either, the helper threads
    run only while this one waits (``bulk_overlap.Gate``) and the switch interval is shortened for
    the stream (decision 0570).
    """
    done = 0
    gate = Gate() if ahead or behind else None
    lookup = ChunkLookup.for_stream()
    apart = LookupApart.for_stream(lookup, write=write) if ahead else None

    def chunks() -> Iterator[list[RowResult]]:
        chunk: list[RowResult] = []
        if ahead:  # read in the helper thread: one row at a time while the linking thread waits
            step = gate.pass_
            for row in rows:
                step()
                chunk.append(row)
                if len(chunk) >= chunk_size:
                    yield chunk
                    chunk = []
        else:
            for row in rows:
                chunk.append(row)
                if len(chunk) >= chunk_size:
                    yield chunk
                    chunk = []
        if chunk:
            yield chunk

    chunked = chunks()
    if ahead:
        if apart is not None:  # looked up in the reading thread, on a connection of its own (decision 0585)
            chunked = _looked_up_apart(chunked, apart, gate)
        chunked = read_ahead(chunked, depth=ahead, gate=gate)
    streamed = chunked if apart is None else _decided_at_first(chunked, apart, lookup.connection, chunk_size)

    def after(chunk: list[RowResult], links: ChunkLinks) -> None:
        nonlocal done
        if record is not None:
            record(chunk, links)
        done += len(chunk)
        if progress:
            progress(done, max(total, done))

    try:
        with contextlib.ExitStack() as stack:
            record = on_chunk
            if gate is not None:
                stack.enter_context(short_switch_interval())
                stack.enter_context(gate.around_queries(connections[router.db_for_write(EnterpriseCustomerUser)]))
                if behind and on_chunk is not None:
                    record = stack.enter_context(recorded_behind(on_chunk, gate=gate))
            link_stream(customer=customer, chunks=streamed, on_chunk=after, write=write, members=members, lookup=lookup)
    finally:
        if gate is not None:
            gate.open_for_good()  # a helper waiting at the gate goes on, sees the end and stops
        if apart is not None:
            apart.release()  # a reading thread waiting for the decision goes on
        chunked.close()  # the reading thread stops if the linking stopped first
        if apart is not None:
            apart.close()  # after the reading thread has ended: the look-up connection is its


def _looked_up_apart(chunks: Iterator[list[RowResult]], apart: LookupApart, gate: Gate) -> Iterator[list[RowResult]]:
    """``chunks`` looked up on ``apart``'s connection from the second on (the first: by the linking thread)."""
    for index, chunk in enumerate(chunks):
        yield apart.looked_up(chunk, gate) if index else chunk


def _decided_at_first(
    chunks: Iterator[list[RowResult]], apart: LookupApart, connection, chunk_size: int
) -> Iterator[list[RowResult]]:
    """``chunks``, with ``apart.decide`` called in this (the linking) thread when the first arrives."""
    for index, chunk in enumerate(chunks):
        if not index:
            apart.decide(connection, large=len(chunk) >= chunk_size)
        yield chunk


def read_ahead(
    chunks: Iterator[list[RowResult]], *, depth: int, gate: Gate | None = None
) -> Generator[list[RowResult], None, None]:
    """``chunks`` produced in a thread of their own, at most ``depth`` chunks ahead of the consumer.

    Reading, validating and de-duplicating a file is Python work; the linking of the chunk before
    mostly waits for PostgreSQL (the waiting releases the GIL), so on two cores the two overlap
    instead of adding up (decision 0500). The chunks come in the same order; an exception raised while
    reading (``UploadRefused``) is raised here, in the consumer. Closing the generator (the consumer
    stopped) stops the thread at its next chunk. Memory: the consumer's chunk and ``depth`` more (read
    or being read): the thread starts reading a chunk only when there is room for it (decision 0570).
    ``gate`` (``link_rows``): opened while the consumer waits for a chunk, and for good when it stops.
    """
    done = object()
    handoff: queue.Queue = queue.Queue(maxsize=depth)
    room = threading.Semaphore(depth)  # taken before a chunk is read, given back when it is consumed
    stop = threading.Event()

    def produce() -> None:
        iterator = iter(chunks)
        try:
            while True:
                room.acquire()
                if stop.is_set():
                    return
                chunk = next(iterator, done)
                handoff.put(chunk)
                if chunk is done:
                    return
        except BaseException as exc:  # handed to the consumer, which raises it
            handoff.put(exc)
        finally:
            if hasattr(iterator, "close"):  # a generator left early ends here, in the thread that ran it
                iterator.close()

    thread = threading.Thread(target=produce, name="bulk-link-read-ahead", daemon=True)
    thread.start()
    waiting = gate.waiting if gate is not None else contextlib.nullcontext
    try:
        while True:
            with waiting():
                item = handoff.get()
            if item is done:
                break
            if isinstance(item, BaseException):
                raise item
            room.release()
            yield item
    finally:
        stop.set()
        room.release()  # a producer waiting for room wakes and sees the stop
        if gate is not None:
            gate.open_for_good()
        while thread.is_alive():  # unblock a producer waiting for room, until it sees the stop
            with contextlib.suppress(queue.Empty):
                handoff.get(timeout=0.05)
        thread.join()


def link_stream(
    *,
    customer: EnterpriseCustomer,
    chunks: Iterable[list[RowResult]],
    on_chunk: Callable[[list[RowResult], ChunkLinks], None] | None = None,
    write: bool = True,
    members: bool = True,
    lookup: ChunkLookup | None = None,
) -> None:
    """Resolve and apply chunks of unresolved rows one after the other (caller's transaction).

    Only one chunk is held at a time: each is looked up (its users, their links, the pending
    learners of its other addresses) and written with a fixed number of queries, then handed to
    ``on_chunk(chunk, links)`` and dropped, so memory does not grow with the number of rows.
    The addresses of a chunk must be distinct; across chunks, a repeated address is found
    already linked or pending (by this very stream).

    ``write=False`` plans without writing (a preview that enrolls nobody, decision 0440): each row
    gets the status the writes would give it, ``on_chunk`` receives no members (the new learners
    have no ids), and the one effect a chunk's writes have on the next chunks' look-ups, a user
    reached through a second address (``UPPER(email)`` matches both) found already linked, is kept
    by remembering the users planned for linking (``SeenAddresses``: 16-20 bytes a user).

    ``members=False`` (a submission that enrolls and notifies nobody): the new learners' ids are
    not asked for (no ``RETURNING``) and ``on_chunk`` receives no members, only the rows' statuses.

    Python's cyclic garbage collector is paused for the stream and its young generations collected
    once a chunk (``collector.collected_per_chunk``, decision 0540).

    ``lookup``: the stream's ``ChunkLookup`` (by default its own). A chunk that arrives looked up
    already (``lookup_apart.LookedUp``: on a second connection, decision 0585) is planned from that.
    """
    names = _CustomerNames()
    planned = None if write else SeenAddresses()
    with lookup or ChunkLookup.for_stream() as lookup, collected_per_chunk() as collect:
        for chunk in chunks:
            collect()
            if isinstance(chunk, LookedUp):
                todo, found = chunk.todo, chunk.found
            else:
                todo, found = [row for row in chunk if row.status is None], None
            links = (
                _link_chunk(
                    customer=customer,
                    chunk=todo,
                    lookup=lookup,
                    names=names,
                    planned=planned,
                    members=members,
                    found=found,
                )
                if todo
                else ChunkLinks()
            )
            if on_chunk is not None:
                on_chunk(chunk, links)
            del todo, found, links  # the chunk's rows are dead when the next is read and collected


#: Chunks from this many addresses switch JIT off (their estimate nears ``jit_above_cost``: 100,000).
JIT_FROM_ROWS = 1000


@dataclass
class Found:
    """What the database holds for the addresses of one chunk (``ChunkLookup.find``)."""

    users: dict[str, int | tuple[int, ...]] = field(default_factory=dict)  # e-mail -> user id, or ids if shared
    usernames: dict[int, str] = field(default_factory=dict)  # of the users sharing an address
    links: dict[int, list[tuple[int, object, bool]]] = field(default_factory=dict)  # user id -> (pk, customer, linked)
    pending: dict[str, tuple[int, object]] = field(default_factory=dict)  # e-mail -> (pk, customer)


class ChunkLookup:
    """Finds, for the distinct addresses of a chunk, their users, the users' links and the pending rows.

    PostgreSQL, when the user table is in the same database: **one query per chunk**. The chunk's
    addresses travel as one parameter and are unnested; each is probed through the indexes
    (``UPPER(email)`` of the host's user table, the links' ``user_id``, the pending rows' unique
    ``LOWER(user_email)``) in a nested loop: ``LATERAL (… OFFSET 0)`` keeps the planner from turning
    the probes into a hash join over a whole table, which it prefers for a few thousand values and
    which makes the cost per chunk grow with the tables (quadratic over a large file). Without an
    ``UPPER(email)`` index on the user table (checked once per stream: ``enterprise.W001``) the users
    of the chunk are found by one hashed ``= ANY`` scan instead, still inside the same query.

    The planner's estimate of that query grows with the chunk (5,000 index probes cost ~125,000),
    above ``jit_above_cost``: PostgreSQL would then spend 0.25-0.35 s compiling it, 10 times what it
    takes to run. JIT is therefore switched off (``SET LOCAL``) for the rest of the stream at its first
    chunk of ``JIT_FROM_ROWS`` addresses or more, and put back after (small submissions, such as an
    API call with a few addresses, stay under the threshold and skip both statements).

    Elsewhere (SQLite, other databases, a user table in another database): three queries per chunk,
    the users (``user_lookup.users_by_email``), their links and the pending rows, each set-based.
    A context manager: use ``with ChunkLookup.for_stream() as lookup``.
    """

    def __init__(self, *, joined: bool, indexed: bool = False, connection=None):
        self.joined = joined
        self.indexed = indexed
        self.connection = connection
        self.jit: str | None = None  # the setting to put back
        self.jit_checked = False

    @classmethod
    def for_stream(cls) -> ChunkLookup:
        user_model = get_user_model()
        alias = router.db_for_read(user_model)
        connection = connections[alias]
        if connection.vendor != "postgresql" or alias != router.db_for_write(EnterpriseCustomerUser):
            return cls(joined=False)
        from enterprise.checks import has_email_index

        email = user_model._meta.get_field(user_model.get_email_field_name()).column
        indexed = has_email_index(connection, user_model._meta.db_table, email)
        return cls(joined=True, indexed=indexed, connection=connection)

    def __enter__(self) -> ChunkLookup:
        return self

    def _jit_off(self) -> None:
        """Switch JIT off until the end of the stream (once, on the first large chunk)."""
        self.jit_checked = True
        if self.connection.in_atomic_block:
            with self.connection.cursor() as cursor:
                cursor.execute("SELECT current_setting('jit'), set_config('jit', 'off', true)")
                self.jit = cursor.fetchone()[0]

    def __exit__(self, exc_type, exc, traceback) -> None:
        if self.jit not in (None, "off") and exc_type is None:
            with self.connection.cursor() as cursor:
                cursor.execute("SELECT set_config('jit', %s, true)", [self.jit])

    def find(self, emails: list[str]) -> Found:
        if not self.joined:
            return self._find_apart(emails)
        if not self.jit_checked and len(emails) >= JIT_FROM_ROWS:
            self._jit_off()
        return self._find_joined(emails)

    def _find_apart(self, emails: list[str]) -> Found:
        found = Found(users=users_by_email(emails, chunk_size=len(emails)))
        shared = {user_id for ids in found.users.values() if isinstance(ids, tuple) for user_id in ids}
        found.usernames = usernames(shared) if shared else {}
        user_ids = [ids for ids in found.users.values() if not isinstance(ids, tuple)]
        if user_ids:
            for pk, user_id, customer_id, linked in EnterpriseCustomerUser.objects.filter(
                AnyOf(F("user_id"), user_ids)
            ).values_list("pk", "user_id", "customer_id", "linked"):
                found.links.setdefault(user_id, []).append((pk, customer_id, linked))
        without_user = [email for email in emails if email not in found.users]
        if without_user:
            found.pending = {
                email: (pk, customer_id)
                for pk, email, customer_id in PendingEnterpriseCustomerUser.objects.annotate(
                    email_ci=Lower("user_email")
                )
                .filter(AnyOf(Lower("user_email"), without_user))
                .values_list("pk", "email_ci", "customer_id")
            }
        return found

    def _find_joined(self, emails: list[str]) -> Found:
        user_model = get_user_model()
        connection = self.connection
        quote = connection.ops.quote_name
        meta = user_model._meta
        users = quote(meta.db_table)
        user_pk = quote(meta.pk.column)
        user_email = quote(meta.get_field(user_model.get_email_field_name()).column)
        username = quote(meta.get_field(user_model.USERNAME_FIELD).column)
        ecu, pending = EnterpriseCustomerUser._meta, PendingEnterpriseCustomerUser._meta
        lines = text_lines(emails)
        if self.indexed:
            user_join = (
                f"LEFT JOIN LATERAL (SELECT {user_pk} AS id, {username} AS username FROM {users} "  # noqa: S608
                f"WHERE UPPER({user_email}) = UPPER(e.email) OFFSET 0) u ON true"
            )
            params = [lines]
        else:
            user_join = (
                f"LEFT JOIN (SELECT {user_pk} AS id, {username} AS username, UPPER({user_email}) AS key "  # noqa: S608
                f"FROM {users} WHERE UPPER({user_email}) = ANY(string_to_array(UPPER(%s), chr(10)))) u "
                "ON u.key = UPPER(e.email)"
            )
            params = [lines, lines]
        # Only quoted identifiers are interpolated; the addresses are bound parameters.
        sql = (
            "SELECT e.email, u.id, u.username, l.id, l.customer_id, l.linked, p.id, p.customer_id "  # noqa: S608
            "FROM unnest(string_to_array(%s, chr(10))) AS e(email) "
            f"{user_join} "
            f"LEFT JOIN LATERAL (SELECT {quote(ecu.pk.column)} AS id, {quote(ecu.get_field('customer').column)} "
            f"AS customer_id, {quote(ecu.get_field('linked').column)} AS linked FROM {quote(ecu.db_table)} "
            f"WHERE {quote(ecu.get_field('user').column)} = u.id OFFSET 0) l ON true "
            f"LEFT JOIN LATERAL (SELECT {quote(pending.pk.column)} AS id, "
            f"{quote(pending.get_field('customer').column)} AS customer_id FROM {quote(pending.db_table)} "
            f"WHERE LOWER({quote(pending.get_field('user_email').column)}) = e.email AND u.id IS NULL "
            "OFFSET 0) p ON true "
            "WHERE u.id IS NOT NULL OR p.id IS NOT NULL"  # an address with neither: nothing to read back
        )
        found = Found()
        names: dict[int, str] = {}
        shared: set[str] = set()  # the addresses several users share
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()  # one chunk's rows: faster than iterating the cursor row by row
            for email, user_id, name, link_pk, link_customer, linked, pending_pk, pending_customer in rows:
                if user_id is not None:
                    previous = found.users.get(email)
                    if previous is None:
                        found.users[email] = user_id
                        names[user_id] = name
                    elif previous != user_id and not (isinstance(previous, tuple) and user_id in previous):
                        ids = previous if isinstance(previous, tuple) else (previous,)
                        found.users[email] = tuple(sorted({*ids, user_id}))
                        names[user_id] = name
                        shared.add(email)
                    if link_pk is not None:
                        found.links.setdefault(user_id, []).append((link_pk, link_customer, linked))
                elif pending_pk is not None:
                    found.pending[email] = (pending_pk, pending_customer)
        found.usernames = {user_id: names[user_id] for email in shared for user_id in found.users[email]}
        return found


@dataclass
class _Plan:
    links: ChunkLinks = field(default_factory=ChunkLinks)
    create: list[RowResult] = field(default_factory=list)
    relink: list[tuple[RowResult, int]] = field(default_factory=list)
    pend: list[RowResult] = field(default_factory=list)
    conflicts: list[tuple[RowResult, object, str]] = field(default_factory=list)
    found: Found = field(default_factory=Found)


def _link_chunk(
    *,
    customer,
    chunk: list[RowResult],
    lookup: ChunkLookup,
    names: _CustomerNames,
    planned: SeenAddresses | None,
    members: bool = True,
    found: Found | None = None,
) -> ChunkLinks:
    """Look the chunk up (unless ``found`` came with it), plan it and write it (or settle it, ``planned``)."""
    plan = _plan_chunk(customer, chunk, found if found is not None else lookup.find([row.email for row in chunk]))
    if found is not None and plan.relink and planned is None:
        # Looked up apart (decision 0585), where this stream's own writes are not seen: a learner to link
        # again may have been linked again by an earlier chunk (a user with two addresses). Here they are.
        for row in chunk:
            row.status, row.message, row.user_id = None, "", None
        plan = _plan_chunk(customer, chunk, lookup.find([row.email for row in chunk]))
    names.fill({customer_id for _row, customer_id, _what in plan.conflicts})
    for row, customer_id, what in plan.conflicts:
        row.status = RowStatus.CONFLICT
        row.message = f"{what} enterprise customer {names[customer_id]!r}."
    if planned is not None:
        _settle_without_writing(plan, planned, first_line=chunk[0].line)
        return ChunkLinks()
    if not (plan.create or plan.relink or plan.pend):
        return plan.links  # nothing to write (everyone already linked or pending): no savepoint
    try:
        with transaction.atomic():
            _write(customer, plan, members=members)
    except IntegrityError:
        logger.info("Bulk link of customer %s lost a race; redoing %d rows one by one", customer.pk, len(chunk))
        _write_row_by_row(customer, plan, names)
    return plan.links if members else ChunkLinks()


def _plan_chunk(customer, chunk: list[RowResult], found: Found) -> _Plan:
    """What to do with each row of ``chunk``, given what the database holds for its addresses."""
    plan = _Plan(found=found)
    with_user: list[RowResult] = []
    without_user: list[RowResult] = [] if found.users else chunk  # no user at all: one list, no loop
    users = found.users.get
    for row in chunk if found.users else ():
        match = users(row.email)
        if match is None:
            without_user.append(row)
        elif isinstance(match, tuple):
            row.status = RowStatus.AMBIGUOUS
            row.message = (
                f"{len(match)} users share this address "
                f"({', '.join(found.usernames.get(uid, str(uid)) for uid in match)}); "
                "link the right one by username."
            )
        else:
            row.user_id = match
            with_user.append(row)
    _plan_users(customer, with_user, plan)
    _plan_emails(customer, without_user, plan)
    return plan


def _plan_users(customer, rows: list[RowResult], plan: _Plan) -> None:
    existing = plan.found.links
    if not existing:  # none of these users is linked anywhere (most new learners): all created
        plan.create.extend(rows)
        return
    for row in rows:
        mine = elsewhere = None
        for pk, customer_id, linked in existing.get(row.user_id, ()):
            if customer_id == customer.pk:
                mine = (pk, linked)
            elif linked:
                elsewhere = customer_id
        if mine is not None and mine[1]:
            row.status = RowStatus.ALREADY_LINKED
            plan.links.linked.append(LinkedRef(row, mine[0], row.user_id))
        elif elsewhere is not None:
            plan.conflicts.append((row, elsewhere, "Already linked to"))
        elif mine is not None:
            plan.relink.append((row, mine[0]))
        else:
            plan.create.append(row)


def _plan_emails(customer, rows: list[RowResult], plan: _Plan) -> None:
    existing = plan.found.pending
    if not existing:  # none of these addresses is pending anywhere: all pend
        plan.pend.extend(rows)
        return
    for row in rows:
        hit = existing.get(row.email)
        if hit is None:
            plan.pend.append(row)
        elif hit[1] == customer.pk:
            row.status = RowStatus.ALREADY_PENDING
            plan.links.pending.append(PendingRef(row, hit[0]))
        else:
            plan.conflicts.append((row, hit[1], "Already pending for"))


def _settle_without_writing(plan: _Plan, planned: SeenAddresses, *, first_line: int) -> None:
    """The statuses ``_write`` would give the planned rows, without writing (``link_stream(write=False)``).

    ``planned`` holds the users planned for linking by earlier rows (their first line). As with the
    writes: a user linked by an earlier chunk is found already linked; two rows of one chunk that
    create the same user's link violate the unique constraint, and the chunk is redone one row at a
    time (``_write_row_by_row``: the first linked, the next already linked, for the re-links too);
    otherwise two rows that re-link the same unlinked learner are both re-linked by the one ``UPDATE``.
    """
    row_by_row = False
    for row in plan.create:
        seen = planned.first_line(row.user_id, row.line)
        if seen == row.line:
            row.status = RowStatus.LINKED
        else:
            row.status, row_by_row = RowStatus.ALREADY_LINKED, True
    for row, _pk in plan.relink:
        seen = planned.first_line(row.user_id, row.line)
        if seen < first_line or (row_by_row and seen != row.line):
            row.status = RowStatus.ALREADY_LINKED
        else:
            row.status, row.message = RowStatus.LINKED, "Linked again (was unlinked)."
    for row in plan.pend:
        row.status = RowStatus.PENDING


def _write(customer, plan: _Plan, *, members: bool = True) -> None:
    """Apply the plan with bulk statements; any unique violation aborts the whole chunk.

    ``members=False``: the new rows' ids are not returned and no reference to them is made."""
    if plan.create:
        attributes = {row.user_id: row.attributes for row in plan.create if row.attributes is not None}
        learner_ids = insert_varying(
            EnterpriseCustomerUser,
            field="user",
            values=[row.user_id for row in plan.create],
            constants={"customer_id": customer.pk},
            by_value={"attributes": attributes} if attributes else None,
            returning=members,
        )
        for row in plan.create:
            row.status = RowStatus.LINKED
        if members:
            for row in plan.create:
                written = row.attributes is not None
                plan.links.linked.append(LinkedRef(row, learner_ids[row.user_id], row.user_id, written))
    if plan.relink:
        now = timezone.now()
        EnterpriseCustomerUser.objects.filter(pk__in=[pk for _row, pk in plan.relink]).update(
            linked=True, unlinked_at=None, modified=now
        )
        for row, pk in plan.relink:
            row.status = RowStatus.LINKED
            row.message = "Linked again (was unlinked)."
            plan.links.linked.append(LinkedRef(row, pk, row.user_id))
    if plan.pend:
        pending_ids = insert_varying(
            PendingEnterpriseCustomerUser,
            field="user_email",
            values=[row.email for row in plan.pend],
            constants={"customer_id": customer.pk},
            returning=members,
        )
        for row in plan.pend:
            row.status = RowStatus.PENDING
        if members:
            for row in plan.pend:
                plan.links.pending.append(PendingRef(row, pending_ids[row.email]))


def _write_row_by_row(customer, plan: _Plan, names: _CustomerNames) -> None:
    """The slow path after a lost race: the single-row services decide each row again."""
    # The bulk attempt may have filled statuses and references before it was rolled back.
    kept_linked = [ref for ref in plan.links.linked if ref.row.status == RowStatus.ALREADY_LINKED]
    kept_pending = [ref for ref in plan.links.pending if ref.row.status == RowStatus.ALREADY_PENDING]
    plan.links = ChunkLinks(linked=kept_linked, pending=kept_pending)
    rows = plan.create + [row for row, _pk in plan.relink]
    users = get_user_model()._default_manager.in_bulk([row.user_id for row in rows])
    for row in rows:
        row.message = ""
        try:
            result = link_user(customer=customer, user=users[row.user_id])
        except LinkConflict as exc:
            row.status = RowStatus.CONFLICT
            row.message = exc.message
            continue
        row.status = RowStatus.ALREADY_LINKED if result.status == LinkStatus.ALREADY_LINKED else RowStatus.LINKED
        if result.status == LinkStatus.RELINKED:
            row.message = "Linked again (was unlinked)."
        plan.links.linked.append(LinkedRef(row, result.learner.pk, row.user_id))
    for row in plan.pend:
        outcome = add_pending_learner(customer=customer, email=row.email)
        if outcome.status == PendingStatus.CONFLICT:
            names.fill({outcome.customer_id})
            row.status = RowStatus.CONFLICT
            row.message = f"Already pending for enterprise customer {names[outcome.customer_id]!r}."
            continue
        row.status = RowStatus.PENDING if outcome.status == PendingStatus.CREATED else RowStatus.ALREADY_PENDING
        plan.links.pending.append(PendingRef(row, outcome.pending_id))
