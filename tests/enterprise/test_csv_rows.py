"""Reading CSV uploads: encodings, line endings, blank lines, limits checked before or while reading."""

import io

import pytest

from enterprise.exceptions import UploadRefused
from enterprise.services.bulk_link import RowStatus, classify_rows, email_error
from enterprise.services.csv_rows import CsvRow, _binary_lines, check_upload_size, iter_csv_rows
from enterprise.uploads import human_size


def rows(data: bytes, **kwargs):
    return list(iter_csv_rows(io.BytesIO(data), **kwargs))


def test_bom_crlf_and_blank_lines_keep_physical_line_numbers():
    data = "\ufeffemail\r\nann@example.com\r\n\r\n   \r\nbob@example.com\r\n".encode()
    assert rows(data) == [CsvRow(1, ("email",)), CsvRow(2, ("ann@example.com",)), CsvRow(5, ("bob@example.com",))]


def test_lone_carriage_returns_and_no_final_newline():
    assert [r.line for r in rows(b"a@x.com\rb@x.com\rc@x.com")] == [1, 2, 3]


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7])
def test_line_splitting_does_not_depend_on_chunk_boundaries(size):
    data = b"a\r\nb\rc\n\nd\r\ne"
    chunks = [data[i : i + size] for i in range(0, len(data), size)]
    assert list(_binary_lines(chunks)) == [b"a", b"b", b"c", b"", b"d", b"e"]


def test_quoted_cells_and_rows_of_empty_cells():
    assert rows(b'"ann@example.com"\n,,\n"bob@example.com",\n') == [
        CsvRow(1, ("ann@example.com",)),
        CsvRow(3, ("bob@example.com", "")),
    ]


def test_text_that_is_not_utf8_is_refused_naming_the_line():
    with pytest.raises(UploadRefused, match="Line 2 is not UTF-8"):
        rows(b"ann@example.com\nb\xe9b@example.com\n")


def test_size_limit_is_checked_before_reading(settings):
    settings.ENTERPRISE = {"MANAGE_LEARNERS_MAX_UPLOAD_BYTES": 1024}
    check_upload_size(1024)
    with pytest.raises(UploadRefused, match=r"The file is 4.9 KB; the limit is 1.0 KB"):
        check_upload_size(5000)


def test_row_limit_stops_reading_at_the_first_row_beyond(settings):
    settings.ENTERPRISE = {"MANAGE_LEARNERS_MAX_ROWS": 3}

    class Stream:
        """Fails if asked for anything after the fourth row."""

        def __init__(self):
            self.parts = [b"a@x.com\n", b"b@x.com\n", b"\n", b"c@x.com\n", b"d@x.com\n"]

        def read(self, _size):
            if not self.parts:
                raise AssertionError("read past the limit")
            return self.parts.pop(0)

    stream = Stream()
    with pytest.raises(UploadRefused, match=r"more than 3 rows \(line 5 is row 4\)"):
        list(iter_csv_rows(stream))


def test_classify_header_duplicates_invalid_and_columns():
    results = classify_rows(
        [
            CsvRow(1, ("E-mail address",)),
            CsvRow(2, ("  Ann@Example.COM ",)),
            CsvRow(3, ("ann@example.com",)),
            CsvRow(4, ("not-an-email",)),
            CsvRow(5, ("bob@example.com", "Bob")),
            CsvRow(6, ("x" * 250 + "@example.com",)),
        ]
    )
    assert [(r.line, r.status) for r in results] == [
        (1, RowStatus.HEADER),
        (2, None),
        (3, RowStatus.DUPLICATE),
        (4, RowStatus.INVALID),
        (5, RowStatus.INVALID),
        (6, RowStatus.INVALID),
    ]
    assert results[1].email == "ann@example.com"
    assert results[2].message == "Same address as line 2."
    assert "no @" in results[3].message
    assert "one column" in results[4].message
    assert "longer than 254" in results[5].message


def test_a_first_row_with_an_at_is_data_not_a_header():
    (only,) = classify_rows([CsvRow(1, ("ann@example.com",))])
    assert only.status is None and only.email == "ann@example.com"


@pytest.mark.parametrize(
    "email",
    [
        "ann@example.com",
        "a.b+c@sub.example.co.uk",
        '"quoted local"@example.com',
        "ann@localhost",
        "ann@[127.0.0.1]",
        "ann@bücher.de",
        "ann@example",
        "ann@@example.com",
        "ann@-example.com",
        "ann@example..com",
        ".ann@example.com",
        "ann@[999.1.1.1]",
        "ann example@example.com",
    ],
)
def test_email_check_agrees_with_djangos_validator(email):
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    try:
        validate_email(email)
        django_ok = True
    except ValidationError:
        django_ok = False
    assert (email_error(email) == "") is django_ok


@pytest.mark.parametrize(("size", "text"), [(900, "900 bytes"), (1536, "1.5 KB"), (5 * 1024 * 1024, "5.0 MB")])
def test_limits_name_sizes_in_bytes_kb_or_mb(size, text):
    assert human_size(size) == text
