"""Import of xAPI statements from a CSV on the customer's SFTP server (DESIGN §8, decision 0071).

The file named by the import is read (the import pipeline's CSV source: UTF-8 checked line by
line, blank rows skipped, cells stripped); every row is filtered, turned into a statement through
the mapping (typed values; actor.mbox a mailto: e-mail, verb.id and object.id IRIs) and checked;
statements with a recognised verb (``verbs.RECOGNISED``) become completions in the local LMS
through ``enterprise.services.completions.record_completions``, for the customer's linked
learners found by e-mail (case-insensitive) and courses the catalog knows. Every row that cannot
be imported is a line of the run's error report naming its line and column. Set-based: the
learners are read in one query, the completions written in bulk. Importing the same file again
changes nothing. The file is deleted from the server only once the import has committed
(as the SFTP connector does, decision 0063): a failure before leaves it for the re-run.
"""

from __future__ import annotations

import datetime
import logging
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import unquote

from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from enterprise.models import EnterpriseCustomerUser
from enterprise.services.completions import CompletionReport, record_completions
from integrated_channels.integrated_channel.imports.errors import ImportRefused
from integrated_channels.integrated_channel.imports.pipeline import ImportRun
from integrated_channels.integrated_channel.imports.sources import CsvFilesSource
from integrated_channels.integrated_channel.models import Run
from integrated_channels.integrated_channel.services import runs
from integrated_channels.integrated_channel.transports import drop
from integrated_channels.xapi import filters, paths, statements, verbs
from integrated_channels.xapi.models import XAPIImportConfiguration, XAPIStatement
from integrated_channels.xapi.operations import STATEMENT_IMPORT

logger = logging.getLogger(__name__)

CHUNK_SIZE = 1000  # rows between two writes of the run's live counts; completions recorded per chunk


#: The run error code when the file cannot be imported at all (a mapped column missing, the mapping incomplete).
INVALID_FILE = "invalid_file"


class Skip:
    FILTERED_OUT = "filtered_out"
    DUPLICATE = "duplicate"
    VERB_NOT_RECOGNISED = "verb_not_recognised"
    SUPERSEDED = "superseded"
    UNCHANGED = "unchanged"


@dataclass
class Statement:
    line: int
    statement: dict
    email: str
    verb: str
    course_id: str
    columns: dict[str, str]  # path → column, for the error messages


@dataclass
class RowError:
    line: int
    message: str
    email: str = ""
    course_id: str = ""


@dataclass
class ImportResult:
    run: Run
    path: str = ""
    found: bool = False
    rows: int = 0
    statements: list[Statement] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)
    imported: int = 0
    deleted: bool = False

    def skip(self, reason: str, count: int = 1) -> None:
        if count:
            self.skipped[reason] = self.skipped.get(reason, 0) + count


def parse_rows(content: bytes, *, source: str, mappings) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """The header and the (line, row) pairs of the file, read by the import pipeline's CSV source.

    ``ImportRefused`` when the file is not UTF-8 CSV or lacks a mapped column.
    """
    csv_source = CsvFilesSource({source: content})
    header = csv_source.columns()
    missing = [f"{mapping.column!r} (mapped to {mapping.path})" for mapping in mappings if mapping.column not in header]
    if missing:
        raise ImportRefused(f"{source}: missing column(s) {', '.join(missing)}.", code=INVALID_FILE)
    return header, [(row.line, dict(row)) for row in csv_source.rows()]


def build_statement(line: int, row: dict[str, str], *, mappings, iri_base: str) -> Statement:
    """The statement of one row; ``paths.ValueRefused`` naming the line and column of the first problem."""
    statement: dict = {}
    columns = {}
    for mapping in mappings:
        columns[mapping.path] = mapping.column
        raw = (row.get(mapping.column) or "").strip()
        where = f"line {line}, column {mapping.column!r} ({mapping.path})"
        if not raw:
            if mapping.path in paths.MANDATORY:
                raise paths.ValueRefused(f"{where}: empty")
            continue
        try:
            value = paths.parse(raw, mapping.value_type)
            if mapping.path == paths.ACTOR_MBOX:
                value = "mailto:" + paths.mbox_email(value)
            elif mapping.path in (paths.VERB_ID, paths.OBJECT_ID) and not paths.is_iri(value):
                raise paths.ValueRefused(f"{value!r} is not an IRI")
            elif mapping.path == "id" and not _is_uuid(value):
                raise paths.ValueRefused(f"{raw!r} is not a UUID (a statement id is one)")
            elif mapping.path == "result.score.scaled" and not -1 <= value <= 1:
                raise paths.ValueRefused(f"{raw!r} is not a scaled score between -1 and 1")
            paths.set_path(statement, mapping.path, paths.jsonable(value))
        except paths.ValueRefused as exc:
            raise paths.ValueRefused(f"{where}: {exc}") from None
    object_id = statement["object"]["id"]
    if iri_base and not object_id.startswith(iri_base):
        column = columns[paths.OBJECT_ID]
        raise paths.ValueRefused(
            f"line {line}, column {column!r} (object.id): {object_id!r} is not under the activity IRI base {iri_base!r}"
        )
    course_id = unquote(object_id[len(iri_base) :]) if iri_base else object_id
    return Statement(
        line=line,
        statement=statement,
        email=statement["actor"]["mbox"][len("mailto:") :],
        verb=statement["verb"]["id"],
        course_id=course_id,
        columns=columns,
    )


