"""A run's error report as CSV: one line per record that failed, was not attempted or was skipped
for a reason an operator can act on, plus one line for the run itself when it failed.

Cells a spreadsheet would run as a formula are prefixed with a quote
(``enterprise.csv_safety.escape_cell``), so a remote message cannot inject a formula (CSV
injection). Messages hold no secrets: transports redact them before they are stored.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator

from enterprise.csv_safety import escape_cell
from integrated_channels.integrated_channel.models import Run, RunError

HEADER = [
    "run",
    "outcome",
    "username",
    "email",
    "remote id",
    "course id",
    "error code",
    "http status",
    "message",
    "retry may help",
    "learner unlinked",
    "at",
]


def report_rows(run: Run) -> Iterator[list[str]]:
    yield HEADER
    errors = RunError.objects.filter(run=run).order_by("id")
    for error in errors.iterator(chunk_size=2000):
        yield [
            escape_cell(cell)
            for cell in (
                run.pk,
                error.get_outcome_display(),
                error.username,
                error.email,
                error.remote_id,
                error.course_id,
                error.code,
                error.status_code or "",
                error.message,
                "yes" if error.transient else "no",
                "yes" if error.learner_unlinked else "no",
                error.created.isoformat(timespec="seconds"),
            )
        ]


class _Echo:
    def write(self, value):
        return value


def stream_csv(run: Run) -> Iterator[str]:
    """The report as CSV text chunks (UTF-8 byte-order mark first, for spreadsheets)."""
    writer = csv.writer(_Echo())
    yield "\ufeff"
    for row in report_rows(run):
        yield writer.writerow(row)


def filename(run: Run) -> str:
    return f"run-{run.pk}-{run.channel.lower()}-{run.kind}-errors.csv"
