"""SFTP user import (DESIGN §8, decision 0063).

Every ``*.csv`` of ``<base>/import/user/internal/`` is read and merged. Every file must hold the
mapped columns (otherwise the run fails and nothing changes). A user (by normalised e-mail) found
in two files, or twice in one, is an error for that user: none of their rows is imported. Rows
become linked or pending learners through the bulk-link service of Manage Learners; the mapped
attributes are merged into the learner's attributes ("do not import" ones are never touched).
The import commits first; only then are the processed files deleted from the server, so a
failure at any point before leaves every file in place for the rerun.
"""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass, field

from django.db import transaction

from enterprise.app_settings import enterprise_settings
from enterprise.emails import normalize_email
from enterprise.services.bulk_link import MEMBER_STATUSES, ChunkLinks, RowResult, RowStatus, email_error, link_rows
from integrated_channels.integrated_channel.models import Run, RunError
from integrated_channels.integrated_channel.services import runs
from integrated_channels.integrated_channel.transports import sftp as client
from integrated_channels.sftp import mapping
from integrated_channels.sftp.models import USER_IMPORT_DIR, SFTPConfiguration
from integrated_channels.sftp.operations import USER_IMPORT
from integrated_channels.sftp.services.attributes import write_attributes

logger = logging.getLogger(__name__)


class ImportRefused(Exception):
    """The files cannot be imported at all (a missing column, an unreadable file)."""

    code = "invalid_files"


@dataclass
class SourceRow:
    path: str
    line: int
    email: str
    attributes: dict[str, str]

    @property
    def where(self) -> str:
        return f"{self.path}, row {self.line}"


@dataclass
class ImportResult:
    run: Run
    files: list[str] = field(default_factory=list)
    rows: int = 0
    imported: int = 0
    errors: list[str] = field(default_factory=list)
    deleted: bool = False
    filtered_out: int = 0


