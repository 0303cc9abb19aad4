"""Reading a CSV upload of e-mail addresses: streamed, bounded, with physical line numbers.

The file is one column of addresses, header optional, UTF-8 with or without a byte-order mark,
with ``\\n``, ``\\r\\n`` or ``\\r`` line endings; blank lines are skipped. Limits are checked before
anything is read (the size) and while streaming (the number of rows), so an oversized file is
refused without being held in memory.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from enterprise.app_settings import enterprise_settings
from enterprise.csv_safety import CsvLineError, csv_records
from enterprise.exceptions import UploadRefused
from enterprise.uploads import human_size

READ_SIZE = 64 * 1024


@dataclass(frozen=True, slots=True)
class CsvRow:
    """One non-blank row: its physical line number (1-based) and its cells, stripped."""

    line: int
    cells: tuple[str, ...]


def check_upload_size(size: int | None, *, max_bytes: int | None = None) -> None:
    """Refuse a file larger than ``MANAGE_LEARNERS_MAX_UPLOAD_BYTES`` before reading it."""
    limit = enterprise_settings.MANAGE_LEARNERS_MAX_UPLOAD_BYTES if max_bytes is None else max_bytes
    if size is not None and size > limit:
        raise UploadRefused(
            f"The file is {human_size(size)}; the limit is {human_size(limit)}. Split it into smaller files.",
            size=size,
            limit=limit,
        )


def _binary_lines(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Split a byte stream on ``\\r\\n``, ``\\n`` or ``\\r``, holding at most one chunk and one line."""
    rest = b""
    for chunk in chunks:
        data = rest + chunk
        if not data:
            continue
        lines = data.splitlines(keepends=True)
        # The last line is complete only when it ends with "\n": a final "\r" may be the first
        # half of a "\r\n" split across two chunks, and anything else continues in the next one.
        rest = b"" if lines[-1].endswith(b"\n") else lines.pop()
        for line in lines:
            yield line.rstrip(b"\r\n")
    if rest:
        yield rest.rstrip(b"\r\n")


def _read_chunks(stream) -> Iterator[bytes]:
    if hasattr(stream, "chunks"):  # a Django File / UploadedFile
        yield from stream.chunks(READ_SIZE)
        return
    while chunk := stream.read(READ_SIZE):
        yield chunk


def _cells(text: str, number: int) -> tuple[str, ...]:
    if "," not in text and '"' not in text:  # one plain cell: two substring searches in C
        return (text.strip(),)
    try:
        _line, cells = next(csv_records([text], first_line=number), (number, []))
    except CsvLineError as exc:  # a field over the size limit, broken quoting: refused naming the line
        raise UploadRefused(f"{exc.message} Fix the line and upload the file again.", line=number) from None
    return tuple(cell.strip() for cell in cells)


def iter_csv_rows(stream, *, max_rows: int | None = None) -> Iterator[CsvRow]:
    """Yield the non-blank rows of a binary CSV stream (a file opened in binary or a Django File).

    Raises ``UploadRefused`` for text that is not UTF-8 or not readable as CSV (a field over the
    CSV field size limit, broken quoting), naming the line, and as soon as the row beyond
    ``MANAGE_LEARNERS_MAX_ROWS`` is met.
    """
    limit = enterprise_settings.MANAGE_LEARNERS_MAX_ROWS if max_rows is None else max_rows
    count = 0
    for number, raw in enumerate(_binary_lines(_read_chunks(stream)), start=1):
        if number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8) :]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise UploadRefused(
                f"Line {number} is not UTF-8 text (byte {exc.start + 1} of the line). Save the file as CSV UTF-8.",
                line=number,
            ) from exc
        stripped = text.strip()
        if not stripped:
            continue
        if "," not in stripped and '"' not in stripped:
            cells = (stripped,)  # one plain cell (most rows): two substring searches in C
        else:
            cells = _cells(text, number)
            if not any(cells):
                continue  # a row of empty cells (",,") is a blank line
        count += 1
        if count > limit:
            raise UploadRefused(
                f"The file has more than {limit:,} rows (line {number} is row {count:,}). Split it into smaller files.",
                line=number,
                limit=limit,
            )
        yield CsvRow(number, cells)
