"""The user-import pipeline every connector shares (DESIGN §8): source → mapping → filters → bulk link.

``run_user_import(configuration, source, run, …)`` reads the source twice over, in bounded memory:

1. **Read** (the remote is read once): each row is mapped (learner field ← column), its e-mail
   normalised and checked, its other e-mail fields (manager) checked, the column conditions
   applied; the (person, manager) pairs go to the manager ``Hierarchy``; the kept rows — e-mail and
   mapped attributes only — are spooled to a temporary file (``marshal`` records), and each
   person's 64-bit key is appended to an array, sorted afterwards to find the people who appear
   twice (an error for every row of theirs, as the seed's FTP connector requires).
2. **Link**: the spool is read back in chunks of ``MANAGE_LEARNERS_CHUNK_SIZE``; people not under
   the managers are skipped; each chunk goes through the set-based bulk link
   (``bulk_link.link_stream``: existing users become linked learners, unknown e-mails pending
   ones), then its attributes are merged (one statement for the linked, one for the pending), its
   people marked for the leavers' check, its errors written, the run's live counts updated.
3. **After**: imported custom fields mapped to "do not import" are cleared; when the connection
   asks, the people it imported before and not found now are unlinked (``leavers``).

Everything happens in one transaction: a source that turns out unreadable half-way (a file
missing a mapped column, a page that is not JSON) fails the run and leaves nothing imported. The
queries are a fixed handful per chunk, never per row; the memory is one page, one chunk, and
8 to 16 bytes a person for the keys and the hierarchy's pairs (decision 0191), whatever the
number of rows.

``ImportRun`` is the run handling every import shares (the user imports and the xAPI statement
import, decision 0412): the run started (or the queued one taken), its live counts, its refused
rows written in batches (``RowErrors``), a refusal failing it with nothing imported, the
processed files removed only after the commit, and its end with counts and skip reasons.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import marshal
import tempfile
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from django.db import transaction

from enterprise.app_settings import enterprise_settings
from enterprise.emails import normalize_email
from enterprise.learner_fields import Field, fields_of
from enterprise.services import learner_ids
from enterprise.services.bulk_link import MEMBER_STATUSES, ChunkLinks, RowResult, RowStatus, email_error, link_stream
from integrated_channels.integrated_channel.imports import leavers
from integrated_channels.integrated_channel.imports import mapping as mappings
from integrated_channels.integrated_channel.imports.attributes import clear_keys, write_attributes
from integrated_channels.integrated_channel.imports.errors import ImportRefused
from integrated_channels.integrated_channel.imports.filters import Condition, Hierarchy, all_hold, key_of
from integrated_channels.integrated_channel.imports.sources import Source
from integrated_channels.integrated_channel.models import Run, RunError
from integrated_channels.integrated_channel.services import runs

logger = logging.getLogger(__name__)

ERROR_BATCH = 1000  # error rows written per statement
KEPT_MESSAGES = 100  # error messages kept in memory for the caller (all are in the run's error rows)


@dataclass
class ImportCounts:
    """What a run of the pipeline did."""

    rows: int = 0  # rows read from the source
    imported: int = 0  # linked or pending now
    failed: int = 0  # rows refused (each has an error row naming where it comes from)
    filtered_out: int = 0  # rows the column conditions left out
    not_under_managers: int = 0  # rows of people outside the managers' hierarchy
    unlinked: int = 0  # leavers unlinked
    pending_removed: int = 0  # leavers who were pending learners
    cleared: list[str] = field(default_factory=list)  # imported custom fields cleared
    messages: list[str] = field(default_factory=list)  # the first error messages

    @property
    def skipped(self) -> int:
        return self.filtered_out + self.not_under_managers

    def skip_reasons(self) -> dict[str, int]:
        reasons = {"filtered_out": self.filtered_out, "not_under_the_managers": self.not_under_managers}
        return {reason: count for reason, count in reasons.items() if count}


class RowErrors:
    """A run's refused rows, written in batches (bounded memory), the first messages kept in ``counts``."""

    def __init__(self, run: Run, counts: ImportCounts):
        self.run = run
        self.counts = counts
        self.buffer: list[RunError] = []

    def add(self, email: str, message: str, *, course_id: str = "", code: str = "") -> None:
        self.counts.failed += 1
        if len(self.counts.messages) < KEPT_MESSAGES:
            self.counts.messages.append(message)
        self.buffer.append(
            RunError(
                run=self.run,
                outcome=RunError.Outcome.FAILED,
                code=code,
                email=email[:254],
                course_id=course_id[:255],
                message=message,
            )
        )
        if len(self.buffer) >= ERROR_BATCH:
            self.flush()

    def flush(self) -> None:
        if self.buffer:
            RunError.objects.bulk_create(self.buffer)
            self.buffer = []


