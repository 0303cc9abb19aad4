"""One run of a content-provider import: courses into the catalog, or learners' progress as completions.

A connector gives ``execute`` its batches — one per feed file or API page — already parsed into
``enterprise.lms.content.services`` records; a batch that could not be read carries its ``error``
instead and fails alone, named in the run's error report (decision 0242). A remote failure (the
provider's API refusing the credentials, the file drop unreachable) raised while batches are read
fails the run. While a course import runs on a connection whose learner access is "disable", the
connection's catalogs are hidden from learners and shown again when it ends, whatever its outcome
(decision 0243). Imports are set-based (per batch: a bounded number of queries) and a rerun of the
same data changes nothing. Progress records of consecutive batches are gathered up to
``PROGRESS_BUFFER`` and imported together (decision 0391: the cost of a chunk is mostly fixed), always
after the courses of their own batch; what is gathered is imported before the run ends, failed or not.

A batch with a ``fingerprint`` (the SHA-256 of the page's or file's raw bytes) and a ``load`` (which
parses and maps it) is skipped unread when the customer's last import of its ``key`` had the same
fingerprint and imported every record of it (decision 0455): its records count as unchanged, and a
course page's courses count as seen (``last_seen`` renewed in one statement per run, to the hour; the
retirement of unlisted courses spares them). Its courses are not filed again: the fingerprint covers the
connection's catalogs and custom tags, so they are where the last reading put them, and what an
administrator removed since is put back by the next reading of a changed page or by a run from a start
date (decision 0490). A run given a start date reads every page.
"""

from __future__ import annotations

import datetime
import gc
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field

from django.utils import timezone

from enterprise.lms.content import pages as content_pages
from enterprise.lms.content import progress as content_progress
from enterprise.lms.content import services as content
from enterprise.lms.content.models import Catalog
from enterprise.services.collector import collected_per_chunk
from integrated_channels.integrated_channel.app_settings import channel_settings
from integrated_channels.integrated_channel.exceptions import ChannelError
from integrated_channels.integrated_channel.models import Run, RunError
from integrated_channels.integrated_channel.services import runs
from integrated_channels.integrated_channel.transports import drop

logger = logging.getLogger(__name__)

COURSES = "courses"
PROGRESS = "progress"
BOTH = "both"  # courses and the progress in them (getAbstract: the summaries a feed names, then its usage)


@dataclass
class Batch:
    """The records of one feed file or API page; ``error``: why it could not be read (it then fails alone).

    ``key`` (the page's name among the provider's pages, stable from run to run: "asset page 3", a file
    name), ``fingerprint`` (``pages.fingerprint_of`` its raw bytes) and ``load`` (fills ``courses``,
    ``progress`` or ``error`` from the raw bytes) let a run skip a page it imported before unread.
    """

    name: str
    courses: list[content.CourseRecord] = field(default_factory=list)
    progress: list[content.ProgressRecord] = field(default_factory=list)
    error: str = ""
    remote_calls: int = 0
    key: str = ""
    fingerprint: str = ""
    load: Callable[[Batch], None] | None = None


#: Progress records gathered across batches (API pages, files) before they are imported as one chunk.
PROGRESS_BUFFER = content_progress.PROGRESS_CHUNK_SIZE
#: Most seconds between two heartbeats of a run (a page skipped unread takes well under a millisecond; a
#: heartbeat per page was most of a no-change rerun); at most a quarter of the lock's expiry.
HEARTBEAT_SECONDS = 5.0


def _heartbeat_seconds() -> float:
    return min(HEARTBEAT_SECONDS, float(channel_settings.RUN_LOCK_EXPIRY) / 4)


@dataclass
class Outcome:
    pending_progress: list[content.ProgressRecord] = field(default_factory=list)
    imported: int = 0
    unchanged: int = 0
    superseded: int = 0
    retired: int = 0
    failed_batches: list[Batch] = field(default_factory=list)
    record_errors: list[content.RecordError] = field(default_factory=list)
    remote_calls: int = 0
    ledger: content_pages.PageLedger | None = None
    skip_known: bool = True
    pending_pages: list[content_pages.Page] = field(default_factory=list)  # progress pages not imported yet
    skipped_course_ids: list[int] = field(default_factory=list)  # courses of course pages skipped unread
    seen_course_ids: list[int] = field(default_factory=list)  # courses of every course page, read or skipped


