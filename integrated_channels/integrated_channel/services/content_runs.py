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
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.utils import timezone

from enterprise.lms.content import progress as content_progress
from enterprise.lms.content import services as content
from enterprise.lms.content.models import Catalog
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
    """The records of one feed file or API page; ``error``: why it could not be read (it then fails alone)."""

    name: str
    courses: list[content.CourseRecord] = field(default_factory=list)
    progress: list[content.ProgressRecord] = field(default_factory=list)
    error: str = ""
    remote_calls: int = 0


#: Progress records gathered across batches (API pages, files) before they are imported as one chunk.
PROGRESS_BUFFER = content_progress.PROGRESS_CHUNK_SIZE


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
    try:
        if what in (COURSES, BOTH):
            catalogs = content.catalogs_named(
                customer_id=configuration.customer_id, names=configuration.catalog_names()
            )
        with learner_access(configuration, catalogs):
            for batch in batches:
                _import_batch(configuration, provider, batch, catalogs, now, outcome)
                counts = _counts(outcome)
                del counts["skip_reasons"]
                runs.heartbeat(run, **counts)
            _import_progress(configuration, provider, now, outcome)
            if what == COURSES and retire_missing and not outcome.failed_batches:
                outcome.retired = content.retire_unseen(provider=provider, catalogs=catalogs, since=now)
    except (ChannelError, drop.DropError) as exc:
        _import_progress(configuration, provider, now, outcome)  # the batches read before the failure count
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


def _import_batch(configuration, provider, batch: Batch, catalogs, now, outcome: Outcome) -> None:
    outcome.remote_calls += batch.remote_calls
    if batch.error:
        outcome.failed_batches.append(batch)
        return
    customer_id = configuration.customer_id
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
    if batch.progress:
        outcome.pending_progress.extend(batch.progress)
        if len(outcome.pending_progress) >= PROGRESS_BUFFER:
            _import_progress(configuration, provider, now, outcome)


def _import_progress(configuration, provider, now, outcome: Outcome) -> None:
    """Import the gathered progress records (none: nothing)."""
    records, outcome.pending_progress = outcome.pending_progress, []
    if records:
        result = content_progress.import_progress(
            provider=provider, customer_id=configuration.customer_id, records=records, now=now
        )
        outcome.imported += result.changed
        outcome.unchanged += result.unchanged
        outcome.superseded += result.superseded
        outcome.record_errors.extend(result.errors)


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