class ImportRun:
    """The run of one import: started (or the queued ``run`` taken), live counts, refusals, the end.

    ``with handling.attempt(refused=(…)):`` runs the import's body: an exception of ``refused``
    (nothing could be imported: a file missing a column, a drop that does not answer) fails the
    run — one run error, the live counts reset — and is kept in ``refused`` for the caller, who
    returns; any other exception fails it as ``internal_error`` and propagates. ``errors`` writes
    refused rows to the run's error report. ``remove_files`` deletes the processed files from
    the drop (after the commit); ``finish`` records the end: completed, or completed with errors
    when a row was refused or ``error_code`` is set. Leavers are for the user imports to count.
    """

    def __init__(self, configuration, kind: str, *, trigger: str, api_user=None, run: Run | None = None, progress=None):
        self.configuration = configuration
        if run is None:
            run = runs.start_run(configuration=configuration, kind=kind, trigger=trigger, api_user=api_user)
        self.run = run
        self.live = runs.LiveCounts(run, progress=progress)
        self.counts = ImportCounts()
        self.errors = RowErrors(run, self.counts)
        self.refused: Exception | None = None

    @contextlib.contextmanager
    def attempt(self, *, refused: tuple[type[Exception], ...], what: str = "import"):
        try:
            yield self
        except refused as exc:
            self.refused = exc
            self.fail(code=getattr(exc, "code", "refused"), message=str(exc))
        except Exception as exc:
            logger.exception("%s of configuration %s failed", what, self.configuration.pk)
            self.fail(code="internal_error", message=f"{type(exc).__name__}: {exc}")
            raise
        else:
            self.live.close()

    def fail(self, *, code: str, message: str) -> None:
        """Nothing was imported (the transaction rolled back): one run error, the live counts reset."""
        self.live.close()
        self.errors.buffer = []
        RunError.objects.create(run=self.run, outcome=RunError.Outcome.RUN, code=code, message=message)
        runs.finish_run(
            self.run,
            status=Run.Status.FAILED,
            error_code=code,
            error_message=message,
            selected=0,
            sent=0,
            skipped=0,
            failed=0,
        )

    def remove_files(self, paths: Sequence[str], *, failure: str) -> tuple[bool, str, str]:
        """Delete the processed files (the import committed): (deleted, error code, error message)."""
        from integrated_channels.integrated_channel.transports import drop

        return drop.remove_processed(self.configuration, list(paths), failure=failure)

    def finish(
        self,
        *,
        selected: int,
        sent: int,
        failed: int,
        skip_reasons: dict[str, int],
        error_code: str = "",
        error_message: str = "",
    ) -> None:
        self.errors.flush()
        status = Run.Status.COMPLETED if not failed and not error_code else Run.Status.COMPLETED_WITH_ERRORS
        runs.finish_run(
            self.run,
            status=status,
            error_code=error_code,
            error_message=error_message,
            selected=selected,
            sent=sent,
            failed=failed,
            skipped=sum(skip_reasons.values()),
            skip_reasons={reason: count for reason, count in skip_reasons.items() if count},
        )


