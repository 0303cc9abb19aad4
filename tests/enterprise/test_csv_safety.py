"""The one CSV reader (line numbers, refusals naming the line) and the one formula escape."""

from __future__ import annotations

import csv
import io

import pytest

from enterprise.csv_safety import CsvLineError, csv_records, escape_cell, header_and_rows

# -- escape_cell: every start a spreadsheet runs as a formula (decision 0161) ---------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("\n=1+1", "'\n=1+1"),
        ("\uff1d1+1", "'\uff1d1+1"),  # full-width = + - @
        ("\uff0b1", "'\uff0b1"),
        ("\uff0d1", "'\uff0d1"),
        ("\uff20SUM(A1)", "'\uff20SUM(A1)"),
        ("'=already quoted", "'=already quoted"),
        ("plain text", "plain text"),
        ("a=b", "a=b"),
        (" =1", " =1"),  # a leading space: spreadsheets read it as text
        ("", ""),
        (None, ""),
        (400, "400"),
        (-1, "'-1"),  # negative numbers too: the exports hold none (decision 0065)
        (0.5, "0.5"),
    ],
)
def test_escape_cell(value, expected):
    assert escape_cell(value) == expected


def test_escaped_cells_survive_a_csv_round_trip():
    out = io.StringIO()
    csv.writer(out).writerow([escape_cell(value) for value in ("=1+1", "\n@x", "ok")])
    assert next(csv.reader(io.StringIO(out.getvalue()))) == ["'=1+1", "'\n@x", "ok"]


# -- csv_records / header_and_rows ---------------------------------------------------------------


def records(text: str, **kwargs):
    return list(csv_records(io.StringIO(text, newline=""), **kwargs))


def test_records_carry_the_line_where_they_start():
    text = 'a,b\r\n\r\n"multi\nline",x\nlast,y\n'
    assert records(text) == [(1, ["a", "b"]), (2, []), (3, ["multi\nline", "x"]), (5, ["last", "y"])]
    assert records("a\nb\n", first_line=7) == [(7, ["a"]), (8, ["b"])]


@pytest.mark.parametrize("quoted", [False, True])
def test_a_field_over_the_size_limit_is_refused_naming_source_and_line(quoted):
    long = "x" * (csv.field_size_limit() + 1)
    field = f'"{long}"' if quoted else long
    with pytest.raises(CsvLineError) as refused:
        records(f"a,b\nok,fine\nbad,{field}\nnever,read\n", source="in/a.csv")
    assert refused.value.line == 3
    assert refused.value.message == (
        "in/a.csv, line 3: a field is longer than 131,072 characters, the most a CSV field may hold."
    )


def test_a_field_just_under_the_limit_is_read():
    long = "x" * csv.field_size_limit()
    assert records(f"a,{long}\n") == [(1, ["a", long])]


def test_malformed_quoting_is_refused_naming_the_line():
    with pytest.raises(CsvLineError) as refused:
        list(csv_records(["ok\n", "a\rb\n"], first_line=4))  # a lone CR inside a line
    assert refused.value.line == 5
    assert refused.value.message == (
        "Line 5: malformed CSV (new-line character seen in unquoted field - do you need to open the file in "
        "universal-newline mode?)."
    )


def test_refused_without_source_starts_with_line():
    with pytest.raises(CsvLineError, match=r"^Line 1: a field is longer"):
        records("x" * (csv.field_size_limit() + 1))


def test_header_and_rows():
    header, rows = header_and_rows(io.StringIO("\n Email , Boss\na@x.org,b@x.org,extra\n\n,\nc@x.org\n", newline=""))
    assert header == ["Email", "Boss"]
    assert list(rows) == [(3, {"Email": "a@x.org", "Boss": "b@x.org"}), (6, {"Email": "c@x.org", "Boss": ""})]


def test_header_and_rows_refuse_a_long_header_at_once_and_a_long_row_when_reached():
    long = "x" * (csv.field_size_limit() + 1)
    with pytest.raises(CsvLineError, match=r"^Line 1:"):
        header_and_rows([f"a,{long}\n"])
    header, rows = header_and_rows(["a,b\n", f"c,{long}\n"])
    assert header == ["a", "b"]
    with pytest.raises(CsvLineError, match=r"^Line 2:"):
        list(rows)
