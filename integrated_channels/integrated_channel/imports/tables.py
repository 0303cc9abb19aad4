"""Provider feed files read as tables: CSV (the project's one CSV reader) and xlsx (openpyxl, read-only).

Each reader returns the rows of one file as ``(row number, {column: text})`` with the columns named
as the file's header names them (matched case-insensitively against ``columns``); a file that cannot
be read as the table expected raises ``FileRefused`` naming the file and, where it applies, the row and
column. Callers fail that file and go on with the next one (decision 0242). Typed cell parsers
(``date_of``, ``number_of``) raise ``CellRefused`` naming the row and column.
"""

from __future__ import annotations

import datetime
import io
import zipfile
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from enterprise.csv_safety import CsvLineError, header_and_rows
from integrated_channels.integrated_channel.imports.errors import ImportRefused


class FileRefused(ImportRefused):
    """One feed file cannot be read as the table expected: it fails alone, the run goes on."""

    code = "invalid_file"


class CellRefused(ValueError):
    """One cell does not hold the value its column needs (the row fails alone)."""


Rows = list[tuple[int, dict[str, str]]]


def _columns(source: str, header: Sequence[str], required: Sequence[str], optional: Sequence[str]) -> dict[str, str]:
    """``{expected name: the file's header name}``; ``FileRefused`` naming the required columns missing."""
    present = {name.strip().casefold(): name for name in header if name and name.strip()}
    missing = [name for name in required if name.casefold() not in present]
    if missing:
        found = ", ".join(repr(name) for name in header if name) or "none"
        raise FileRefused(f"{source}: missing column(s) {', '.join(map(repr, missing))} (columns found: {found}).")
    return {name: present[name.casefold()] for name in (*required, *optional) if name.casefold() in present}


def csv_table(content: bytes, *, source: str, required: Sequence[str], optional: Sequence[str] = ()) -> Rows:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileRefused(f"{source}: not UTF-8 text (byte {exc.start}).") from None
    try:
        header, rows = header_and_rows(io.StringIO(text, newline=""), source=source)
        names = _columns(source, header, required, optional)
        return [(line, {name: row.get(column, "").strip() for name, column in names.items()}) for line, row in rows]
    except CsvLineError as exc:
        raise FileRefused(str(exc)) from None


def xlsx_table(
    content: bytes, *, source: str, sheet: str, required: Sequence[str], optional: Sequence[str] = ()
) -> Rows:
    """The rows of ``sheet`` (its first row is the header), read in openpyxl's read-only streaming mode.

    Refused: not an xlsx workbook, no sheet of that name, a required column missing, and a formula cell
    (a feed holds values; a formula's result is not stored in a file a program wrote).
    """
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError) as exc:
        raise FileRefused(f"{source}: not an xlsx workbook ({type(exc).__name__}).") from None
    try:
        if sheet not in workbook.sheetnames:
            raise FileRefused(f"{source}: no sheet named {sheet!r} (sheets: {', '.join(workbook.sheetnames)}).")
        rows = workbook[sheet].iter_rows()
        header_cells = next(rows, ())
        header = ["" if cell.value is None else str(cell.value).strip() for cell in header_cells]
        names = _columns(source, header, required, optional)
        index = {name: header.index(column) for name, column in names.items()}
        table: Rows = []
        for number, cells in enumerate(rows, start=2):
            values = {}
            for name, position in index.items():
                cell = cells[position] if position < len(cells) else None
                value = getattr(cell, "value", None)
                if getattr(cell, "data_type", "") == "f":
                    raise FileRefused(
                        f"{source}, row {number}, column {names[name]!r}: a formula ({value}), not a value."
                    )
                values[name] = _text(value)
            if any(values.values()):
                table.append((number, values))
        return table
    finally:
        workbook.close()


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def date_of(text: str, *, where: str, formats: Sequence[str] = ()) -> datetime.datetime | None:
    """An aware datetime (UTC when the text names no offset) from ISO 8601 (yyyy-MM-dd, with or without a
    time) or one of ``formats`` (``strptime`` patterns); None if empty."""
    if not text:
        return None
    try:
        value = datetime.datetime.fromisoformat(text)  # C code: most feeds' dates are ISO
    except ValueError:
        value = None
    for pattern in formats if value is None else ():
        try:
            value = datetime.datetime.strptime(text, pattern)
        except ValueError:
            continue
        break
    if value is None:
        raise CellRefused(f"{where}: {text!r} is not a date (expected yyyy-MM-dd or ISO 8601)")
    return value if value.tzinfo else value.replace(tzinfo=datetime.UTC)


def number_of(
    text: str, *, where: str, minimum: Decimal = Decimal(0), maximum: Decimal | None = None
) -> Decimal | None:
    if not text:
        return None
    try:
        value = Decimal(text.replace(",", ".").rstrip("%").strip())
    except InvalidOperation:
        raise CellRefused(f"{where}: {text!r} is not a number") from None
    if not value.is_finite() or value < minimum or (maximum is not None and value > maximum):
        bounds = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
        raise CellRefused(f"{where}: {text!r} is not a number {bounds}")
    return value
