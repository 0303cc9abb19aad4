"""getAbstract's user feeds (decision 0246): ``report_export_yyyy_MM_dd[_HHmmss].xlsx`` on the file drop.

Each feed is read with openpyxl in read-only mode, from the connection's sheet: one row per summary a
learner consumed — ``Email``, ``Summary ID``, ``Consumed At`` required; ``Title``, ``Time Spent
(minutes)`` optional. A consumed summary is a completed course. A file that cannot be read (not a
workbook, another sheet, a column missing, a date in another format, a formula) fails alone, named with
its row.
"""

from __future__ import annotations

import datetime
import posixpath
import re
from decimal import Decimal

from enterprise.lms.content.pages import digest
from enterprise.lms.content.services import CourseRecord, ProgressRecord
from integrated_channels.integrated_channel.imports.tables import (
    CellRefused,
    FileRefused,
    date_of,
    number_of,
    xlsx_table,
)
from integrated_channels.integrated_channel.services.content_runs import Batch

PROVIDER = "getabstract"
FEED = re.compile(r"report_export_(\d{4})_(\d{2})_(\d{2})(?:_(\d{6}))?\.xlsx", re.IGNORECASE)
REQUIRED = ("Email", "Summary ID", "Consumed At")
OPTIONAL = ("Title", "Time Spent (minutes)")


def feed_moment(path: str) -> datetime.datetime | None:
    """When the feed was exported, from its name; None when the name is not a feed's."""
    match = FEED.fullmatch(posixpath.basename(path))
    if not match:
        return None
    year, month, day, clock = match.groups()
    try:
        moment = datetime.datetime.strptime(f"{year}{month}{day}{clock or '000000'}", "%Y%m%d%H%M%S")
    except ValueError:
        return None
    return moment.replace(tzinfo=datetime.UTC)


def usage_batch(path: str, content: bytes, *, sheet: str, summaries=None) -> Batch:
    """A feed as a batch, read only when a run reads it (decision 0455: a feed imported before with the same
    bytes is skipped unread). ``summaries(ids)``: the course records of the summaries of ``ids`` the catalog
    lacks (the API's metadata), added to the batch before its usage."""
    name = posixpath.basename(path)

    def load(batch: Batch) -> None:
        try:
            rows = xlsx_table(content, source=name, sheet=sheet, required=REQUIRED, optional=OPTIONAL)
            batch.progress = [_usage(name, number, row) for number, row in rows]
        except (FileRefused, CellRefused) as exc:
            batch.progress, batch.error = [], str(exc)
            return
        if summaries is not None:
            batch.courses = summaries({record.provider_id for record in batch.progress}, batch)

    return Batch(name=name, key=name, fingerprint=digest(content), load=load)


def _usage(name: str, number: int, row: dict[str, str]) -> ProgressRecord:
    def where(column: str) -> str:
        return f"{name}, row {number}, column {column!r}"

    summary = row["Summary ID"]
    if not summary.isdigit():
        raise CellRefused(f"{where('Summary ID')}: {summary!r} is not a summary id")
    consumed = date_of(row["Consumed At"], where=where("Consumed At"))
    if consumed is None:
        raise CellRefused(f"{where('Consumed At')}: empty")
    minutes = number_of(row.get("Time Spent (minutes)", ""), where=where("Time Spent (minutes)"))
    return ProgressRecord(
        email=row["Email"],
        provider_id=summary,
        first_activity=consumed,
        last_activity=consumed,
        time_spent_seconds=int(minutes * 60) if minutes is not None else None,
        percent=Decimal(1),
        completed_at=consumed,
        source=f"{name}, row {number}",
    )


def course_of(item: dict, *, source: str) -> CourseRecord:
    minutes = item.get("readingTimeMinutes")
    return CourseRecord(
        provider_id=str(item.get("id") or ""),
        title=str(item.get("title") or ""),
        description=str(item.get("abstract") or ""),
        language=str(item.get("language") or ""),
        duration_seconds=minutes * 60 if isinstance(minutes, int) and minutes >= 0 else None,
        launch_url=str(item.get("url") or ""),
        tags=tuple(str(tag) for tag in item.get("tags") or () if tag),
        retired=item.get("active") is False,
        source=source,
    )
