"""A Manage Learners submission holds one chunk of rows at a time, whatever the size of the file
(decision 0415): the page keeps its capped rows (problems first), the counts cover every row, the
report has every row (from a spooled file) and the queries stay per chunk."""

import csv
import gc
import io
import tracemalloc

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from enterprise.services import manage_learners
from enterprise.services.bulk_link import RowStatus, SeenAddresses
from enterprise.services.manage_learners import link_learners_from_csv
from enterprise.services.reports import report_file
from tests.factories import CustomerFactory, LearnerFactory, UserFactory

pytestmark = pytest.mark.django_db

CHUNK = 500


@pytest.fixture
def small_chunks(settings, monkeypatch):
    settings.ENTERPRISE = {
        "MANAGE_LEARNERS_CHUNK_SIZE": CHUNK,
        "MANAGE_LEARNERS_PREVIEW_ROWS": 50,
        "MANAGE_LEARNERS_MAX_ROWS": 100_000,
    }
    monkeypatch.setattr(manage_learners, "REPORT_SPOOL_BYTES", 64 * 1024)  # the report goes to disk early


def _file(rows: int, start: int) -> io.BytesIO:
    return io.BytesIO(("email\n" + "".join(f"p{start + i}@example.com\n" for i in range(rows))).encode())


def _peak_bytes(customer, rows: int, start: int) -> tuple[int, object]:
    file = _file(rows, start)
    gc.collect()
    tracemalloc.start()
    try:
        result = link_learners_from_csv(customer=customer, file=file, dry_run=True)
        return tracemalloc.get_traced_memory()[1], result
    finally:
        tracemalloc.stop()


def test_memory_of_a_submission_is_bounded_by_the_chunk_not_the_file(small_chunks):
    customer = CustomerFactory()
    few, small = _peak_bytes(customer, rows=2 * CHUNK, start=0)
    many, large = _peak_bytes(customer, rows=40 * CHUNK, start=100_000)
    assert small.counts == {RowStatus.PENDING: 2 * CHUNK, RowStatus.HEADER: 1}
    assert large.counts == {RowStatus.PENDING: 40 * CHUNK, RowStatus.HEADER: 1}
    assert large.total_rows == 40 * CHUNK + 1 and len(large.rows) == 50  # the page's rows only
    assert few < 3 * 1024 * 1024  # two chunks of 500 rows: well under 3 MB
    # 38 more chunks add only the table of addresses seen (~12-50 bytes an address, for the
    # duplicates); a result per row, as before, took ~500 bytes a row (10 MB here).
    assert many - few < 100 * 38 * CHUNK, (few, many)


def test_a_large_file_keeps_its_problems_first_counts_every_row_and_reports_them_all(small_chunks):
    customer = CustomerFactory()
    other = CustomerFactory(name="Globex")
    lines = [f"p{i}@example.com" for i in range(3 * CHUNK)]
    for i in range(0, 3 * CHUNK, 20):  # 75 addresses of another customer's learners
        LearnerFactory(customer=other, user__email=lines[i])
    lines += lines[:100]  # 100 duplicates in the last chunk, naming lines of the first
    result = link_learners_from_csv(customer=customer, file=io.BytesIO("\n".join(lines).encode()), dry_run=True)
    assert result.counts == {
        RowStatus.PENDING: 3 * CHUNK - 75,
        RowStatus.CONFLICT: 75,
        RowStatus.DUPLICATE: 100,
    }
    table = result.table()
    shown = table["shown_rows"]
    assert len(shown) == 50 and all(row["status"] == "conflict" for row in shown)
    assert [row["line"] for row in shown] == list(range(1, 1000, 20))  # the first 50 problems, in line order
    assert table["hidden_rows"] == len(lines) - 50
    # kept: the first 50 problems and the first 50 others; the duplicates, past them, are in the report
    assert len(result.rows) == 100 and RowStatus.DUPLICATE not in {row.status for row in result.rows}
    report = list(csv.reader(io.StringIO(report_file(result).read().decode("utf-8-sig"))))
    assert len(report) == 1 + len(lines)
    assert [row[0] for row in report[1:]] == [str(n) for n in range(1, len(lines) + 1)]
    assert report[1 + 3 * CHUNK][3:5] == ["duplicate in the file", "Same address as line 1."]
    assert report[1][3] == "conflict with another customer" and "Globex" in report[1][4]


