"""CSV read and written safely: one reader for every file the project reads, one cell escape for
every file it writes.

Reading (decision 0160): Python's ``csv`` refuses a field longer than ``csv.field_size_limit()``
(131,072 characters unless changed) and other malformed input with a bare ``csv.Error`` that
names no line. ``csv_records`` turns each of them into ``CsvLineError`` naming the physical
line where the record starts, which callers report as their own refusal (an upload refused with
a 400 or a form error, an import file failed in its run). The limit is kept: no legitimate cell
of these files (an e-mail address, an attribute, a statement value) comes near it.

Writing (decision 0065, revised by 0161): ``escape_cell`` is the one formula escape of the
exports (Manage Learners reports, run error reports, SFTP transcript and skills exports).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

from enterprise.exceptions import EnterpriseError

#: A cell starting with one of these is read as a formula by a spreadsheet (OWASP's list: = + - @
#: tab and carriage return; a line feed too, which some spreadsheets skip before a formula) or is
#: the full-width form of one of them, which some spreadsheets normalise to it (decision 0161).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def escape_cell(value) -> str:
    """``value`` as text a spreadsheet shows as text: a leading apostrophe before a formula start."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class CsvLineError(EnterpriseError, ValueError):
    """A line of a CSV file cannot be read: a field over the size limit or malformed quoting."""

    code = "malformed_csv"
    default_message = "The file is not valid CSV."

    def __init__(self, message: str, *, line: int):
        self.line = line
        super().__init__(message, line=line)


def _reason(exc: csv.Error) -> str:
    text = str(exc)
    if "field larger than field limit" in text:
        return f"a field is longer than {csv.field_size_limit():,} characters, the most a CSV field may hold"
    return f"malformed CSV ({text})"


def csv_records(lines: Iterable[str], *, source: str = "", first_line: int = 1) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(line, cells)`` for each record of ``lines`` (text lines, e.g. ``io.StringIO(text,
    newline="")``); ``line`` is the physical line where the record starts (a quoted field may span
    several), counted from ``first_line``. Blank lines are yielded with no cells. Raises
    ``CsvLineError`` naming ``source`` (when given) and the line of the first unreadable record.
    """
    reader = csv.reader(lines)
    read = first_line - 1  # physical lines consumed so far
    while True:
        start = read + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            where = f"{source}, line {start}" if source else f"Line {start}"
            raise CsvLineError(f"{where}: {_reason(exc)}.", line=start) from None
        read = first_line - 1 + reader.line_num
        yield start, cells


def header_and_rows(
    lines: Iterable[str], *, source: str = ""
) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]]]:
    """The stripped header (first record) and an iterator of ``(line, {column: value})`` of the
    non-blank rows after it; a missing value is ``""`` and values beyond the header are dropped.
    Raises ``CsvLineError`` (as ``csv_records``), for the header at once, for a row when reached.
    """
    records = csv_records(lines, source=source)
    header: list[str] = []
    for _line, cells in records:
        if cells:
            header = [name.strip() for name in cells]
            break

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        for line, cells in records:
            if not any(cell.strip() for cell in cells):
                continue
            yield line, {name: cells[index] if index < len(cells) else "" for index, name in enumerate(header)}

    return header, rows()
