"""The per-row report of a Manage Learners submission as CSV, safe to open in a spreadsheet
(cells that would start a formula are escaped, ``enterprise.csv_safety.escape_cell``)."""

from __future__ import annotations

import csv
import io
import tempfile

from django.core.files import File

from enterprise.csv_safety import escape_cell
from enterprise.services.bulk_link import RowStatus
from enterprise.services.enrollment import outcome_label
from enterprise.services.manage_learners import SubmissionResult

HEADER = ("line", "value", "email", "status", "message", "enrollment", "enrollment_message", "notified")


def write_report(result: SubmissionResult, out) -> None:
    """Write every row of ``result`` to the text stream ``out`` (read back from the result's spooled
    report for a CSV submission, so the rows are never all in memory)."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    previewing = result.previewing
    for line, value, email, status, message, enrollment, enrollment_message, notified in result.report_rows():
        writer.writerow(
            [
                line,
                escape_cell(value),
                escape_cell(email),
                RowStatus(status).label(dry_run=previewing) if status else "",
                escape_cell(message),
                outcome_label(enrollment, dry_run=previewing),
                escape_cell(enrollment_message),
                "yes" if notified else "",
            ]
        )


def report_file(result: SubmissionResult) -> File:
    """The report as a (spooled, UTF-8 with BOM for spreadsheets) file ready for storage."""
    spool = tempfile.SpooledTemporaryFile(max_size=2 * 1024 * 1024)  # noqa: SIM115 (returned to the caller)
    text = io.TextIOWrapper(spool, encoding="utf-8-sig", newline="")
    write_report(result, text)
    text.flush()
    text.detach()
    spool.seek(0)
    return File(spool, name="report.csv")
