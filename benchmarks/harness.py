"""What every benchmark shares: Django set-up on a throw-away database, measurement, the report.

A benchmark module defines ``main(argv) -> int``. It calls ``setup_django()`` first, builds its
own data, measures the real code path and a straightforward per-row baseline of the same job with
``measure()``, and ends with ``report()``, whose last printed line is machine-readable
``key=value`` pairs (DESIGN §11): name, the sizes, seconds, baseline_seconds, speedup,
queries_per_1000, peak_rss_mb, plus anything extra.

Database: SQLite in a temporary file by default, or ``DATABASE_URL`` (PostgreSQL); the
benchmark always runs in a fresh test database (``test_<name>``) that it creates and drops, so it
never touches real data.
"""

from __future__ import annotations

import contextlib
import os
import resource
import sys
import tempfile
import time
from dataclasses import dataclass, field


def setup_django(settings_module: str = "standalone.settings", *, keepdb: bool = False):
    """Configure Django and create a fresh database; return a function that drops it.

    ``keepdb``: reuse ``test_<name>`` when it exists (migrated up to date) and keep it afterwards,
    for benchmarks whose data takes long to build (the benchmark checks what is already there).
    """
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module)
    # The fakes the benchmarks run against listen on 127.0.0.1 over http (decision 0151).
    os.environ.setdefault("CHANNELS_ALLOW_HTTP", "1")
    os.environ.setdefault("CHANNELS_ALLOWED_ADDRESSES", "127.0.0.1,::1,localhost")
    tmp = None
    if not os.environ.get("DATABASE_URL"):
        tmp = tempfile.mkdtemp(prefix="bench-")
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases

    settings.DEBUG = False
    settings.LOGGING_CONFIG = None
    # No serialized copy of the contents (for TransactionTestCase rollbacks): benchmarks do not
    # need it, and with keepdb it would read the whole kept database first.
    old = setup_databases(verbosity=0, interactive=False, keepdb=keepdb, serialized_aliases=set())
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")

    def teardown():
        teardown_databases(old, verbosity=0, keepdb=keepdb)

    return teardown


@contextlib.contextmanager
def count_queries():
    """Count the queries run on the default connection inside the block (``.count``)."""
    from django.db import connection

    class Counter:
        count = 0

    counter = Counter()

    def wrapper(execute, sql, params, many, context):
        counter.count += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield counter


def delete_customer_rows(customer, models) -> None:
    """Remove every row of ``models`` that belongs to ``customer``, one plain DELETE per table."""
    from django.db import connection

    with connection.cursor() as cursor:
        for model in models:
            table = connection.ops.quote_name(model._meta.db_table)
            field = model._meta.get_field("customer")
            cursor.execute(
                f"DELETE FROM {table} WHERE {connection.ops.quote_name(field.column)} = %s",  # noqa: S608 (quoted identifiers)
                [field.get_db_prep_value(customer.pk, connection)],
            )


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass
class Measurement:
    seconds: float
    queries: int
    result: object = None


def measure(func, *args, **kwargs) -> Measurement:
    with count_queries() as counter:
        start = time.perf_counter()
        result = func(*args, **kwargs)
        seconds = time.perf_counter() - start
    return Measurement(seconds=seconds, queries=counter.count, result=result)


@dataclass
class Report:
    name: str
    sizes: dict[str, int]
    rows: int  # what queries_per_1000 is counted against
    measured: Measurement
    baseline: Measurement
    extra: dict[str, object] = field(default_factory=dict)
    table: list[tuple[str, str]] = field(default_factory=list)


def report(rep: Report, out=sys.stdout) -> dict[str, object]:
    from django.db import connection

    speedup = rep.baseline.seconds / rep.measured.seconds if rep.measured.seconds else float("inf")
    values: dict[str, object] = {
        "name": rep.name,
        **rep.sizes,
        "database": connection.vendor,
        "seconds": f"{rep.measured.seconds:.3f}",
        "baseline_seconds": f"{rep.baseline.seconds:.3f}",
        "speedup": f"{speedup:.1f}",
        "queries_per_1000": f"{rep.measured.queries * 1000 / max(rep.rows, 1):.2f}",
        "baseline_queries_per_1000": f"{rep.baseline.queries * 1000 / max(rep.rows, 1):.2f}",
        "peak_rss_mb": f"{peak_rss_mb():.1f}",
        **rep.extra,
    }
    lines = [
        ("benchmark", rep.name),
        ("database", connection.vendor),
        *((k, str(v)) for k, v in rep.sizes.items()),
        ("this project", f"{rep.measured.seconds:.3f} s, {rep.measured.queries} queries"),
        ("per-row baseline", f"{rep.baseline.seconds:.3f} s, {rep.baseline.queries} queries"),
        ("speedup", f"{speedup:.1f}x"),
        *rep.table,
        ("peak RSS", f"{values['peak_rss_mb']} MB"),
    ]
    width = max(len(k) for k, _ in lines)
    for key, value in lines:
        print(f"{key.ljust(width)}  {value}", file=out)
    print(" ".join(f"{k}={v}" for k, v in values.items()), file=out)
    return values
