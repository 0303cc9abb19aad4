"""The benchmark harness reports what it claims: the operation's own memory peak, load, repeats."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import harness
from benchmarks.harness import measuring

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[1]


_PEAK_SCRIPT = """
import json
from benchmarks import harness

if not harness.reset_peak_rss():
    print(json.dumps(None))
    raise SystemExit(0)
set_up = bytearray(150 * 1024 * 1024)  # a big set-up, freed before the measured operation
set_up[::4096] = b"x" * len(set_up[::4096])  # touch every page: resident
del set_up


def operation():
    data = bytearray(20 * 1024 * 1024)
    data[::4096] = b"y" * len(data[::4096])
    return len(data)


measured = harness.measure(operation)
print(json.dumps([measured.peak_rss_mb, measured.rss_before_mb, harness.process_peak_rss_mb()]))
"""


def test_the_memory_peak_is_the_operations_not_the_set_ups():
    # In a fresh interpreter: a long-lived test worker's allocator may serve the operation's 20 MB
    # from freed pages still resident (glibc raises its mmap threshold as big blocks are freed), so
    # the operation would add nothing to the resident size there and the test would prove nothing.
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + _PEAK_SCRIPT],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    if figures is None:
        pytest.skip("needs Linux's /proc/self/clear_refs")
    peak, before, process_peak = figures
    assert peak is not None and before is not None
    assert peak - before >= 15  # the operation's 20 MB are seen
    assert process_peak - peak >= 100  # the set-up's 150 MB are not in it


def test_repeats_report_the_minimum_and_the_median_and_reset_in_between():
    seconds = iter([0.5, 0.1, 0.3])
    resets = []
    clock = {"now": 0.0}

    def fake_counter():
        return clock["now"]

    def operation():
        clock["now"] += next(seconds)
        return "done"

    original = measuring.time.perf_counter
    measuring.time.perf_counter = fake_counter
    try:
        measured = harness.measure_repeated(operation, repeat=3, reset=lambda: resets.append(1))
    finally:
        measuring.time.perf_counter = original
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


def test_scale_baseline_scales_what_grows_with_the_rows_only():
    sample = harness.Measurement(seconds=3.0, queries=41, result="r", load_before=1.0, load_after=2.0)
    assert harness.scale_baseline(sample, 100, 100) is sample
    scaled = harness.scale_baseline(sample, 1000, 100, fixed_seconds=1.0)
    assert scaled.seconds == pytest.approx(1.0 + 2.0 * 10)
    assert (scaled.queries, scaled.result, scaled.load_before, scaled.load_after) == (410, "r", 1.0, 2.0)


def test_baseline_link_one_links_adds_pending_or_does_neither():
    from enterprise.models import EnterpriseCustomerUser, PendingEnterpriseCustomerUser
    from integrated_channels.integrated_channel.models import PendingLearnerAttributes
    from tests.factories import CustomerFactory, UserFactory

    customer, other = CustomerFactory(), CustomerFactory()
    user = UserFactory(email="Known@Example.com")
    UserFactory(email="twice@example.com")
    UserFactory(email="TWICE@example.com")
    taken = UserFactory(email="taken@example.com")
    EnterpriseCustomerUser.objects.create(customer=other, user=taken)

    assert harness.baseline_link_one(customer, "known@example.com", {"department": "Sales"}) == "linked"
    assert EnterpriseCustomerUser.objects.get(customer=customer, user=user).attributes == {"department": "Sales"}
    assert harness.baseline_link_one(customer, "new@example.com", {"department": "Ops"}) == "pending"
    assert PendingEnterpriseCustomerUser.objects.filter(customer=customer, user_email="new@example.com").exists()
    assert PendingLearnerAttributes.objects.get(customer=customer, email="new@example.com").attributes == {
        "department": "Ops"
    }
    assert harness.baseline_link_one(customer, "new@example.com") is None  # already pending
    assert harness.baseline_link_one(customer, "twice@example.com") is None  # several users
    assert harness.baseline_link_one(customer, "taken@example.com") is None  # linked elsewhere


def test_think_range_reads_a_range_a_number_or_none():
    import argparse

    assert harness.think_range("0.5-1.5") == (0.5, 1.5)
    assert harness.think_range("1") == (1.0, 1.0)
    assert harness.think_range("0") is None
    for text in ("fast", "2-1", "-1"):
        with pytest.raises(argparse.ArgumentTypeError):
            harness.think_range(text)


def test_load_profiles_put_the_think_time_first_and_prefix_the_closed_loop():
    assert harness.load_profiles((0.5, 1.5), True) == [("", (0.5, 1.5)), ("closed_loop_", None)]
    assert harness.load_profiles((0.5, 1.5), False) == [("", (0.5, 1.5))]
    assert harness.load_profiles(None, True) == [("", None)]


def test_load_pairs_take_the_worse_p95_of_the_targets_only():
    def figures(p95):
        return {"rps": 10.0, "requests": 300, "failures": 0, "p50": 5.0, "p95": p95, "p99": 99.0}

    total = figures(70.0) | {"cpu_ms": 6.0, "python_ms": 5.0, "database_ms": 1.0, "load_before": 1.0, "load_after": 2}
    stats = {"list": figures(30.0), "search": figures(40.0), "bulk_link": figures(300.0), "Aggregated": total}
    pairs = harness.load_pairs("closed_loop_", stats, ("list", "search", "bulk_link"), ("list", "search"))
    assert pairs["closed_loop_p95_ms"] == "40"
    assert pairs["closed_loop_bulk_link_p95_ms"] == "300"
    assert (pairs["closed_loop_gunicorn_cpu_ms_per_request"], pairs["closed_loop_postgres_cpu_ms_per_request"]) == (
        "5.0",
        "1.0",
    )
    assert pairs["closed_loop_load_during_locust"] == "1.00-2.00"


def test_the_harness_root_is_the_project_and_cpu_seconds_reads_the_database_backend():
    """The split harness (decision 0565) still finds the project's files, and ``cpu_seconds`` is this
    process's time with ``database_cpu_seconds`` (None off PostgreSQL)."""
    assert (harness.ROOT / "standalone" / "gunicorn.conf.py").is_file()
    assert (harness.ROOT / "benchmarks" / "_api_locust.py").is_file()
    database = harness.database_cpu_seconds()
    if database is None:
        assert harness.cpu_seconds() is None
    else:
        process, backend = harness.cpu_seconds()
        assert process > 0 and backend >= database