def parse_file(path: str, content: bytes, attribute_mapping: dict) -> list[SourceRow]:
    """The rows of one file; ``ImportRefused`` naming the file when it lacks mapped columns or is not UTF-8."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportRefused(f"{path}: not UTF-8 text (byte {exc.start}).") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip() for name in reader.fieldnames or []]
    missing = mapping.check_columns(attribute_mapping, header, source=path)
    if missing:
        raise ImportRefused(" ".join(missing))
    reader.fieldnames = header
    columns = mapping.imported(attribute_mapping)
    rows = []
    try:
        for record in reader:
            if not any((value or "").strip() for value in record.values() if isinstance(value, str)):
                continue
            values = {attribute: (record.get(column) or "").strip() for attribute, column in columns.items()}
            rows.append(SourceRow(path, reader.line_num, values.pop("email"), values))
    except csv.Error as exc:
        raise ImportRefused(f"{path}, row {reader.line_num}: malformed CSV ({exc}).") from None
    return rows


def merge(
    files: dict[str, list[SourceRow]], attribute_mapping: dict
) -> tuple[list[SourceRow], list[tuple[SourceRow, str]]]:
    """The importable rows, and the rejected ones with the reason (naming file, row and column)."""
    email_column = attribute_mapping["email"]
    by_email: dict[str, list[SourceRow]] = {}
    rejected: list[tuple[SourceRow, str]] = []
    for rows in files.values():
        for row in rows:
            email = normalize_email(row.email)
            error = email_error(email)
            if error:
                rejected.append((row, f"{row.where}, column {email_column!r}: {row.email!r} {error}"))
                continue
            row.email = email
            by_email.setdefault(email, []).append(row)
    accepted = []
    for email, rows in by_email.items():
        if len(rows) > 1:
            places = "; ".join(row.where for row in rows)
            for row in rows:
                rejected.append((row, f"{row.where}: user {email} appears several times ({places}); not imported."))
            continue
        row = rows[0]
        problems = mapping.check_email_columns(
            attribute_mapping, [{attribute_mapping[k]: v for k, v in row.attributes.items()}], source=row.path
        )
        if problems:
            rejected.append((row, problems[0].replace(", row 2,", f", row {row.line},")))
            continue
        accepted.append(row)
    return accepted, rejected


def under_managers(rows: list[SourceRow], managers: set[str]) -> list[SourceRow]:
    """The rows of people under ``managers``, directly or through other managers (cycles are harmless)."""
    reports: dict[str, list[SourceRow]] = {}
    for row in rows:
        manager = (row.attributes.get("manager") or "").strip().lower()
        if manager:
            reports.setdefault(manager, []).append(row)
    kept: dict[str, SourceRow] = {}
    todo = list(managers)
    seen = set(todo)
    while todo:
        for row in reports.get(todo.pop(), ()):
            kept.setdefault(row.email, row)
            if row.email not in seen:
                seen.add(row.email)
                todo.append(row.email)
    return [row for row in rows if row.email in kept]


def import_users(
    *,
    configuration: SFTPConfiguration,
    trigger: str = Run.Trigger.COMMAND,
    api_user=None,
    run: Run | None = None,
    progress=None,
) -> ImportResult:
    """Import the users of the connection's files; ``run``: one already started (a queued run), else one is.

    The run's counts are written after each chunk of rows (``runs.LiveCounts``); ``progress``
    (a ``Progress``) shows a bar of the rows linked.
    """
    if run is None:
        run = runs.start_run(configuration=configuration, kind=USER_IMPORT, trigger=trigger, api_user=api_user)
    result = ImportResult(run=run)
    live = runs.LiveCounts(run, progress=progress)
    try:
        problems = configuration.run_errors()
        if problems:
            raise ImportRefused(" ".join(problems))
        directory = configuration.remote_path(USER_IMPORT_DIR)
        contents = client.read_csv_files(configuration, directory)
        result.files = sorted(contents)
        parsed = {
            path: parse_file(path, content, configuration.attribute_mapping) for path, content in contents.items()
        }
        accepted, rejected = merge(parsed, configuration.attribute_mapping)
        managers = configuration.manager_filter()
        if managers:
            kept = under_managers(accepted, managers)
            result.filtered_out = len(accepted) - len(kept)
            accepted = kept
        result.rows = len(accepted) + len(rejected)
        selected = result.rows + result.filtered_out
        live.start(total=len(accepted), description=f"{configuration.customer} import")
        live.update(selected=selected, skipped=result.filtered_out, failed=len(rejected), processed=0)
        with transaction.atomic():
            link_errors = _link(configuration, accepted, live=live, rejected=len(rejected))
            failures = [(row.email, message) for row, message in rejected] + link_errors
            errors = [message for _email, message in failures]
            RunError.objects.bulk_create(
                [
                    RunError(run=run, outcome=RunError.Outcome.FAILED, email=email[:254], message=message)
                    for email, message in failures
                ]
            )
        result.errors = errors
        result.imported = result.rows - len(errors)
    except (client.SFTPError, ImportRefused) as exc:
        live.close()
        _fail(run, result, code=exc.code, message=str(exc))
        return result
    except Exception as exc:
        live.close()
        logger.exception("SFTP import of configuration %s failed", configuration.pk)
        _fail(run, result, code="internal_error", message=f"{type(exc).__name__}: {exc}")
        raise
    live.close()
    # Committed: only now are the processed files removed.
    result.deleted, error_code, error_message = client.remove_processed(
        configuration, result.files, failure="Imported, but the files were not deleted"
    )
    status = Run.Status.COMPLETED if not result.errors and not error_code else Run.Status.COMPLETED_WITH_ERRORS
    runs.finish_run(
        run,
        status=status,
        error_code=error_code,
        error_message=error_message,
        selected=result.rows + result.filtered_out,
        sent=result.imported,
        failed=len(result.errors),
        skipped=result.filtered_out,
        skip_reasons={"not_under_the_managers": result.filtered_out} if result.filtered_out else {},
    )
    return result


def _fail(run: Run, result: ImportResult, *, code: str, message: str) -> None:
    RunError.objects.create(run=run, outcome=RunError.Outcome.RUN, code=code, message=message)
    result.errors = [message]
    # Nothing was imported (the transaction rolled back): the live counts written so far are reset.
    runs.finish_run(
        run, status=Run.Status.FAILED, error_code=code, error_message=message, selected=0, sent=0, skipped=0, failed=0
    )


def _link(
    configuration: SFTPConfiguration, rows: list[SourceRow], *, live: runs.LiveCounts, rejected: int
) -> list[tuple[str, str]]:
    """Link (or add as pending) every row; write their attributes; the errors, naming file and row.

    After each chunk the run's counts so far are written (``live``): rows linked, rows failed.
    """
    customer = configuration.customer
    results = [RowResult(line=index, value=row.email, email=row.email) for index, row in enumerate(rows)]
    linked: dict[int, dict] = {}
    pending: dict[str, dict] = {}

    def on_chunk(links: ChunkLinks) -> None:
        for ref in links.linked:
            linked[ref.learner_id] = rows[ref.row.line].attributes
        for ref in links.pending:
            pending[ref.row.email] = rows[ref.row.line].attributes

    counted = {"done": 0, "failed": 0}

    def on_progress(count: int, _total: int) -> None:
        start = counted["done"]
        counted["done"] += count
        counted["failed"] += sum(
            1 for result in results[start : counted["done"]] if result.status not in MEMBER_STATUSES
        )
        done = counted["done"]
        live.update(sent=done - counted["failed"], failed=rejected + counted["failed"], processed=done)

    link_rows(
        customer=customer,
        rows=results,
        chunk_size=enterprise_settings.MANAGE_LEARNERS_CHUNK_SIZE,
        on_chunk=on_chunk,
        progress=on_progress,
    )
    write_attributes(customer, linked, pending)
    return [
        (result.email, f"{rows[result.line].where}: {result.email}: {result.message or result.status}")
        for result in results
        if result.status not in MEMBER_STATUSES and result.status != RowStatus.HEADER
    ]
