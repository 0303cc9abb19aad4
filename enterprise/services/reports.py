"""The per-row report of a Manage Learners submission as CSV, safe to open in a spreadsheet
(cells that would start a formula are escaped, ``enterprise.csv_safety.escape_cell``)."""

from __future__ import annotations

import csv
import io
import tempfile

from django.core.files import File

from enterprise.csv_safety import escape_cell
from enterprise.services.enrollment import outcome_label
from enterprise.services.manage_learners import SubmissionResult

HEADER = ("line", "value", "email", "status", "message", "enrollment", "enrollment_message", "notified")


def write_report(result: SubmissionResult, out) -> None:
    """Write every row of ``result`` to the text stream ``out``."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    previewing = result.previewing
    for row in result.rows:
        writer.writerow(
            [
                row.line,
                escape_cell(row.value),
                escape_cell(row.email),
                row.status.label(dry_run=previewing) if row.status else "",
                escape_cell(row.message),
                _enrollment_label(row, previewing),
                escape_cell(row.enrollment_message),
                "yes" if row.notified else "",
            ]
        )


def _enrollment_label(row, previewing: bool) -> str:
    return outcome_label(row.enrollment, dry_run=previewing)


def report_file(result: SubmissionResult) -> File:
    """The report as a (spooled, UTF-8 with BOM for spreadsheets) file ready for storage."""
    spool = tempfile.SpooledTemporaryFile(max_size=2 * 1024 * 1024)  # noqa: SIM115 (returned to the caller)
    text = io.TextIOWrapper(spool, encoding="utf-8-sig", newline="")
    write_report(result, text)
    text.flush()
    text.detach()
    spool.seek(0)
    return File(spool, name="report.csv")
