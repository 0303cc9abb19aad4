"""Where imported rows come from: the ``Source`` protocol and the sources every connector shares.

A source offers ``columns()`` (for the mapping screen and Test connection) and ``rows()``, an
iterator of rows — dicts of column → text — read as they are needed: a file is decoded line by
line, a paged API fetched page by page, so a source of a million people never sits in memory.
Each row is a ``Row`` (a dict) that also knows ``where`` it comes from (file and line, page and
item) for the error report. ``required`` (column → why: "mapped to 'manager'", set by the
pipeline before reading) lets a source refuse at once a file that lacks a column it needs.

- ``CsvFilesSource``: one or more CSV files with a header (UTF-8, with or without a byte-order
  mark), as the SFTP import reads them: blank rows skipped, cells stripped.
- ``PagedJsonSource``: a paged HTTP JSON API through the project's HTTP transport (retries,
  Retry-After, timeouts, typed errors): the items at ``items_path`` of each page, the next page
  by a next link (``next_path``, absolute or relative URL) or by page number (``page_param``)
  until a page comes back empty. Nested objects are flattened to dotted columns
  (``manager.email``).
SOAP sources (Workday) implement the same protocol later. ``ReadingTransport`` is the HTTP
transport of a source whose connector needs nothing more than the shared one (no own auth).
"""

from __future__ import annotations

import codecs
import io
import queue
import threading
from collections.abc import Iterable, Iterator, Mapping
from typing import IO, Protocol
from urllib.parse import urljoin

from enterprise.csv_safety import CsvLineError, csv_records
from integrated_channels.integrated_channel.imports.errors import ImportRefused
from integrated_channels.integrated_channel.transports.http import HttpTransport


class Row(dict):
    """One source row: column → text, and where it comes from."""

    __slots__ = ("line", "where")

    def __init__(self, values, where: str, line: int = 0):
        super().__init__(values)
        self.where = where
        self.line = line  # the physical line of a file's row (0 for other sources)


class Source(Protocol):
    required: Mapping[str, str]

    def columns(self) -> list[str]: ...

    def rows(self) -> Iterator[Row]: ...


def _missing(required: Mapping[str, str], present: Iterable[str], *, where: str) -> None:
    present = set(present)
    absent = [f"column {column!r} ({why}) is missing" for column, why in required.items() if column not in present]
    if absent:
        raise ImportRefused(f"{where}: {'; '.join(absent)}.", code="invalid_files")


class CsvFilesSource:
    """CSV files (name → bytes or a binary stream), read one after the other, line by line."""

    def __init__(self, files: Mapping[str, bytes | IO[bytes]], *, required: Mapping[str, str] | None = None):
        self.files = files
        self.required = dict(required or {})

    def _open(self, name: str):
        content = self.files[name]
        stream = io.BytesIO(content) if isinstance(content, bytes) else content
        if stream.seekable():
            stream.seek(0)
        return csv_records(_lines(stream, name), source=name)

    def columns(self) -> list[str]:
        """The header of the first file (every file must hold the mapped columns)."""
        for name in self.files:
            try:
                for _line, cells in self._open(name):
                    return [cell.strip() for cell in cells]
            except CsvLineError as exc:
                raise ImportRefused(exc.message, code="invalid_files") from None
            return []
        return []

    def rows(self) -> Iterator[Row]:
        for name in self.files:
            records = self._open(name)
            try:
                header = next(([cell.strip() for cell in cells] for _line, cells in records), [])
                _missing(self.required, header, where=name)
                for line, cells in records:
                    if not any(cell.strip() for cell in cells):
                        continue
                    values = {column: cell.strip() for column, cell in zip(header, cells, strict=False)}
                    if len(cells) < len(header):  # a short row: its missing cells are empty
                        values.update(dict.fromkeys(header[len(cells) :], ""))
                    yield Row(values, f"{name}, row {line}", line)
            except CsvLineError as exc:
                raise ImportRefused(exc.message, code="invalid_files") from None


def _lines(stream, name: str) -> Iterator[str]:
    """The decoded lines of a binary stream, one at a time (a line is decoded when it is read)."""
    for number, raw in enumerate(stream, start=1):
        if number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8) :]
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ImportRefused(
                f"{name}: not UTF-8 text (line {number}, byte {exc.start + 1}).", code="invalid_files"
            ) from None


_DONE = object()


