"""The xAPI activity report: stored xAPI statements, one row each, columns from configured JSON paths (decision 0350).

The rows are the customer's statements of the statement store (``xapi.XAPIStatement``, decision
0232) stored in the run's window, in id order (the key), so an interrupted push resumes after the
last row Power BI accepted, as the other reports do. Each connection configures its columns
(``XAPIColumn``: name, dotted JSON path, type); without any, ``DEFAULT_COLUMNS`` are used. A
statement lacking a path, or holding a value not of the column's type, gets ``N/A`` in a text
column and an empty value in a typed one, whose name the row's ``NotAvailable`` column then lists
(Power BI refuses a string in a number, date-time or boolean column): the export never fails on it.
"""

from __future__ import annotations

import datetime
import json
import math
import re

from integrated_channels.integrated_channel.exporters.reports import Selection
from integrated_channels.powerbi import reports
from integrated_channels.xapi import paths

OPERATION = "xapi_export"
TABLE_NAME = "xAPI activity"
NOT_AVAILABLE = "N/A"
FIXED = (
    ("StatementId", reports.STRING, "The statement's id (a statement is pushed by the window it was stored in)."),
    ("Stored", reports.DATETIME, "When the platform stored the statement (the windows are on this moment)."),
)
TRAILING = (
    ("NotAvailable", reports.STRING, 'The configured columns this statement has no value for ("N/A" or empty).'),
    ("RecordedAt", reports.DATETIME, "The end of the run's window."),
)
RESERVED = {name.lower() for name, _t, _d in (*FIXED, *TRAILING)}
POWERBI_TYPES = {
    "text": reports.STRING,
    "number": reports.DOUBLE,
    "datetime": reports.DATETIME,
    "boolean": reports.BOOL,
}
#: (name, path, type): the table's columns while a connection configures none.
DEFAULT_COLUMNS = (
    ("Actor", "actor.mbox", "text"),
    ("Verb", "verb.id", "text"),
    ("ObjectId", "object.id", "text"),
    ("Timestamp", "timestamp", "datetime"),
)
NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9 _-]{0,99}$")
#: The known paths' kinds (``xapi.paths.KNOWN``) in this report's types.
_KNOWN = {"string": "text", "number": "number", "boolean": "boolean", "date": "datetime"}


def name_error(name: str) -> str:
    """Why ``name`` cannot be a configured column's name; "" when it can."""
    if not NAME_RE.match(name):
        return "A column name starts with a letter and holds letters, digits, spaces, _ or - (at most 100)."
    if name.lower() in RESERVED:
        return f"{name} is a column the report always has; choose another name."
    return ""


def path_error(path: str, value_type: str) -> str:
    """Why ``path`` cannot be read as ``value_type``; "" when it can (a text column reads any path)."""
    if value_type not in POWERBI_TYPES:
        return f"Unknown type {value_type!r} (one of {', '.join(POWERBI_TYPES)})."
    if not paths.PATH_RE.match(path) or path.split(".", 1)[0] not in paths.ROOTS:
        return (
            f"{path!r} is not a JSON path into an xAPI statement: dotted names, starting with one of "
            f"{', '.join(paths.ROOTS)} (e.g. result.score.scaled)."
        )
    known = _KNOWN.get(paths.KNOWN.get(path, ""))
    if known and value_type != "text" and value_type != known:
        return f"{path} holds a {known} value, not a {value_type} one (or choose text)."
    return ""


def columns_of(connection) -> list[tuple[str, str, str]]:
    configured = [(c.name, c.path, c.value_type) for c in connection.xapi_columns.all()]
    return configured or list(DEFAULT_COLUMNS)


def table_for(connection) -> reports.Table:
    configured = tuple(
        (name, POWERBI_TYPES[kind], f"{kind} from {path}") for name, path, kind in columns_of(connection)
    )
    return reports.Table(OPERATION, TABLE_NAME, (*FIXED, *configured, *TRAILING))


_MISSING = object()


def _read(statement, path: str):
    for name in path.split("."):
        if not isinstance(statement, dict) or name not in statement:
            return _MISSING
        statement = statement[name]
    return _MISSING if statement is None else statement


def typed(value, kind: str):
    """The Power BI value of ``value`` read for a ``kind`` column; ``_MISSING`` when it is not of that type."""
    if value is _MISSING:
        return _MISSING
    if kind == "text":
        return value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    if kind == "number":
        if isinstance(value, bool):
            return _MISSING
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                return _MISSING
        if isinstance(value, int | float) and math.isfinite(value):
            return value
        return _MISSING
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        lowered = str(value).strip().lower() if isinstance(value, str) else None
        return True if lowered in ("true",) else False if lowered in ("false",) else _MISSING
    if kind == "datetime":
        if not isinstance(value, str):
            return _MISSING
        try:
            moment = paths.parse_date(value)
        except paths.ValueRefused:
            return _MISSING
        return moment.astimezone(datetime.UTC).isoformat()
    return _MISSING


def selection(connection, since, until) -> Selection:
    from integrated_channels.xapi.models import XAPIStatement

    columns = columns_of(connection)
    statements = XAPIStatement.objects.filter(customer_id=connection.customer_id, stored__lte=until)
    if since is not None:
        statements = statements.filter(stored__gt=since)
    recorded = until.astimezone(datetime.UTC).isoformat()

    def rows():
        for pk, statement_id, stored, raw in (
            statements.order_by("pk").values_list("pk", "statement_id", "stored", "raw").iterator(chunk_size=2000)
        ):
            row = {"StatementId": str(statement_id), "Stored": stored.astimezone(datetime.UTC).isoformat()}
            absent = []
            for name, path, kind in columns:
                value = typed(_read(raw, path), kind)
                if value is _MISSING:
                    absent.append(name)
                    value = NOT_AVAILABLE if kind == "text" else None
                row[name] = value
            row["NotAvailable"] = ", ".join(absent)
            row["RecordedAt"] = recorded
            yield f"{pk:012d}", row

    return Selection(rows())
