"""``bulk_link.read_ahead``: a submission's rows read and classified in a thread of their own while the
database links the chunk before (decision 0500; on since decision 0570, ``READ_AHEAD_CHUNKS = 1``): the same
chunks in the same order, the reader's errors raised in the consumer, at most ``depth`` chunks ahead,
and no thread left behind however it ends."""

import io
import threading
import time

import pytest

from enterprise.exceptions import UploadRefused
from enterprise.services import manage_learners
from enterprise.services.bulk_link import RowStatus, read_ahead
from enterprise.services.manage_learners import link_learners_from_csv
from tests.factories import CustomerFactory


def _readers() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "bulk-link-read-ahead"]


def _wait_for_no_reader() -> None:
    deadline = time.monotonic() + 5
    while _readers() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _readers() == []


def test_the_chunks_come_in_order_and_the_thread_ends():
    chunks = [[number] for number in range(50)]
    assert list(read_ahead(iter(chunks), depth=2)) == chunks
    _wait_for_no_reader()


def test_an_error_while_reading_is_raised_in_the_consumer_after_the_chunks_before_it():
    def chunks():
        yield ["first"]
        raise UploadRefused("Line 3 is not UTF-8 text.", line=3)

    received = []
    with pytest.raises(UploadRefused, match="Line 3"):
        for chunk in read_ahead(chunks(), depth=2):
            received.append(chunk)
    assert received == [["first"]]
    _wait_for_no_reader()


def test_the_reader_stays_at_most_depth_chunks_ahead_and_stops_when_the_consumer_does():
    produced = []

    def chunks():
        for number in range(1000):
            produced.append(number)
            yield [number]

    reader = read_ahead(chunks(), depth=2)
    assert next(reader) == [0]
    time.sleep(0.2)  # time enough to read all 1,000 if nothing held it back
    # one consumed, two waiting in the queue, one in the reader's hands waiting for room
    assert len(produced) <= 4
    reader.close()
    _wait_for_no_reader()
    assert len(produced) <= 5


@pytest.mark.django_db
def test_a_submission_that_fails_while_linking_leaves_no_reader(settings, monkeypatch):
    settings.ENTERPRISE = {"MANAGE_LEARNERS_CHUNK_SIZE": 10}
    monkeypatch.setattr(manage_learners, "READ_AHEAD_CHUNKS", 1)
    file = io.BytesIO(("email\n" + "".join(f"p{i}@example.com\n" for i in range(200))).encode())

    def broken(self, chunk):
        raise RuntimeError("the report's disk is full")

    monkeypatch.setattr(manage_learners.SubmissionResult, "record", broken)
    with pytest.raises(RuntimeError, match="disk is full"):
        link_learners_from_csv(customer=CustomerFactory(), file=file)
    _wait_for_no_reader()


@pytest.mark.django_db
@pytest.mark.parametrize("ahead", [0, 1, 2])
def test_a_file_read_ahead_or_not_gives_every_row_its_status_in_order(settings, monkeypatch, ahead):
    settings.ENTERPRISE = {"MANAGE_LEARNERS_CHUNK_SIZE": 7, "MANAGE_LEARNERS_PREVIEW_ROWS": 1000}
    monkeypatch.setattr(manage_learners, "READ_AHEAD_CHUNKS", ahead)
    lines = [f"p{i}@example.com" for i in range(100)]
    lines[50] = "p3@example.com"  # a duplicate of line 5, in a later chunk
    file = io.BytesIO(("email\n" + "\n".join(lines) + "\n").encode())
    result = link_learners_from_csv(customer=CustomerFactory(), file=file)
    assert [row.line for row in result.rows] == list(range(1, 102))
    assert result.counts == {RowStatus.PENDING: 99, RowStatus.DUPLICATE: 1, RowStatus.HEADER: 1}
    assert result.rows[51].message == "Same address as line 5."