def _ahead(pages: Iterator) -> Iterator:
    """``pages``, fetched one page ahead in a worker thread: the next page travels while this one is read.

    At most two pages are held (the one being read, the one fetched); an error of the fetch is
    raised here, in the reading thread, at the point where its page would have come.
    """
    slot: queue.Queue = queue.Queue(maxsize=1)
    stop = threading.Event()

    def fetch() -> None:
        try:
            for page in pages:
                while not stop.is_set():
                    try:
                        slot.put((page, None), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            slot.put((_DONE, None))
        except BaseException as exc:
            slot.put((_DONE, exc))

    worker = threading.Thread(target=fetch, name="source-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            page, error = slot.get()
            if page is _DONE:
                if error is not None:
                    raise error
                return
            yield page
    finally:
        stop.set()
        worker.join(timeout=5)


def flatten(item: Mapping, prefix: str = "") -> dict[str, str]:
    """``{"a": {"b": 1}, "c": None}`` → ``{"a.b": "1", "c": ""}``: dotted columns, text values."""
    flat: dict[str, str] = {}
    for key, value in item.items():
        column = f"{prefix}{key}" if prefix else key
        kind = type(value)  # exact types first: JSON gives str, int, float, bool, None, dict, list
        if kind is str:
            flat[column] = value.strip()
        elif kind is dict or isinstance(value, Mapping):
            flat.update(flatten(value, f"{column}."))
        elif value is None:
            flat[column] = ""
        elif kind is bool:
            flat[column] = "true" if value else "false"
        elif kind is list:
            flat[column] = ",".join(str(part) for part in value)
        else:
            flat[column] = str(value).strip()
    return flat


def _picker(columns: Iterable[str]):
    """A function reading only ``columns`` (dotted paths) of an item, as ``flatten`` would write them."""
    paths = [(column, column.split(".")) for column in columns]

    def pick(item: Mapping) -> dict[str, str]:
        row = {}
        for column, parts in paths:
            value = item
            for part in parts:
                value = value.get(part) if type(value) is dict or isinstance(value, Mapping) else None
            kind = type(value)
            if kind is str:
                row[column] = value.strip()
            elif value is None or kind is dict:
                row[column] = ""
            elif kind is bool:
                row[column] = "true" if value else "false"
            elif kind is list:
                row[column] = ",".join(str(part) for part in value)
            else:
                row[column] = str(value).strip()
        return row

    return pick


def _at(document, path: str):
    for part in filter(None, path.split(".")):
        document = document.get(part) if isinstance(document, Mapping) else None
    return document


class PagedJsonSource:
    """The items of a paged JSON API, page after page, through ``transport`` (an ``HttpTransport``).

    ``next_path``: where a page gives the URL of the next one (absent or empty: the last page).
    ``page_param``: instead, the query parameter numbering pages from ``first_page``; the pages
    end with an empty one (or one shorter than ``page_size`` when given). ``params`` are sent
    with the first request (and with every numbered page).
    """

    def __init__(
        self,
        transport,
        url: str,
        *,
        items_path: str = "items",
        next_path: str | None = None,
        page_param: str | None = None,
        first_page: int = 1,
        page_size: int | None = None,
        params: Mapping[str, str] | None = None,
        required: Mapping[str, str] | None = None,
    ):
        if bool(next_path) == bool(page_param):
            raise ValueError("Give next_path (next-link paging) or page_param (numbered pages), not both.")
        self.transport = transport
        self.url = url
        self.items_path = items_path
        self.next_path = next_path
        self.page_param = page_param
        self.first_page = first_page
        self.page_size = page_size
        self.params = dict(params or {})
        self.required = dict(required or {})
        self.pages = 0

    def _items(self, page, where: str) -> list:
        items = _at(page, self.items_path)
        if not isinstance(items, list):
            raise ImportRefused(f"{where}: no list of items at {self.items_path!r}.", code="malformed_response")
        return items

    def _pages(self) -> Iterator[tuple[str, list]]:
        if self.next_path:
            url, params = self.url, self.params
            while url:
                self.pages += 1
                where = f"page {self.pages}"
                response = self.transport.request("GET", url, params=params)
                page = self.transport.parse_json(response, what=where)
                yield where, self._items(page, where)
                following = _at(page, self.next_path)
                url, params = (urljoin(url, following), None) if following else (None, None)
            return
        number = self.first_page
        while True:
            self.pages += 1
            where = f"page {number}"
            response = self.transport.request("GET", self.url, params={**self.params, self.page_param: number})
            items = self._items(self.transport.parse_json(response, what=where), where)
            if not items:
                return
            yield where, items
            if self.page_size and len(items) < self.page_size:
                return
            number += 1

    def columns(self) -> list[str]:
        """The columns of the first page's items (union, in order of appearance)."""
        for _where, items in self._pages():
            seen: dict[str, None] = {}
            for item in items:
                if isinstance(item, Mapping):
                    seen.update(dict.fromkeys(flatten(item)))
            return list(seen)
        return []

    def rows(self) -> Iterator[Row]:
        """The items as rows: every column, or only the ``required`` ones when the pipeline has set them.

        An API leaves out the keys of empty values: a required column absent from an item is empty.
        """
        read = _picker(self.required) if self.required else flatten
        for where, items in _ahead(self._pages()):
            for index, item in enumerate(items, start=1):
                if not isinstance(item, Mapping):
                    raise ImportRefused(f"{where}, item {index}: not an object.", code="malformed_response")
                yield Row(read(item), f"{where}, item {index}")


class ReadingTransport(HttpTransport):
    """The shared HTTP transport for reading a source: GETs with retries, timeouts and typed errors."""

    name = "source"