@contextmanager
def learner_access(configuration, catalogs: list[Catalog]) -> Iterator[None]:
    """Hide ``catalogs`` from learners for the duration when the connection disables access during runs."""
    hide = getattr(configuration, "learner_access", "keep") == "disable" and catalogs
    if hide:
        Catalog.objects.filter(pk__in=[catalog.pk for catalog in catalogs]).update(hidden=True)
    try:
        yield
    finally:
        if hide:
            Catalog.objects.filter(pk__in=[catalog.pk for catalog in catalogs]).update(hidden=False)


def execute(
    configuration,
    *,
    kind: str,
    what: str,
    provider: str,
    batches: Iterable[Batch],
    trigger: str,
    api_user=None,
    run: Run | None = None,
    start_date: datetime.datetime | None = None,
    retire_missing: bool = False,
) -> Run:
    """Run ``kind`` of ``configuration``: import ``what`` (``COURSES``, ``PROGRESS`` or ``BOTH``) from ``batches``.

    Each batch's courses are imported before its progress. Only runs that import courses hide the
    catalogs when the connection disables learner access (a progress import changes no course).
    """
    if run is None:
        run = runs.start_run(
            configuration=configuration, kind=kind, trigger=trigger, api_user=api_user, start_date=start_date
        )
    outcome = Outcome()
    now = timezone.now()
    catalogs: list[Catalog] = []
    outcome.ledger = content_pages.PageLedger(customer_id=configuration.customer_id, provider=provider, what=what)
    outcome.skip_known = start_date is None  # a start date reads every page (and renews what is remembered)
    try:
        if what in (COURSES, BOTH):
            catalogs = content.catalogs_named(
                customer_id=configuration.customer_id, names=configuration.catalog_names()
            )
        context = _context(configuration, what, catalogs)
        beat, interval = time.monotonic(), _heartbeat_seconds()
        # A progress run with the collector paused, its young generations collected after each chunk
        # (``_import_progress``): left on, it passed over every object of the process again and again as each
        # chunk's records survived into the oldest generation, 1.2 of the 4.6 s of Python of 100,000 LinkedIn
        # records (decision 0580).
        paused = collected_per_chunk() if what == PROGRESS else nullcontext()
        with learner_access(configuration, catalogs), paused:
            for batch in batches:
                if not _skip_batch(configuration, provider, what, batch, context, now, outcome):
                    if batch.load is not None:
                        batch.load(batch)
                    _import_batch(configuration, provider, what, batch, catalogs, context, now, outcome)
                if time.monotonic() - beat >= interval:
                    counts = _counts(outcome)
                    del counts["skip_reasons"]
                    runs.heartbeat(run, **counts)
                    beat = time.monotonic()
            _import_progress(configuration, provider, now, outcome)
            _renew_skipped(provider, now, outcome)
            if what == COURSES and retire_missing and not outcome.failed_batches:
                outcome.retired = content.retire_unseen(
                    provider=provider, catalogs=catalogs, since=now, seen=outcome.seen_course_ids
                )
    except (ChannelError, drop.DropError) as exc:
        _import_progress(configuration, provider, now, outcome)  # the batches read before the failure count
        _renew_skipped(provider, now, outcome)
        _write_errors(run, outcome)
        message = str(exc)
        RunError.objects.create(
            run=run, outcome=RunError.Outcome.RUN, code=getattr(exc, "code", "error"), message=message
        )
        runs.finish_run(
            run,
            status=Run.Status.FAILED,
            error_code=getattr(exc, "code", "error"),
            error_message=message,
            **_counts(outcome),
        )
        return run
    except Exception as exc:
        logger.exception("%s of %s failed", kind, configuration.pk)
        runs.finish_run(
            run, status=Run.Status.FAILED, error_code="internal_error", error_message=f"{type(exc).__name__}: {exc}"
        )
        raise
    _write_errors(run, outcome)
    failed = bool(outcome.failed_batches or outcome.record_errors)
    runs.finish_run(
        run, status=Run.Status.COMPLETED_WITH_ERRORS if failed else Run.Status.COMPLETED, **_counts(outcome)
    )
    return run


def _counts(outcome: Outcome) -> dict:
    """The run's counts: every record (and every unreadable file, as one) is imported, skipped or failed."""
    reasons = {"unchanged": outcome.unchanged, "superseded": outcome.superseded, "retired": outcome.retired}
    skip_reasons = {reason: count for reason, count in reasons.items() if count}
    failed = len(outcome.record_errors) + len(outcome.failed_batches)
    skipped = sum(skip_reasons.values())
    return {
        "selected": outcome.imported + skipped + failed,
        "sent": outcome.imported,
        "skipped": skipped,
        "failed": failed,
        "skip_reasons": skip_reasons,
        "remote_calls": outcome.remote_calls,
    }