def _learner_of(row: dict[str, str], mappings) -> str:
    """The e-mail of a refused row's learner for its report line (as the user import names the person):
    the actor column's e-mail, its raw text when it is not one."""
    column = next((mapping.column for mapping in mappings if mapping.path == paths.ACTOR_MBOX), None)
    raw = (row.get(column) or "").strip() if column else ""
    try:
        return paths.mbox_email(raw) if raw else ""
    except paths.ValueRefused:
        return raw


def _is_uuid(value) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def report_of(item: Statement) -> tuple[bool, Decimal | None, object, str]:
    """(passed, percent, completed at, certificate grade) of a recognised statement."""
    statement = item.statement
    success = paths.get_path(statement, "result.success")
    passed = item.verb in verbs.COMPLETING and success is not False
    scaled = paths.get_path(statement, "result.score.scaled")
    percent = None
    if scaled is not None:
        percent = min(max(Decimal(str(scaled)), Decimal(0)), Decimal(1)).quantize(Decimal("0.0001"))
    timestamp = statement.get("timestamp")
    completed_at = paths.parse_date(timestamp) if timestamp else None
    grade = f"{percent.normalize():f}" if percent is not None else "Pass"
    return passed, percent, completed_at, grade


def import_statements(
    *,
    configuration: XAPIImportConfiguration,
    trigger: str = Run.Trigger.COMMAND,
    api_user=None,
    run: Run | None = None,
    progress=None,
) -> ImportResult:
    """Import the configuration's file; ``run``: one already started (a queued run), else one is.

    The run handling is the import pipeline's (``ImportRun``, decision 0412), as the SFTP user
    import's: the run's counts are written after each chunk of rows (``runs.LiveCounts``, decision
    0140); refused rows are lines of the run's error report; a refused file fails the run with
    nothing imported. ``progress`` (a ``Progress``) shows a bar of the rows done.
    """
    handling = ImportRun(
        configuration, STATEMENT_IMPORT, trigger=trigger, api_user=api_user, run=run, progress=progress
    )
    result = ImportResult(run=handling.run, path=configuration.remote_path())
    # ImportRefused: this module's (invalid_file) and the CSV source's.
    with handling.attempt(refused=(drop.DropError, ImportRefused), what="xAPI import"):
        mappings = list(configuration.mappings.all())
        problems = configuration.run_errors(mappings)
        if problems:
            raise ImportRefused(" ".join(problems), code=INVALID_FILE)
        conditions = filters.conditions(configuration.filters.all(), mappings)
        content = drop.read_file(configuration, result.path)
        if content is not None:
            result.found = True
            with transaction.atomic():
                _import(configuration, content, mappings, conditions, result, handling)
    if handling.refused is not None:
        result.errors = [RowError(0, str(handling.refused))]
        return result
    # Committed: only now is the file removed.
    error_code = error_message = ""
    if result.found:
        result.deleted, error_code, error_message = handling.remove_files(
            [result.path], failure="Imported, but the file was not deleted"
        )
    else:
        error_message = f"No file {result.path} on the server: nothing to import."
    skipped = sum(result.skipped.values())
    handling.finish(
        error_code=error_code,
        error_message=error_message,
        selected=result.imported + skipped + len(result.errors),
        sent=result.imported,
        failed=len(result.errors),
        skip_reasons=dict(result.skipped),
    )
    return result


def _report(live: runs.LiveCounts, result: ImportResult) -> None:
    """Write the counts so far: every row is, in the end, imported, skipped or failed."""
    skipped = sum(result.skipped.values())
    failed = len(result.errors)
    live.update(sent=result.imported, skipped=skipped, failed=failed, processed=result.imported + skipped + failed)


