"""A bulk link's Python beside its backend (decision 0570): the done chunks recorded in a thread of their
own, in order, while the linking thread goes on; the helper threads held at a gate while the linking
thread runs Python; the switch interval short only while a stream with helpers runs; errors of the
reading and of the recording raised in the caller, no thread left behind."""

import io
import sys
import threading
import time

import pytest
from django.db import transaction

from enterprise.exceptions import UploadRefused
from enterprise.services import bulk_overlap, manage_learners
from enterprise.services.bulk_link import RowStatus, iter_classified, link_rows
from enterprise.services.bulk_overlap import Gate, recorded_behind, short_switch_interval
from enterprise.services.csv_rows import CsvRow
from enterprise.services.manage_learners import link_learners_from_csv
from tests.factories import CustomerFactory

HELPERS = {"bulk-link-read-ahead", "bulk-link-record"}


def _helpers() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name in HELPERS]


def _wait_for_no_helper() -> None:
    deadline = time.monotonic() + 5
    while _helpers() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _helpers() == []


def _rows(count: int, start: int = 0):
    return iter_classified(
        (CsvRow(line, (f"p{line}@example.com",)) for line in range(start + 1, start + count + 1)), header=False
    )


def _file(count: int) -> io.BytesIO:
    return io.BytesIO(("email\n" + "".join(f"p{i}@example.com\n" for i in range(count))).encode())


# -- the recording behind -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_chunks_are_recorded_in_a_thread_of_their_own_in_order():
    recorded = []

    def on_chunk(chunk, links):
        recorded.append((threading.current_thread().name, [row.line for row in chunk]))

    with transaction.atomic():
        link_rows(customer=CustomerFactory(), rows=_rows(25), chunk_size=10, on_chunk=on_chunk, ahead=1, behind=True)
    assert [name for name, _lines in recorded] == ["bulk-link-record"] * 3
    assert [line for _name, lines in recorded for line in lines] == list(range(1, 26))
    _wait_for_no_helper()


@pytest.mark.django_db
def test_an_error_of_the_recording_is_raised_in_the_caller_and_the_chunks_after_it_are_not_recorded():
    recorded = []

    def on_chunk(chunk, links):
        if chunk[0].line == 11:
            raise RuntimeError("the report's disk is full")
        recorded.append(chunk[0].line)

    with pytest.raises(RuntimeError, match="disk is full"), transaction.atomic():
        link_rows(customer=CustomerFactory(), rows=_rows(60), chunk_size=10, on_chunk=on_chunk, behind=True)
    assert recorded == [1]
    _wait_for_no_helper()


@pytest.mark.django_db
def test_an_error_of_the_reading_is_raised_in_the_caller_after_the_chunks_before_it_are_recorded():
    recorded = []

    def rows():
        yield from _rows(15)
        raise UploadRefused("Line 16 is not UTF-8 text.", line=16)

    def on_chunk(chunk, links):
        recorded.extend(row.line for row in chunk)

    with pytest.raises(UploadRefused, match="Line 16"), transaction.atomic():
        link_rows(customer=CustomerFactory(), rows=rows(), chunk_size=10, on_chunk=on_chunk, ahead=1, behind=True)
    assert recorded == list(range(1, 11))
    _wait_for_no_helper()


def test_the_recording_waits_at_the_gate_while_the_linking_thread_runs():
    gate = Gate()
    recorded = []
    with recorded_behind(lambda chunk, links: recorded.append(chunk), gate=gate) as hand_over:
        hand_over(["first"], None)  # the gate is open while the chunk is handed over, closed after
        time.sleep(0.1)
        assert recorded in ([], [["first"]])  # taken during the hand-over, or waiting at the gate
        with gate.waiting():  # the linking thread waits (a statement): the recorder goes on
            deadline = time.monotonic() + 5
            while not recorded and time.monotonic() < deadline:
                time.sleep(0.01)
        assert recorded == [["first"]]
    _wait_for_no_helper()


def test_the_gate_is_open_only_while_the_linking_thread_waits_and_for_good_at_the_end():
    gate = Gate()
    assert not gate.is_open()
    with gate.waiting():
        with gate.waiting():
            assert gate.is_open()
        assert gate.is_open()  # nested: open until the outer wait ends
    assert not gate.is_open()
    gate.open_for_good()
    with gate.waiting():
        pass
    assert gate.is_open()
    gate.pass_()  # does not block


@pytest.mark.django_db
def test_a_submission_records_behind_and_keeps_the_report_in_line_order(settings, monkeypatch):
    settings.ENTERPRISE = {"MANAGE_LEARNERS_CHUNK_SIZE": 10, "MANAGE_LEARNERS_PREVIEW_ROWS": 1000}
    threads = set()
    record = manage_learners.SubmissionResult.record

    def spy(self, chunk):
        threads.add(threading.current_thread().name)
        record(self, chunk)

    monkeypatch.setattr(manage_learners.SubmissionResult, "record", spy)
    result = link_learners_from_csv(customer=CustomerFactory(), file=_file(95))
    assert threads == {"bulk-link-record"}
    assert [row[0] for row in result.report_rows()] == list(range(1, 97))  # the header, then 95 rows
    assert result.counts == {RowStatus.HEADER: 1, RowStatus.PENDING: 95}
    _wait_for_no_helper()


@pytest.mark.django_db
def test_a_chunk_is_written_to_the_report_in_slices_every_row_once_in_order(settings, monkeypatch):
    settings.ENTERPRISE = {"MANAGE_LEARNERS_CHUNK_SIZE": 100, "MANAGE_LEARNERS_PREVIEW_ROWS": 10}
    monkeypatch.setattr(manage_learners, "REPORT_SLICE_ROWS", 7)  # 100 rows: 14 slices and a short one
    result = link_learners_from_csv(customer=CustomerFactory(), file=_file(250))
    assert [row[0] for row in result.report_rows()] == list(range(1, 252))
    assert [row[2] for row in result.report_rows()][1:] == [f"p{i}@example.com" for i in range(250)]


# -- the switch interval ---------------------------------------------------------------------------------------


def test_the_switch_interval_is_short_inside_and_restored_after_nested_blocks():
    before = sys.getswitchinterval()
    with short_switch_interval(0.0002):
        assert sys.getswitchinterval() == pytest.approx(0.0002)
        with short_switch_interval(0.0002):
            pass
        assert sys.getswitchinterval() == pytest.approx(0.0002)  # the inner block leaves it to the outer
    assert sys.getswitchinterval() == before


@pytest.mark.django_db
def test_a_stream_with_helpers_shortens_the_switch_interval_and_restores_it_even_after_an_error():
    before = sys.getswitchinterval()
    seen = []

    def rows():
        yield from _rows(15)
        raise UploadRefused("Line 16 is not UTF-8 text.", line=16)

    def on_chunk(chunk, links):
        seen.append(sys.getswitchinterval())

    with pytest.raises(UploadRefused), transaction.atomic():
        link_rows(customer=CustomerFactory(), rows=rows(), chunk_size=10, on_chunk=on_chunk, ahead=1, behind=True)
    assert seen == [pytest.approx(bulk_overlap.SWITCH_INTERVAL)]
    assert sys.getswitchinterval() == before
    _wait_for_no_helper()
