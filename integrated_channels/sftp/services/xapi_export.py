"""Export of xAPI activity to a drop: the statements the platform holds for the customer, for a date range
(issue 15 item 4, decision 0232).

Reads the statement store (``xapi.statements``: every statement imported from a drop or sent to an
LRS), by the statements' timestamps in ``[from, to]`` (whole days, current time zone), and writes
``<base>/export/xapi_activity_<from>_to_<to>.csv`` — or ``.zip`` holding it when the connection zips
exports, as the seed's December 2020 note gives for "Learner Transcripts, xAPI". One row per
statement: its id, timestamp, actor, verb, object, the common result fields, and the whole
statement as JSON (the column a tool reads anything else from). Cells are escaped against
formula injection like the other exports'.
"""

from __future__ import annotations

import datetime
import json
import logging

from integrated_channels.sftp.operations import XAPI_EXPORT
from integrated_channels.sftp.services.export import ExportFile, ExportRange, range_export

logger = logging.getLogger(__name__)

XAPI_COLUMNS = (
    "statement_id",
    "timestamp",
    "actor",
    "verb",
    "verb_display",
    "object_id",
    "object_name",
    "result_completion",
    "result_success",
    "result_score_scaled",
    "result_duration",
    "source",
    "statement",
)


def xapi_name(date_from: datetime.date, date_to: datetime.date) -> str:
    return f"xapi_activity_{date_from:%Y-%m-%d}_to_{date_to:%Y-%m-%d}.csv"


def _first(mapping) -> str:
    """The first value of a language map (en-US preferred)."""
    if not isinstance(mapping, dict) or not mapping:
        return ""
    return str(mapping.get("en-US") or next(iter(mapping.values())))


def _flag(value) -> str:
    return "" if value is None else ("true" if value else "false")


def statement_row(timestamp, source: str, raw: dict) -> dict:
    result = raw.get("result") or {}
    score = (result.get("score") or {}) if isinstance(result, dict) else {}
    target = raw.get("object") or {}
    actor = raw.get("actor") or {}
    return {
        "statement_id": raw.get("id", ""),
        "timestamp": timestamp.isoformat(),
        "actor": actor.get("mbox") or (actor.get("account") or {}).get("name") or actor.get("name", ""),
        "verb": (raw.get("verb") or {}).get("id", ""),
        "verb_display": _first((raw.get("verb") or {}).get("display")),
        "object_id": target.get("id", ""),
        "object_name": _first((target.get("definition") or {}).get("name")),
        "result_completion": _flag(result.get("completion")) if isinstance(result, dict) else "",
        "result_success": _flag(result.get("success")) if isinstance(result, dict) else "",
        "result_score_scaled": "" if score.get("scaled") is None else score["scaled"],
        "result_duration": result.get("duration", "") if isinstance(result, dict) else "",
        "source": source,
        "statement": json.dumps(raw, sort_keys=True, separators=(",", ":")),
    }


def select_xapi_activity(export: ExportRange) -> ExportFile:
    """The customer's statements timestamped in the range, one row each."""
    from integrated_channels.xapi import statements

    rows = [
        statement_row(timestamp, source, raw)
        for timestamp, source, raw in statements.in_range(export.configuration.customer_id, export.start, export.end)
        .values_list("timestamp", "source", "raw")
        .iterator(chunk_size=2000)
    ]
    return ExportFile(
        name=xapi_name(export.date_from, export.date_to), columns=XAPI_COLUMNS, rows=rows, skipped=0, skip_reasons={}
    )


export_xapi_activity = range_export(
    XAPI_EXPORT, select_xapi_activity, label="xAPI activity", what="xAPI activity export", log=logger
)