def test_the_queries_stay_per_chunk(small_chunks):
    customer = CustomerFactory()
    with CaptureQueriesContext(connection) as queries:
        result = link_learners_from_csv(customer=customer, file=_file(10 * CHUNK, 0))
    assert result.applied and result.counts[RowStatus.PENDING] == 10 * CHUNK
    # per chunk of 500, at most: the look-ups (one on PostgreSQL, three elsewhere), the insert and
    # a savepoint's two statements; plus the transaction's own
    assert len(queries) <= 6 * 10 + 4, [query["sql"][:80] for query in queries]


def test_seen_addresses_remember_the_first_line_through_growth():
    seen = SeenAddresses(capacity=8)
    for line in range(1, 5001):
        assert seen.first_line(f"a{line}@example.com", line) == line
    assert len(seen) == 5000
    assert seen.first_line("a1@example.com", 9999) == 1
    assert seen.first_line("a4321@example.com", 9999) == 4321
    assert seen.first_line("new@example.com", 9999) == 9999
    assert len(seen) == 5001


def test_seen_addresses_take_at_most_24_bytes_an_address():
    # 16-20 bytes an address: its hash and line in arrays, a 4-byte slot of a table at most two
    # thirds full (decision 0480); the two arrays with empty slots took 18-36.
    addresses = [f"a{line}@example.com" for line in range(1, 100_001)]
    gc.collect()
    tracemalloc.start()
    try:
        seen = SeenAddresses()
        for line, address in enumerate(addresses, start=1):
            seen.first_line(address, line)
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(seen) == 100_000
    assert current < 24 * 100_000, current
    assert peak < 40 * 100_000, peak  # while the table grows and the arrays are reallocated


def test_seen_addresses_never_move_what_they_hold():
    # Arrays grown by appending are copied within the heap as they grow and leave holes: ~8 MB at
    # 1,000,000 addresses (decision 0541). The blocks are allocated whole and stay where they are.
    seen = SeenAddresses()
    seen.first_line("a0@example.com", 1)
    first = (seen._hash_blocks[0].buffer_info(), seen._line_blocks[0].buffer_info())
    for line in range(2, 20_001):
        seen.first_line(f"a{line}@example.com", line)
    assert (seen._hash_blocks[0].buffer_info(), seen._line_blocks[0].buffer_info()) == first
    assert len(seen._hash_blocks) == len(seen._line_blocks) > 1
    assert seen.first_line("a0@example.com", 99_999) == 1
    assert seen.first_line("a20000@example.com", 99_999) == 20_000


def test_a_submission_without_enrollment_asks_for_no_new_ids(small_chunks):
    # Nobody to enroll nor notify: the new learners' ids are not needed, so not returned (decision 0480).
    customer = CustomerFactory()
    existing = [UserFactory(email=f"u{i}@example.com").email for i in range(5)]
    file = io.BytesIO("\n".join([*existing, "new1@example.com", "new2@example.com"]).encode())
    with CaptureQueriesContext(connection) as queries:
        result = link_learners_from_csv(customer=customer, file=file)
    assert result.applied and result.counts == {RowStatus.LINKED: 5, RowStatus.PENDING: 2}
    inserts = [query["sql"] for query in queries if query["sql"].startswith("INSERT")]
    assert len(inserts) == 2 and not any("RETURNING" in sql for sql in inserts), inserts
    assert customer.learners.count() == 5 and customer.pending_learners.count() == 2
