"""The Harvard ManageMentor files read as records (decision 0244: the columns this connector reads).

``hmm12_metadata.csv``: one course per row — ``course_id``, ``title`` (required), ``description``,
``language``, ``duration_minutes``, ``launch_url``, ``topics`` (tags separated by semicolons).
``client_hmm12_yyyyMMdd.csv``: one learner and course per row — ``email``, ``course_id`` (required),
``first_access``, ``last_access``, ``time_spent_minutes``, ``percent_complete`` (0-100),
``completion_date``. A cell that does not parse fails its file, named with the row (decision 0242).
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
    csv_table,
    date_of,
    number_of,
)
from integrated_channels.integrated_channel.services.content_runs import Batch

PROVIDER = "hmm"
METADATA_FILE = "hmm12_metadata.csv"
USER_FEED = re.compile(r"client_hmm12_(\d{8})\.csv", re.IGNORECASE)
COURSE_COLUMNS = ("course_id", "title")
COURSE_OPTIONAL = ("description", "language", "duration_minutes", "launch_url", "topics")
PROGRESS_COLUMNS = ("email", "course_id")
PROGRESS_OPTIONAL = ("first_access", "last_access", "time_spent_minutes", "percent_complete", "completion_date")


def feed_date(path: str) -> datetime.date | None:
    """The date in a user feed's name (client_hmm12_yyyyMMdd.csv), None when it is not one."""
    match = USER_FEED.fullmatch(posixpath.basename(path))
    if not match:
        return None
    try:
        return datetime.datetime.strptime(match.group(1), "%Y%m%d").date()
    except ValueError:
        return None


def courses_batch(path: str, content: bytes) -> Batch:
    """The metadata file as a batch, parsed only when a run reads it (decision 0455: a file imported before
    with the same bytes is skipped unread)."""
    name = posixpath.basename(path)

    def load(batch: Batch) -> None:
        try:
            rows = csv_table(content, source=name, required=COURSE_COLUMNS, optional=COURSE_OPTIONAL)
            batch.courses = [_course(name, line, row) for line, row in rows]
        except (FileRefused, CellRefused) as exc:
            batch.courses, batch.error = [], str(exc)

    return Batch(name=name, key=name, fingerprint=digest(content), load=load)


def _course(name: str, line: int, row: dict[str, str]) -> CourseRecord:
    minutes = number_of(row.get("duration_minutes", ""), where=f"{name}, line {line}, column 'duration_minutes'")
    return CourseRecord(
        provider_id=row["course_id"],
        title=row["title"],
        description=row.get("description", ""),
        language=row.get("language", ""),
        duration_seconds=int(minutes * 60) if minutes is not None else None,
        launch_url=row.get("launch_url", ""),
        tags=tuple(tag.strip() for tag in row.get("topics", "").split(";") if tag.strip()),
        source=f"{name}, line {line}",
    )


def progress_batch(path: str, content: bytes) -> Batch:
    """A user feed as a batch, parsed only when a run reads it."""
    name = posixpath.basename(path)

    def load(batch: Batch) -> None:
        try:
            rows = csv_table(content, source=name, required=PROGRESS_COLUMNS, optional=PROGRESS_OPTIONAL)
            batch.progress = [_progress(name, line, row) for line, row in rows]
        except (FileRefused, CellRefused) as exc:
            batch.progress, batch.error = [], str(exc)

    return Batch(name=name, key=name, fingerprint=digest(content), load=load)


def _progress(name: str, line: int, row: dict[str, str]) -> ProgressRecord:
    def where(column: str) -> str:
        return f"{name}, line {line}, column {column!r}"

    percent = number_of(row.get("percent_complete", ""), where=where("percent_complete"), maximum=Decimal(100))
    minutes = number_of(row.get("time_spent_minutes", ""), where=where("time_spent_minutes"))
    return ProgressRecord(
        email=row["email"],
        provider_id=row["course_id"],
        first_activity=date_of(row.get("first_access", ""), where=where("first_access")),
        last_activity=date_of(row.get("last_access", ""), where=where("last_access")),
        time_spent_seconds=int(minutes * 60) if minutes is not None else None,
        percent=(percent / 100).quantize(Decimal("0.0001")) if percent is not None else None,
        completed_at=date_of(row.get("completion_date", ""), where=where("completion_date")),
        source=f"{name}, line {line}",
    )