def test_the_load_tests_share_their_options():
    import argparse

    parser = argparse.ArgumentParser()
    harness.add_load_arguments(parser, who="visitor", think="1-3", port=8800)
    args = parser.parse_args([])
    assert (args.seconds, args.think_time, args.closed_loop, args.workers, args.threads, args.port) == (
        30,
        (1.0, 3.0),
        True,
        2,
        8,
        8800,
    )
    args = parser.parse_args(["--think-time", "0", "--no-closed-loop", "--port", "9000"])
    assert (args.think_time, args.closed_loop, args.port) == (None, False, 9000)
    assert harness.think_text(None) == "0" and harness.think_text((0.5, 1.5)) == "0.5-1.5"


def test_a_benchmark_database_on_a_server_is_not_the_test_suites(monkeypatch):
    """``bench_<name>`` on PostgreSQL (pytest's is ``test_<name>``); SQLite's stays in memory; a set name stays."""
    from benchmarks.harness import database

    class Connection:
        def __init__(self, vendor, settings_dict):
            self.vendor, self.settings_dict = vendor, settings_dict

    handler = {
        "default": Connection("postgresql", {"NAME": "main", "TEST": {}}),
        "other": Connection("postgresql", {"NAME": "other", "TEST": {"NAME": "chosen"}}),
        "embedded": Connection("sqlite", {"NAME": "bench.sqlite3", "TEST": {}}),
    }
    monkeypatch.setattr("django.db.connections", handler)
    database._bench_names()
    assert handler["default"].settings_dict["TEST"]["NAME"] == "bench_main"
    assert handler["other"].settings_dict["TEST"]["NAME"] == "chosen"
    assert not handler["embedded"].settings_dict["TEST"].get("NAME")


def test_the_query_count_includes_a_connection_opened_in_another_thread():
    """A bulk link looks up on a second connection in its reading thread (decision 0585): its queries count."""
    import threading

    from django.db import connection, connections

    def elsewhere():
        other = connections.create_connection("default")
        try:
            with other.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.execute("SELECT 2")
        finally:
            other.close()

    with harness.count_queries() as counter:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        thread = threading.Thread(target=elsewhere)
        thread.start()
        thread.join()
    assert counter.count == 3


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_the_cpu_of_a_backend_that_ended_is_counted():
    """``ended_backends_cpu_seconds`` grows by the CPU of a connection's backend once it has closed."""
    from django.db import connections

    before = harness.ended_backends_cpu_seconds()
    other = connections.create_connection("default")
    with other.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM generate_series(1, 3000000)")  # ~0.2-0.5 s of the backend's CPU
    other.close()
    harness.other_backends_ended()
    assert harness.ended_backends_cpu_seconds() - before >= 0.05
