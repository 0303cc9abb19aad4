"""SFTP user import (DESIGN §8, decision 0063), on the shared import pipeline.

Every ``*.csv`` of ``<base>/import/user/internal/`` is read (``CsvFilesSource``) and goes through
``imports.pipeline.run_user_import``: every file must hold the mapped columns (otherwise the run
fails and nothing changes); a user (by normalised e-mail) found in two files, or twice in one, is
an error for that user; rows become linked or pending learners through the set-based bulk link;
the mapped attributes are merged into the learner's attributes ("do not import" built-in and
manual fields are never touched, imported custom ones are cleared); the manager filter and the
column conditions select who is imported; leavers are unlinked when the connection says so.
The import commits first; only then are the processed files deleted from the server, so a
failure at any point before leaves every file in place for the rerun.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from integrated_channels.integrated_channel.imports.errors import ImportRefused
from integrated_channels.integrated_channel.imports.filters import parse_conditions
from integrated_channels.integrated_channel.imports.pipeline import ImportCounts, ImportRun, run_user_import
from integrated_channels.integrated_channel.imports.sources import CsvFilesSource
from integrated_channels.integrated_channel.models import Run, RunError
from integrated_channels.integrated_channel.transports import drop as client
from integrated_channels.sftp import layout
from integrated_channels.sftp.models import USER_IMPORT_DIR, SFTPConfiguration
from integrated_channels.sftp.operations import USER_IMPORT
from integrated_channels.sftp.services.export import to_csv

logger = logging.getLogger(__name__)


@dataclass
class ImportResult:
    run: Run
    files: list[str] = field(default_factory=list)
    rows: int = 0
    imported: int = 0
    errors: list[str] = field(default_factory=list)
    deleted: bool = False
    filtered_out: int = 0
    counts: ImportCounts | None = None
    report_path: str = ""


def import_users(
    *,
    configuration: SFTPConfiguration,
    trigger: str = Run.Trigger.COMMAND,
    api_user=None,
    run: Run | None = None,
    progress=None,
) -> ImportResult:
    """Import the users of the connection's files; ``run``: one already started (a queued run), else one is.

    The run handling is the pipeline's ``ImportRun`` (shared with the xAPI statement import): the
    run's counts are written after each chunk of rows (``runs.LiveCounts``); ``progress`` (a
    ``Progress``) shows a bar of the rows done.
    """
    handling = ImportRun(configuration, USER_IMPORT, trigger=trigger, api_user=api_user, run=run, progress=progress)
    run = handling.run
    result = ImportResult(run=run)
    with handling.attempt(refused=(client.DropError, ImportRefused), what="SFTP import"):
        problems = configuration.run_errors()
        if problems:
            raise ImportRefused(" ".join(problems), code="invalid_files")
        contents = client.read_csv_files(configuration, configuration.remote_path(USER_IMPORT_DIR))
        result.files = sorted(contents)
        counts = run_user_import(
            configuration,
            CsvFilesSource({path: contents[path] for path in result.files}),
            run,
            mapping=configuration.attribute_mapping,
            conditions=parse_conditions(configuration.import_conditions),
            managers=configuration.manager_filter(),
            unlink_leavers=configuration.unlink_leavers,
            live=handling.live,
        )
    if handling.refused is not None:
        result.errors = [str(handling.refused)]
        if not isinstance(handling.refused, client.DropError):  # the drop answers: the report tells why
            write_report(configuration, run, counts=None)
        return result
    result.counts = counts
    result.rows = counts.rows - counts.skipped
    result.imported = counts.imported
    result.errors = counts.messages
    result.filtered_out = counts.skipped
    # Committed: only now are the processed files removed.
    result.deleted, error_code, error_message = handling.remove_files(
        result.files, failure="Imported, but the files were not deleted"
    )
    report_error = write_report(configuration, run, counts=counts, files=result.files)
    if report_error and not error_code:
        error_code, error_message = "report_not_written", report_error
    result.report_path = "" if report_error else _report_path(configuration, run)
    try:
        layout.sweep_content(configuration)
    except client.DropError as exc:  # housekeeping: never a failure of the import
        logger.warning("Content CSVs of configuration %s not swept: %s", configuration.pk, exc)
    handling.finish(
        error_code=error_code,
        error_message=error_message,
        selected=counts.rows,
        sent=counts.imported,
        failed=counts.failed,
        skip_reasons=counts.skip_reasons(),
    )
    return result


REPORT_COLUMNS = ("run", "outcome", "rows", "email", "message")


def _report_path(configuration, run: Run) -> str:
    return configuration.remote_path(layout.USER_REPORT_DIR, layout.user_report_name(run, run.started_at))


def report_content(run: Run, counts: ImportCounts | None, files: list[str] = ()) -> bytes:
    """The user-import report: what was imported, left out and refused (one line per refused row, why)."""
    rows = []
    if counts is None:
        rows.append({"run": run.pk, "outcome": "failed", "rows": 0, "message": run.error_message})
    else:
        rows.append({"run": run.pk, "outcome": "imported", "rows": counts.imported, "message": ", ".join(files)})
        for reason, count in counts.skip_reasons().items():
            rows.append({"run": run.pk, "outcome": "left out", "rows": count, "message": reason.replace("_", " ")})
        if counts.unlinked or counts.pending_removed:
            rows.append(
                {"run": run.pk, "outcome": "leavers unlinked", "rows": counts.unlinked + counts.pending_removed}
            )
        rows.append({"run": run.pk, "outcome": "refused", "rows": counts.failed, "message": "see the lines below"})
        for email, message in (
            RunError.objects.filter(run=run, outcome=RunError.Outcome.FAILED)
            .order_by("id")
            .values_list("email", "message")
            .iterator(chunk_size=2000)
        ):
            rows.append({"run": run.pk, "outcome": "refused", "rows": 1, "email": email, "message": message})
    return to_csv(REPORT_COLUMNS, rows)


def write_report(configuration, run: Run, *, counts: ImportCounts | None, files: list[str] = ()) -> str:
    """Write the report beside the exports (``export/user/internal/``); the reason when it could not be."""
    try:
        client.upload(configuration, _report_path(configuration, run), report_content(run, counts, files))
    except client.DropError as exc:
        return f"Imported, but the import report was not written: {exc}"
    return ""