def required_columns(mapping: dict, fields: Sequence[Field], conditions: Sequence[Condition] = ()) -> dict[str, str]:
    """``{column: why}`` of the mapped columns and those the conditions read, to refuse a source lacking one."""
    known = {f.key for f in fields}
    required = {column: f"used by the filter {condition}" for condition in conditions for column in [condition.column]}
    required.update(
        {column: f"mapped to {key!r}" for key, column in mappings.imported(mapping).items() if key in known}
    )
    return required


def run_user_import(
    configuration,
    source: Source,
    run: Run,
    *,
    mapping: dict,
    conditions: Iterable[Condition] = (),
    managers: Iterable[str] = (),
    unlink_leavers: bool = False,
    live=None,
    chunk_size: int | None = None,
) -> ImportCounts:
    """Import the people of ``source`` into ``configuration.customer``; the caller starts and finishes ``run``.

    ``mapping``: ``{field key: column or None}``; ``conditions``: all must hold; ``managers``:
    e-mails whose hierarchy is imported (empty: everyone); ``unlink_leavers``: unlink the people this
    connection imported before who are not in the source any more; ``live``: a ``runs.LiveCounts``.
    Raises ``ImportRefused`` (nothing imported) when the mapping is incomplete or the source
    unreadable.
    """
    customer = configuration.customer
    fields = fields_of(customer)
    missing = mappings.missing(mapping, fields)
    if missing:
        raise ImportRefused(f"Mandatory attributes not mapped: {', '.join(missing)}.", code="mapping_incomplete")
    conditions = list(conditions)
    managers = {normalize_email(manager) for manager in managers if manager.strip()}
    if managers and not mappings.imported(mapping).get("manager"):
        raise ImportRefused("Map the manager attribute to filter by manager.", code="mapping_incomplete")
    source.required = required_columns(mapping, fields, conditions)
    chunk_size = chunk_size or enterprise_settings.MANAGE_LEARNERS_CHUNK_SIZE
    counts = ImportCounts()
    with transaction.atomic(), tempfile.TemporaryFile(prefix="import-") as spool:
        errors = RowErrors(run, counts)
        hierarchy, duplicates = _read(
            source, mapping, fields, conditions, spool, errors, counts, keep_hierarchy=bool(managers)
        )
        kept = hierarchy.under(managers) if managers else None
        spool.seek(0)
        if live is not None:
            # The bar counts the rows to link: those refused or filtered out while reading are done.
            live.start(total=counts.rows - counts.failed - counts.filtered_out, description=f"{customer} import")
        _link(configuration, run, _records(spool), kept, duplicates, errors, counts, live, chunk_size, unlink_leavers)
        errors.flush()
        counts.cleared = mappings.cleared(mapping, fields)
        clear_keys(customer, counts.cleared)
        if unlink_leavers:
            counts.unlinked, counts.pending_removed = leavers.unlink_leavers(
                configuration, run.pk, chunk_size=chunk_size
            )
    return counts


def _read(source, mapping, fields, conditions, spool, errors: RowErrors, counts: ImportCounts, *, keep_hierarchy: bool):
    """First pass: map, check, filter, spool; the hierarchy and the duplicated e-mails."""
    columns = mappings.imported(mapping)
    email_column = columns["email"]
    other_emails = {key: column for key, column in mappings.email_columns(mapping, fields).items() if key != "email"}
    attributes = [(key, column) for key, column in columns.items() if key != "email"]
    manager_column = columns.get("manager")
    hierarchy = Hierarchy()
    keys = array("q")  # every spooled person's key, to find the repeated ones (8 bytes a row)
    dump = marshal.dump
    for row in source.rows():
        counts.rows += 1
        value = row.get(email_column) or ""
        email = normalize_email(value)
        error = email_error(email)
        if error:
            errors.add(value, f"{row.where}, column {email_column!r}: {value!r} {error}")
            continue
        problem = next(
            (
                p
                for key, column in other_emails.items()
                if (p := mappings.email_value_error(key, column, row.get(column) or ""))
            ),
            "",
        )
        if problem:
            errors.add(email, f"{row.where}, {problem}")
            continue
        if keep_hierarchy and manager_column:
            hierarchy.add(email, normalize_email(row.get(manager_column) or ""))
        if conditions and not all_hold(conditions, row):
            counts.filtered_out += 1
            continue
        keys.append(key_of(email))
        dump((row.where, email, {key: row.get(column) or "" for key, column in attributes}), spool)
    return hierarchy, _repeated(keys)


