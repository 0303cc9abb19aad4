"""SFTP export of learner transcripts for a date range (DESIGN §8, decision 0064).

Writes ``<base>/export/learner_transcript_<from>_to_<to>.csv`` (or ``.zip`` holding that CSV when
the connection zips exports). A record belongs to the range by its completion date, or its
enrollment date when not complete. Every cell that would start a formula is prefixed with a quote
so that spreadsheets never read it as one (``enterprise.csv_safety.escape_cell``, decisions 0065
and 0161).
"""

from __future__ import annotations

import csv
import datetime
import io
import logging
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.utils import timezone

from enterprise.csv_safety import escape_cell
from integrated_channels.integrated_channel.models import Run, RunError
from integrated_channels.integrated_channel.services import runs
from integrated_channels.integrated_channel.transports import drop as client
from integrated_channels.sftp.exporters import (
    TRANSCRIPT_COLUMNS,
    TranscriptExporter,
    learner_field_columns,
    with_learner_fields,
    with_learning_paths,
    with_purchases,
)
from integrated_channels.sftp.models import EXPORT_DIR, SFTPConfiguration
from integrated_channels.sftp.operations import FILE_EXPORT

logger = logging.getLogger(__name__)


def to_csv(columns, rows) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([escape_cell(row.get(column)) for column in columns])
    return buffer.getvalue().encode("utf-8")


def zipped(name: str, content: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, content)
    return buffer.getvalue()


@dataclass
class ExportResult:
    run: Run
    path: str = ""
    rows: int = 0


@dataclass
class ExportFile:
    """What an export writes: the CSV's name and columns, its rows, and what was left out and why."""

    name: str
    columns: Sequence[str]
    rows: list[dict]
    skipped: int
    skip_reasons: dict[str, int]


def transcript_name(date_from: datetime.date, date_to: datetime.date) -> str:
    return f"learner_transcript_{date_from:%Y-%m-%d}_to_{date_to:%Y-%m-%d}.csv"


