"""What every benchmark shares: Django set-up on a throw-away database, measurement, the report.

One module a job, all their names here (``from benchmarks.harness import measure``): ``database``
(Django set-up, query counting), ``resources`` (memory and CPU of this process and its database
backend), ``measuring`` (``measure``, repeats, scaled baselines), ``baselines`` (the per-row
baselines' linking step), ``reporting`` (``report``), ``server`` (the standalone host under gunicorn) and
``profiles`` (locust's load profiles) for the load tests of ``api``, ``portal`` and ``public_catalog``.

A benchmark module defines ``main(argv) -> int``. It calls ``setup_django()`` first, builds its
own data, measures the real code path and a straightforward per-row baseline of the same job with
``measure()``, and ends with ``report()``, whose last printed line is machine-readable
``key=value`` pairs (DESIGN §11): name, the sizes, seconds, baseline_seconds, speedup,
queries_per_1000, peak_rss_mb, process_peak_rss_mb, load_before, load_after, plus anything extra.

Memory: ``peak_rss_mb`` is the peak resident memory *during the measured operation* (Linux: the
process's high-water mark is reset right before it through ``/proc/self/clear_refs`` and read
right after, ``VmHWM``), so neither the set-up nor the baseline counts in it;
``rss_growth_mb`` how far above its resident memory at the start the operation went;
``process_peak_rss_mb`` is the peak of the whole process (set-up, baseline and all).
Load: ``load_before`` / ``load_after`` are the machine's 1-minute load average around the
measured operation; on a shared machine the time follows the load.
Repeats: ``add_repeat_argument(parser)`` gives a benchmark ``--repeat N``; ``measure_repeated``
runs the operation N times (resetting its data in between) and ``report`` prints the minimum and
the median (``seconds`` is the median, ``seconds_min`` the fastest run).

Database: SQLite in a temporary file by default, or ``DATABASE_URL`` (PostgreSQL); the
benchmark always runs in a fresh test database (``bench_<name>``) that it creates and drops, so it
never touches real data.
"""

from benchmarks.harness.baselines import baseline_link_one
from benchmarks.harness.database import configure_django, count_queries, delete_customer_rows, setup_django
from benchmarks.harness.measuring import Measurement, add_repeat_argument, measure, measure_repeated, scale_baseline
from benchmarks.harness.profiles import (
    add_load_arguments,
    load_lines,
    load_pairs,
    load_profile,
    load_profiles,
    load_test_can_run,
    run_locust,
    run_profiles,
    think_range,
    think_text,
)
from benchmarks.harness.reporting import Report, report
from benchmarks.harness.resources import (
    cpu_seconds,
    database_cpu_seconds,
    ended_backends_cpu_seconds,
    operation_peak_rss_mb,
    other_backends_ended,
    peak_rss_mb,
    process_peak_rss_mb,
    reset_peak_rss,
)
from benchmarks.harness.server import BIN, ROOT, gunicorn, server_cpu_seconds, server_env

__all__ = [
    "BIN",
    "ROOT",
    "Measurement",
    "Report",
    "add_load_arguments",
    "add_repeat_argument",
    "baseline_link_one",
    "configure_django",
    "count_queries",
    "cpu_seconds",
    "database_cpu_seconds",
    "delete_customer_rows",
    "ended_backends_cpu_seconds",
    "gunicorn",
    "load_lines",
    "load_pairs",
    "load_profile",
    "load_profiles",
    "load_test_can_run",
    "measure",
    "measure_repeated",
    "operation_peak_rss_mb",
    "other_backends_ended",
    "peak_rss_mb",
    "process_peak_rss_mb",
    "report",
    "reset_peak_rss",
    "run_locust",
    "run_profiles",
    "scale_baseline",
    "server_cpu_seconds",
    "server_env",
    "setup_django",
    "think_range",
    "think_text",
]