def _repeated(keys: array) -> set[int]:
    """The keys present more than once (sorted once: no set of every key is held)."""
    ordered = sorted(keys)
    del keys[:]
    return {key for previous, key in itertools.pairwise(ordered) if key == previous}


def _records(spool) -> Iterator[tuple[str, str, dict]]:
    load = marshal.load
    while True:
        try:
            yield load(spool)
        except EOFError:
            return


def _link(configuration, run, records, kept, duplicates, errors: RowErrors, counts, live, chunk_size, unlink_leavers):
    """Second pass: chunks of the spool through the bulk link, attributes, marks, errors, live counts."""
    customer = configuration.customer
    held: dict[str, list[tuple[str, dict]]] = {}  # the rows of possibly repeated people, by e-mail
    current: dict[str, list[dict]] = {"attributes": []}  # the attributes of the chunk being linked, by row.line
    linked_rows = [0]

    def rows_to_link() -> Iterator[tuple[str, str, dict, int]]:
        for where, email, attributes in records:
            key = key_of(email)
            if key in duplicates:
                held.setdefault(email, []).append((where, attributes))
            else:
                yield where, email, attributes, key
        for email, entries in list(held.items()):
            if len(entries) == 1:  # a key two people share, not a person found twice: linked after all
                del held[email]
                yield entries[0][0], email, entries[0][1], key_of(email)

    def chunks() -> Iterator[list[RowResult]]:
        chunk: list[RowResult] = []
        attributes_of: list[dict] = []
        for where, email, attributes, key in rows_to_link():
            if kept is not None and key not in kept:
                counts.not_under_managers += 1
                continue
            chunk.append(RowResult(line=len(chunk), value=where, email=email, attributes=attributes))
            attributes_of.append(attributes)
            if len(chunk) >= chunk_size:
                current["attributes"] = attributes_of
                yield chunk
                chunk, attributes_of = [], []
        if chunk:
            current["attributes"] = attributes_of
            yield chunk

    def on_chunk(chunk: list[RowResult], links: ChunkLinks) -> None:
        attributes_of = current["attributes"]
        # New learners were inserted with their attributes (``RowResult.attributes``); the others merge them.
        linked = {ref.learner_id: attributes_of[ref.row.line] for ref in links.linked if not ref.attributes_written}
        pending = {ref.row.email: attributes_of[ref.row.line] for ref in links.pending}
        if learner_ids.maps_audited_fields(linked):
            with transaction.atomic():  # the audit of changed SAP user ids goes with the change
                learner_ids.audit_import(customer, linked, run_id=run.pk)
                write_attributes(customer, linked, pending)
        else:
            write_attributes(customer, linked, pending)
        members = []
        for row in chunk:
            if row.status in MEMBER_STATUSES:
                members.append(row.email)
            elif row.status != RowStatus.HEADER:
                errors.add(row.email, f"{row.value}: {row.email}: {row.message or row.status}")
        counts.imported += len(members)
        if unlink_leavers:
            leavers.mark(configuration, run.pk, members)
        errors.flush()
        linked_rows[0] += len(chunk)
        if live is not None:
            live.update(
                selected=counts.rows,
                sent=counts.imported,
                failed=counts.failed,
                skipped=counts.skipped,
                processed=linked_rows[0],
            )

    link_stream(customer=customer, chunks=chunks(), on_chunk=on_chunk)
    for email, entries in held.items():
        wheres = [where for where, _attributes in entries]
        listed = "; ".join(wheres)
        for where in wheres:
            errors.add(email, f"{where}: user {email} appears several times ({listed}); not imported.")