def _context(configuration, what: str, catalogs: list[Catalog]) -> tuple[str, ...]:
    """What shapes a page's import besides its bytes: for courses, the catalogs and custom tags they go to."""
    if what == PROGRESS:
        return (what,)
    return (what, ",".join(str(catalog.pk) for catalog in catalogs), "\n".join(configuration.custom_tag_names()))


def _skip_batch(configuration, provider, what, batch: Batch, context, now, outcome: Outcome) -> bool:
    """True when ``batch`` was imported whole before with the same bytes: it is counted, not read (decision 0455)."""
    if not outcome.skip_known or not batch.fingerprint or batch.load is None:
        return False
    page = outcome.ledger.known(batch.key, content_pages.fingerprint_of(batch.fingerprint.encode(), *context))
    if page is None:
        return False
    if what == COURSES:
        if not content.courses_present(provider=provider, course_ids=page.course_ids):
            return False  # a course of the page is gone: the page is read and its courses made again
        outcome.skipped_course_ids.extend(page.course_ids)
        outcome.seen_course_ids.extend(page.course_ids)
    outcome.remote_calls += batch.remote_calls
    outcome.unchanged += page.unchanged
    outcome.superseded += page.superseded
    return True


def _renew_skipped(provider, now, outcome: Outcome) -> None:
    """``last_seen`` of the skipped course pages' courses (one statement, only where older than the resolution);
    the ledger saved."""
    course_ids, outcome.skipped_course_ids = outcome.skipped_course_ids, []
    content.renew_last_seen(provider=provider, course_ids=course_ids, now=now)
    if outcome.ledger is not None:
        outcome.ledger.save(now)


def _import_batch(configuration, provider, what, batch: Batch, catalogs, context, now, outcome: Outcome) -> None:
    outcome.remote_calls += batch.remote_calls
    if batch.error:
        outcome.failed_batches.append(batch)
        return
    customer_id = configuration.customer_id
    page = None
    if outcome.ledger is not None and batch.fingerprint and batch.load is not None:
        page = content_pages.Page(batch.key, content_pages.fingerprint_of(batch.fingerprint.encode(), *context))
    if batch.courses:
        result = content.import_courses(
            provider=provider,
            customer_id=customer_id,
            records=batch.courses,
            catalogs=catalogs,
            custom_tags=configuration.custom_tag_names(),
            now=now,
        )
        outcome.imported += result.imported
        outcome.unchanged += result.unchanged
        outcome.superseded += result.superseded
        outcome.record_errors.extend(result.errors)
        outcome.seen_course_ids.extend(result.course_ids)
        if result.errors:
            page = None
        elif page is not None and what == COURSES:
            page.unchanged, page.superseded = result.imported + result.unchanged, result.superseded
            page.course_ids = result.course_ids
    if page is not None and what == COURSES:
        outcome.ledger.remember([page])
    if batch.progress:
        outcome.pending_progress.extend(batch.progress)
        if page is not None:
            keys = {(record.email.strip().lower(), record.provider_id) for record in batch.progress}
            page.unchanged, page.superseded = len(keys), len(batch.progress) - len(keys)
            outcome.pending_pages.append(page)
        if len(outcome.pending_progress) >= PROGRESS_BUFFER:
            _import_progress(configuration, provider, now, outcome)


def _import_progress(configuration, provider, now, outcome: Outcome) -> None:
    """Import the gathered progress records (none: nothing)."""
    records, outcome.pending_progress = outcome.pending_progress, []
    pages, outcome.pending_pages = outcome.pending_pages, []
    if records:
        result = content_progress.import_progress(
            provider=provider, customer_id=configuration.customer_id, records=records, now=now
        )
        outcome.imported += result.changed
        outcome.unchanged += result.unchanged
        outcome.superseded += result.superseded
        outcome.record_errors.extend(result.errors)
        if not gc.isenabled():  # paused by the run (``collected_per_chunk``): the cycles of the chunk's objects freed
            gc.collect(1)
        if pages and not result.errors:  # a page is remembered only when every record of its chunk went in
            outcome.ledger.remember(pages)
            outcome.ledger.save(now)


def _write_errors(run: Run, outcome: Outcome) -> None:
    rows = [
        RunError(run=run, outcome=RunError.Outcome.FAILED, code="invalid_file", message=batch.error)
        for batch in outcome.failed_batches
    ]
    rows.extend(
        RunError(
            run=run,
            outcome=RunError.Outcome.FAILED,
            code="invalid_record",
            email=error.email[:254],
            remote_id=error.provider_id[:255],
            message=f"{error.source}: {error.message}" if error.source else error.message,
        )
        for error in outcome.record_errors
    )
    RunError.objects.bulk_create(rows, batch_size=1000)