def _import(configuration, content: bytes, mappings, conditions, result: ImportResult, handling: ImportRun) -> None:
    live = handling.live
    header, rows = parse_rows(content, source=result.path, mappings=mappings)
    unknown = [
        f"{condition.name!r} ({condition.column!r})" for condition in conditions if condition.column not in header
    ]
    if unknown:
        raise ImportRefused(
            f"{result.path}: the filter(s) {', '.join(unknown)} name no column of the file.", code=INVALID_FILE
        )
    result.rows = len(rows)
    live.start(total=len(rows), description=f"{configuration} import")
    live.update(selected=len(rows), processed=0)
    seen: set[uuid.UUID] = set()
    recognised: list[Statement] = []
    for index, (line, row) in enumerate(rows, start=1):
        if index % CHUNK_SIZE == 0:
            _report(live, result)
        try:
            kept = all(condition.matches(row) for condition in conditions)
        except paths.ValueRefused as exc:
            result.errors.append(RowError(line, f"line {line}: filter on a value that does not parse: {exc}"))
            continue
        if not kept:
            result.skip(Skip.FILTERED_OUT)
            continue
        try:
            item = build_statement(line, row, mappings=mappings, iri_base=configuration.activity_iri_base)
        except paths.ValueRefused as exc:
            result.errors.append(RowError(line, str(exc), email=_learner_of(row, mappings)))
            continue
        identity = statements.identity(item.statement)
        if identity in seen:
            result.skip(Skip.DUPLICATE)
            continue
        seen.add(identity)
        result.statements.append(item)
        if item.verb in verbs.RECOGNISED:
            recognised.append(item)
        else:
            result.skip(Skip.VERB_NOT_RECOGNISED)
    _report(live, result)
    # Every statement is kept, recognised verb or not (decision 0232); the same id again adds nothing.
    statements.store(
        configuration.customer_id,
        (item.statement for item in result.statements),
        source=XAPIStatement.Source.IMPORTED,
        run=result.run,
    )
    _record(configuration, recognised, result, live)
    for error in result.errors:  # in the order of the file's lines, as the user import's report
        handling.errors.add(
            error.email, f"{result.path}, {error.message}", course_id=error.course_id, code="invalid_row"
        )
    handling.errors.flush()


def _record(configuration, statements: list[Statement], result: ImportResult, live) -> None:
    emails = {item.email for item in statements}
    learners = dict(
        EnterpriseCustomerUser.objects.annotate(email_lower=Lower("user__email"))
        .filter(customer_id=configuration.customer_id, linked=True, email_lower__in=emails)
        .values_list("email_lower", "user_id")
    )
    # One completion per (learner, course): the latest statement (by timestamp, then line) wins.
    latest: dict[tuple[int, str], Statement] = {}
    for item in statements:
        user_id = learners.get(item.email)
        if user_id is None:
            column = item.columns[paths.ACTOR_MBOX]
            result.errors.append(
                RowError(
                    item.line,
                    f"line {item.line}, column {column!r} (actor.mbox): {item.email} is not a learner of "
                    f"{configuration.customer}",
                    email=item.email,
                    course_id=item.course_id,
                )
            )
            continue
        key = (user_id, item.course_id)
        previous = latest.get(key)
        if previous is not None and _moment(previous) > _moment(item):
            result.skip(Skip.SUPERSEDED)
            continue
        if previous is not None:
            result.skip(Skip.SUPERSEDED)
        latest[key] = item
    _report(live, result)
    now = timezone.now()
    items = list(latest.items())
    for start in range(0, len(items), CHUNK_SIZE):
        chunk = items[start : start + CHUNK_SIZE]
        reports = []
        for (user_id, course_id), item in chunk:
            passed, percent, completed_at, grade = report_of(item)
            reports.append(
                CompletionReport(
                    user_id=user_id,
                    course_id=course_id,
                    passed=passed,
                    percent=percent,
                    completed_at=completed_at,
                    certificate_grade=grade,
                )
            )
        recorded = record_completions(reports=reports, now=now)
        for (_user_id, course_id), item in chunk:
            if course_id in recorded.unknown_courses:
                column = item.columns[paths.OBJECT_ID]
                result.errors.append(
                    RowError(
                        item.line,
                        f"line {item.line}, column {column!r} (object.id): unknown course {course_id!r}",
                        email=item.email,
                        course_id=course_id,
                    )
                )
        result.imported += recorded.created + recorded.updated
        result.skip(Skip.UNCHANGED, recorded.unchanged)
        _report(live, result)
    result.errors.sort(key=lambda error: error.line)


def _moment(item: Statement) -> datetime.datetime:
    timestamp = item.statement.get("timestamp")
    return paths.parse_date(timestamp) if timestamp else datetime.datetime.min.replace(tzinfo=datetime.UTC)
