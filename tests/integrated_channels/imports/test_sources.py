"""Sources stream their rows: CSV files line by line, paged JSON APIs page by page."""

import io

import pytest

from integrated_channels.integrated_channel.exceptions import AuthenticationFailed
from integrated_channels.integrated_channel.imports.errors import ImportRefused
from integrated_channels.integrated_channel.imports.sources import (
    CsvFilesSource,
    PagedJsonSource,
    ReadingTransport,
    flatten,
)
from tests.fakes.paged_json import PagedJsonServer
from tests.integrated_channels.sftp.factories import SFTPConfigurationFactory


def person(index: int) -> dict:
    return {"id": index, "mail": f"p{index}@example.com", "manager": {"email": "boss@example.com"}, "active": True}


class ReadOnce(io.RawIOBase):
    """A binary stream that refuses to be read past what the source asked for (streaming, not slurping)."""

    def __init__(self, data: bytes):
        self.data, self.position, self.largest_read = data, 0, 0

    def readable(self):
        return True

    def readinto(self, buffer):
        chunk = self.data[self.position : self.position + len(buffer)]
        self.largest_read = max(self.largest_read, len(buffer))
        buffer[: len(chunk)] = chunk
        self.position += len(chunk)
        return len(chunk)


def test_csv_files_are_read_row_by_row_with_their_place():
    source = CsvFilesSource(
        {
            "a.csv": "\ufeffEmail , Dept\r\n a@example.com ,Sales\r\n,\r\n".encode(),
            "b.csv": b"Dept,Email\nOps,b@example.com\n\nShort\n",
        }
    )
    rows = list(source.rows())
    assert rows == [
        {"Email": "a@example.com", "Dept": "Sales"},
        {"Dept": "Ops", "Email": "b@example.com"},
        {"Dept": "Short", "Email": ""},
    ]
    assert [(row.where, row.line) for row in rows] == [("a.csv, row 2", 2), ("b.csv, row 2", 2), ("b.csv, row 4", 4)]
    assert source.columns() == ["Email", "Dept"]


def test_a_csv_stream_is_not_read_whole():
    stream = ReadOnce(b"Email\n" + b"".join(b"p%d@example.com\n" % i for i in range(20000)))
    rows = CsvFilesSource({"big.csv": io.BufferedReader(stream)}).rows()
    next(rows)
    assert stream.position < 100_000  # a few buffers, not the 300 KB file


def test_csv_refusals_name_the_file_and_line():
    with pytest.raises(ImportRefused, match=r"b.csv: column 'Manager' \(mapped to 'manager'\) is missing"):
        list(CsvFilesSource({"b.csv": b"Email\nx@example.com\n"}, required={"Manager": "mapped to 'manager'"}).rows())
    with pytest.raises(ImportRefused, match=r"c.csv: not UTF-8 text \(line 3"):
        list(CsvFilesSource({"c.csv": b"Email\nx@example.com\n\xff\xfe@example.com\n"}).rows())


def test_flatten_gives_dotted_text_columns():
    assert flatten({"a": {"b": 1, "c": None}, "d": True, "e": [1, 2]}) == {
        "a.b": "1",
        "a.c": "",
        "d": "true",
        "e": "1,2",
    }


@pytest.mark.django_db
@pytest.mark.parametrize("style", ["page", "next"])
def test_a_paged_json_api_is_read_page_by_page(style):
    with PagedJsonServer(person, 25, page_size=10, token="t0k") as server:
        transport = ReadingTransport(SFTPConfigurationFactory())
        transport.session.headers["Authorization"] = "Bearer t0k"
        if style == "page":
            source = PagedJsonSource(transport, f"{server.url}/people", page_param="page", page_size=10)
        else:
            source = PagedJsonSource(
                transport, f"{server.url}/people/next", items_path="data.records", next_path="links.next"
            )
        rows = source.rows()
        first = next(rows)
        first_paths = list(server.paths)
        assert len(first_paths) <= 2  # the next pages are fetched when needed (one page ahead at most)
        rest = list(rows)
    assert first == {"id": "0", "mail": "p0@example.com", "manager.email": "boss@example.com", "active": "true"}
    assert first.where == "page 1, item 1" and rest[-1].where in {"page 3, item 5"}
    assert len(rest) == 24
    if style == "page":
        assert server.paths == ["/people?page=1", "/people?page=2", "/people?page=3"]  # short last page: no 4th call
    else:
        assert server.paths == ["/people/next", "/people/next?cursor=10", "/people/next?cursor=20"]


@pytest.mark.django_db
def test_paged_json_errors_are_typed_and_retried_by_the_transport(settings):
    settings.INTEGRATED_CHANNELS = {**settings.INTEGRATED_CHANNELS, "BACKOFF_SECONDS": 0}
    with PagedJsonServer(person, 3, page_size=10, token="t0k") as server:
        transport = ReadingTransport(SFTPConfigurationFactory())
        with pytest.raises(AuthenticationFailed):
            list(PagedJsonSource(transport, f"{server.url}/people", page_param="page").rows())
        transport.session.headers["Authorization"] = "Bearer t0k"
        server.fail_next = [503]
        rows = list(PagedJsonSource(transport, f"{server.url}/people", page_param="page").rows())
        assert len(rows) == 3
        source = PagedJsonSource(transport, f"{server.url}/people", page_param="page", items_path="people")
        with pytest.raises(ImportRefused, match="page 1: no list of items at 'people'"):
            list(source.rows())
        assert PagedJsonSource(transport, f"{server.url}/people", page_param="page").columns() == [
            "id",
            "mail",
            "manager.email",
            "active",
        ]


@pytest.mark.django_db
def test_with_required_columns_a_json_source_reads_only_them_as_flatten_would():
    with PagedJsonServer(person, 3, page_size=10) as server:
        source = PagedJsonSource(
            ReadingTransport(SFTPConfigurationFactory()), f"{server.url}/people", page_param="page"
        )
        everything = list(source.rows())
        source.required = {"mail": "mapped to 'email'", "manager.email": "mapped to 'manager'", "absent.x": "filter"}
        picked = list(source.rows())
    assert picked[2] == {"mail": "p2@example.com", "manager.email": "boss@example.com", "absent.x": ""}
    assert [{k: row[k] for k in ("mail", "manager.email")} for row in everything] == [
        {k: row[k] for k in ("mail", "manager.email")} for row in picked
    ]
