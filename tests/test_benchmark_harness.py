"""The benchmark harness reports what it claims: the operation's own memory peak, load, repeats."""

import io

import pytest

from benchmarks import harness

pytestmark = pytest.mark.django_db


def test_the_memory_peak_is_the_operations_not_the_set_ups():
    if not harness.reset_peak_rss():
        pytest.skip("needs Linux's /proc/self/clear_refs")
    set_up = bytearray(150 * 1024 * 1024)  # a big set-up, freed before the measured operation
    set_up[::4096] = b"x" * len(set_up[::4096])  # touch every page: resident
    del set_up

    def operation():
        data = bytearray(20 * 1024 * 1024)
        data[::4096] = b"y" * len(data[::4096])
        return len(data)

    measured = harness.measure(operation)
    assert measured.peak_rss_mb is not None and measured.rss_before_mb is not None
    assert measured.peak_rss_mb - measured.rss_before_mb >= 15  # the operation's 20 MB are seen
    assert harness.process_peak_rss_mb() - measured.peak_rss_mb >= 100  # the set-up's 150 MB are not in it


def test_repeats_report_the_minimum_and_the_median_and_reset_in_between():
    seconds = iter([0.5, 0.1, 0.3])
    resets = []
    clock = {"now": 0.0}

    def fake_counter():
        return clock["now"]

    def operation():
        clock["now"] += next(seconds)
        return "done"

    original = harness.time.perf_counter
    harness.time.perf_counter = fake_counter
    try:
        measured = harness.measure_repeated(operation, repeat=3, reset=lambda: resets.append(1))
    finally:
        harness.time.perf_counter = original
    assert resets == [1, 1]
    assert measured.runs == pytest.approx([0.5, 0.1, 0.3])
    assert measured.seconds == pytest.approx(0.3)
    out = io.StringIO()
    values = harness.report(
        harness.Report(name="demo", sizes={"rows": 10}, rows=10, measured=measured, baseline=measured), out=out
    )
    assert (values["repeat"], values["seconds_min"], values["seconds_median"]) == (3, "0.100", "0.300")
    last = out.getvalue().splitlines()[-1]
    for key in ("peak_rss_mb=", "process_peak_rss_mb=", "load_before=", "load_after=", "seconds_min=0.100"):
        assert key in last