def day_bounds(date_from: datetime.date, date_to: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """``[start, end)`` of the days ``date_from`` to ``date_to`` (current time zone); ``ValueError`` if reversed."""
    if date_to < date_from:
        raise ValueError(f"The end date {date_to} is before the start date {date_from}.")
    zone = timezone.get_current_timezone()
    start = datetime.datetime.combine(date_from, datetime.time.min, tzinfo=zone)
    end = datetime.datetime.combine(date_to + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone)
    return start, end


@dataclass(frozen=True)
class ExportRange:
    """What a range export selects from: the connection, the days asked for and their ``[start, end)``."""

    configuration: SFTPConfiguration
    date_from: datetime.date
    date_to: datetime.date
    start: datetime.datetime
    end: datetime.datetime
    api_user: object = None


def range_export(
    kind: str, select: Callable[[ExportRange], ExportFile], *, label: str, what: str, log: logging.Logger = logger
) -> Callable[..., ExportResult]:
    """The export of a date range (``configuration=, date_from=, date_to=`` and optionally ``trigger``,
    ``api_user``, ``run``, ``progress``) that writes the file ``select`` makes (``upload_export``).

    ``run``: one already started (a queued run), else a run of ``kind`` is started. The run's counts are
    written once the records are selected (the upload is one transfer) (``runs.LiveCounts``). A reversed
    range is a ``ValueError`` before any run starts.
    """

    def export(
        *,
        configuration: SFTPConfiguration,
        date_from: datetime.date,
        date_to: datetime.date,
        trigger: str = Run.Trigger.COMMAND,
        api_user=None,
        run: Run | None = None,
        progress=None,
    ) -> ExportResult:
        start, end = day_bounds(date_from, date_to)
        if run is None:
            run = runs.start_run(
                configuration=configuration, kind=kind, trigger=trigger, api_user=api_user, start_date=start
            )
        request = ExportRange(configuration, date_from, date_to, start, end, api_user)
        return upload_export(
            configuration=configuration,
            run=run,
            progress=progress,
            select=lambda: select(request),
            label=label,
            what=what,
            log=log,
        )

    export.__doc__ = f"Export a date range: {what} ({select.__name__})."
    return export


def select_transcripts(export: ExportRange) -> ExportFile:
    """The transcript records of the range: completed in it, or enrolled in it when not complete."""
    configuration = export.configuration
    selection = TranscriptExporter(
        configuration=configuration, api_user=export.api_user, start_date=export.start
    ).select()
    rows = [record.payload for record in selection.records if _moment(record.payload) < export.end]
    out_of_range = len(selection.records) - len(rows)
    fields = learner_field_columns(configuration.customer)
    with_purchases(rows)
    rows = with_learning_paths(rows)
    with_learner_fields(rows, fields)
    return ExportFile(
        name=transcript_name(export.date_from, export.date_to),
        columns=(*TRANSCRIPT_COLUMNS, *fields),
        rows=rows,
        skipped=sum(selection.skipped.values()) + out_of_range,
        skip_reasons={**dict(selection.skipped), **({"after_end_date": out_of_range} if out_of_range else {})},
    )


export_transcripts = range_export(FILE_EXPORT, select_transcripts, label="transcripts", what="SFTP export")


def upload_export(
    *,
    configuration: SFTPConfiguration,
    run: Run,
    progress,
    select: Callable[[], ExportFile],
    label: str,
    what: str,
    log: logging.Logger = logger,
) -> ExportResult:
    """Write the CSV ``select()`` gives (zipped when the connection says so), upload it, finish the run.

    The run's counts are written once the records are selected (``runs.LiveCounts``; ``label`` names the
    progress bar). An SFTP failure (or a failure to select) fails the run, nothing counted as sent;
    an SFTP failure is recorded as the run's error, anything else logged (``what`` names the export) and raised.
    """
    result = ExportResult(run=run)
    live = runs.LiveCounts(run, progress=progress)
    try:
        export = select()
        live.start(total=len(export.rows), description=f"{configuration.customer} {label}")
        live.update(selected=len(export.rows) + export.skipped, skipped=export.skipped, processed=0)
        content = to_csv(export.columns, export.rows)
        if configuration.zip_exports:
            content, remote_name = zipped(export.name, content), export.name[: -len(".csv")] + ".zip"
        else:
            remote_name = export.name
        result.path = configuration.remote_path(EXPORT_DIR, remote_name)
        client.upload(configuration, result.path, content)
        result.rows = len(export.rows)
        live.update(processed=result.rows)  # the bar; finish_run writes the counts
    except client.DropError as exc:
        live.close()
        RunError.objects.create(run=run, outcome=RunError.Outcome.RUN, code=exc.code, message=str(exc))
        runs.finish_run(run, status=Run.Status.FAILED, error_code=exc.code, error_message=str(exc), **_unsent(run))
        return result
    except Exception as exc:
        live.close()
        log.exception("%s of configuration %s failed", what, configuration.pk)
        runs.finish_run(
            run, status=Run.Status.FAILED, error_code="internal_error", error_message=str(exc), **_unsent(run)
        )
        raise
    live.close()
    runs.finish_run(
        run,
        status=Run.Status.COMPLETED,
        selected=result.rows + export.skipped,
        sent=result.rows,
        skipped=export.skipped,
        skip_reasons=export.skip_reasons,
    )
    return result


def _moment(row) -> datetime.datetime:
    return datetime.datetime.fromisoformat(row["completed_at"] or row["enrolled_at"])


def _unsent(run: Run) -> dict:
    """The counts of a failed export: what its live counts selected, none of it sent."""
    return {
        "selected": run.selected,
        "skipped": run.skipped,
        "not_attempted": run.selected - run.skipped,
        "sent": 0,
        "failed": 0,
    }
