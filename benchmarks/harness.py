"""What every benchmark shares: Django set-up on a throw-away database, measurement, the report.

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
benchmark always runs in a fresh test database (``test_<name>``) that it creates and drops, so it
never touches real data.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path


def configure_django(settings_module: str = "standalone.settings") -> None:
    """Django's settings and apps, no database yet (``setup_django`` creates it): for a measured step
    that needs no database, forked before the migrations grow the process."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module)
    # The fakes the benchmarks run against listen on 127.0.0.1 over http (decision 0151).
    os.environ.setdefault("CHANNELS_ALLOW_HTTP", "1")
    os.environ.setdefault("CHANNELS_ALLOWED_ADDRESSES", "127.0.0.1,::1,localhost")
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp(prefix='bench-')}/bench.sqlite3"
    import django

    django.setup()


def setup_django(settings_module: str = "standalone.settings", *, keepdb: bool = False, migrate_apart: bool = False):
    """Configure Django and create a fresh database; return a function that drops it.

    ``keepdb``: reuse ``test_<name>`` when it exists (migrated up to date) and keep it afterwards,
    for benchmarks whose data takes long to build (the benchmark checks what is already there).
    ``migrate_apart``: create and migrate the database in a forked child (``_migrated_apart``), so
    that this process, like a production one, never ran the migrations (they leave it ~22 MB larger
    for good: the migration modules and what the migration loader kept, decision 0541); only for a
    database another process can reach (PostgreSQL, not SQLite's in-memory test database).
    """
    configure_django(settings_module)
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases

    settings.DEBUG = False
    settings.LOGGING_CONFIG = None
    if migrate_apart and connection.vendor == "postgresql":
        old = _migrated_apart(keepdb=keepdb)
    else:
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


def _migrated_apart(*, keepdb: bool) -> list:
    """``setup_databases`` run in a forked child; this process then uses the test databases it made.

    Returns what ``teardown_databases`` needs: ``(connection, old name, destroy)`` for each alias.
    """
    import traceback

    from django.conf import settings
    from django.db import connections
    from django.test.utils import setup_databases

    connections.close_all()  # the child must not share this process's sockets
    sys.stdout.flush()
    sys.stderr.flush()
    child = os.fork()
    if child == 0:
        status = 0
        try:
            setup_databases(verbosity=0, interactive=False, keepdb=keepdb, serialized_aliases=set())
            connections.close_all()
        except BaseException:  # reported, and the parent stops on the exit status
            traceback.print_exc()
            status = 1
        finally:
            os._exit(status)
    _pid, status = os.waitpid(child, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit("creating the test database failed (see above)")
    old = []
    for alias in connections:
        connection = connections[alias]
        old_name = connection.settings_dict["NAME"]
        test_name = connection.creation._get_test_db_name()
        settings.DATABASES[alias]["NAME"] = test_name
        connection.settings_dict["NAME"] = test_name
        old.append((connection, old_name, not keepdb))
    return old


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


def database_cpu_seconds() -> float | None:
    """CPU seconds (user + system) the PostgreSQL backend of the default connection has used so far; None
    elsewhere (SQLite runs in this process, so its time is in ``time.process_time()``) or when the server's
    process cannot be read (another host). The difference around an operation is the database's share of
    it, which the process's own CPU time leaves out."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime, in clock ticks


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _status_mb(field_name: str) -> float | None:
    try:
        with open("/proc/self/status") as status:
            found = re.search(rf"^{field_name}:\s+(\d+) kB", status.read(), re.MULTILINE)
    except OSError:
        return None
    return int(found.group(1)) / 1024 if found else None


_earlier_peak_mb = 0.0  # the high-water marks reset so far (the process peak is their maximum)


def process_peak_rss_mb() -> float:
    """Peak resident memory of the whole process, across the resets of ``reset_peak_rss``."""
    return max(_earlier_peak_mb, peak_rss_mb(), _status_mb("VmHWM") or 0.0)


def reset_peak_rss() -> bool:
    """Reset this process's resident-memory high-water mark (Linux ≥ 4.0); False where that is not possible."""
    global _earlier_peak_mb
    _earlier_peak_mb = process_peak_rss_mb()
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    except OSError:
        return False
    return True


def operation_peak_rss_mb() -> float:
    """The high-water mark since the last ``reset_peak_rss`` (``VmHWM``), else the process peak."""
    value = _status_mb("VmHWM")
    return value if value is not None else peak_rss_mb()


def cpu_seconds() -> tuple[float, float] | None:
    """CPU time used so far by this process and by its PostgreSQL backend (same machine, Linux); None elsewhere."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    return time.process_time(), (int(fields[11]) + int(fields[12])) / ticks  # utime + stime


@dataclass
class Measurement:
    seconds: float
    queries: int
    result: object = None
    peak_rss_mb: float | None = None  # during the operation only
    rss_before_mb: float | None = None
    load_before: float | None = None
    load_after: float | None = None
    runs: list[float] = field(default_factory=list)  # seconds of each run (measure_repeated)


def measure(func, *args, **kwargs) -> Measurement:
    import gc

    gc.collect()
    load_before = os.getloadavg()[0]
    reset = reset_peak_rss()
    rss_before = _status_mb("VmRSS")
    with count_queries() as counter:
        start = time.perf_counter()
        result = func(*args, **kwargs)
        seconds = time.perf_counter() - start
    return Measurement(
        seconds=seconds,
        queries=counter.count,
        result=result,
        peak_rss_mb=operation_peak_rss_mb() if reset else None,
        rss_before_mb=rss_before,
        load_before=load_before,
        load_after=os.getloadavg()[0],
        runs=[seconds],
    )


def measure_repeated(func, *args, repeat: int = 1, reset=None, **kwargs) -> Measurement:
    """``measure`` ``repeat`` times, calling ``reset()`` between runs; the median run's figures.

    ``seconds`` is the median, ``runs`` every run's seconds; the memory peak is the highest of the
    runs, the load average the one before the first run and after the last.
    """
    runs = []
    for number in range(max(repeat, 1)):
        if number and reset is not None:
            reset()
        runs.append(measure(func, *args, **kwargs))
    ordered = sorted(runs, key=lambda run: run.seconds)
    median = ordered[(len(ordered) - 1) // 2]
    peaks = [run.peak_rss_mb for run in runs if run.peak_rss_mb is not None]
    return Measurement(
        seconds=statistics.median(run.seconds for run in runs),
        queries=median.queries,
        result=runs[-1].result,
        peak_rss_mb=max(peaks) if peaks else None,
        rss_before_mb=runs[0].rss_before_mb,
        load_before=runs[0].load_before,
        load_after=runs[-1].load_after,
        runs=[run.seconds for run in runs],
    )


def scale_baseline(baseline: Measurement, rows: int, sample: int, *, fixed_seconds: float = 0.0) -> Measurement:
    """A per-row baseline measured on ``sample`` of ``rows`` rows, scaled to all of them.

    Its time beyond ``fixed_seconds`` (what does not grow with the rows, a download say) and its
    queries are multiplied by ``rows / sample``; unchanged when the sample was every row.
    """
    if sample >= rows:
        return baseline
    factor = rows / sample
    return Measurement(
        seconds=fixed_seconds + (baseline.seconds - fixed_seconds) * factor,
        queries=round(baseline.queries * factor),
        result=baseline.result,
        load_before=baseline.load_before,
        load_after=baseline.load_after,
    )


def baseline_link_one(customer, email: str, attributes: dict | None = None) -> str | None:
    """The per-row baselines' step for one learner, the straightforward way.

    Looks the user up with ``iexact``; one user: links it (``link_user``) and merges
    ``attributes`` into the learner's; no user and no pending learner for the address: adds one
    and merges ``attributes`` into its stored pending attributes. Returns ``"linked"``,
    ``"pending"``, or None when it did neither (a link conflict, several users, already pending).
    """
    from django.contrib.auth import get_user_model

    from enterprise.exceptions import EnterpriseError
    from enterprise.models import PendingEnterpriseCustomerUser
    from enterprise.services.linking import link_user
    from enterprise.services.pending import pending_learners_for_email

    users = list(get_user_model().objects.filter(email__iexact=email)[:2])
    if len(users) == 1:
        try:
            learner = link_user(customer=customer, user=users[0]).learner
        except EnterpriseError:
            return None
        if attributes:
            learner.attributes = {**(learner.attributes or {}), **attributes}
            learner.save(update_fields=["attributes"])
        return "linked"
    if users or pending_learners_for_email(email).exists():
        return None
    PendingEnterpriseCustomerUser.objects.create(customer=customer, user_email=email)
    if attributes:
        from integrated_channels.integrated_channel.models import PendingLearnerAttributes

        stored, _created = PendingLearnerAttributes.objects.get_or_create(customer=customer, email=email)
        stored.attributes = {**stored.attributes, **attributes}
        stored.save(update_fields=["attributes", "modified"])
    return "pending"


def add_repeat_argument(parser) -> None:
    parser.add_argument(
        "--repeat", type=int, default=1, help="run the measured operation N times; report the minimum and median (1)"
    )


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
        "peak_rss_mb": _mb(rep.measured.peak_rss_mb if rep.measured.peak_rss_mb is not None else peak_rss_mb()),
        "process_peak_rss_mb": _mb(process_peak_rss_mb()),
        "load_before": _load(rep.measured.load_before),
        "load_after": _load(rep.measured.load_after),
    }
    if rep.measured.peak_rss_mb is not None and rep.measured.rss_before_mb is not None:
        values["rss_growth_mb"] = _mb(rep.measured.peak_rss_mb - rep.measured.rss_before_mb)
    if len(rep.measured.runs) > 1:
        values["repeat"] = len(rep.measured.runs)
        values["seconds_min"] = f"{min(rep.measured.runs):.3f}"
        values["seconds_median"] = f"{statistics.median(rep.measured.runs):.3f}"
    values.update(rep.extra)
    lines = [
        ("benchmark", rep.name),
        ("database", connection.vendor),
        *((k, str(v)) for k, v in rep.sizes.items()),
        ("this project", f"{rep.measured.seconds:.3f} s, {rep.measured.queries} queries"),
        *(
            [("runs", f"{len(rep.measured.runs)}: min {values['seconds_min']} s, median {values['seconds_median']} s")]
            if len(rep.measured.runs) > 1
            else []
        ),
        ("per-row baseline", f"{rep.baseline.seconds:.3f} s, {rep.baseline.queries} queries"),
        ("speedup", f"{speedup:.1f}x"),
        *rep.table,
        ("peak RSS", f"{values['peak_rss_mb']} MB during the operation, {values['process_peak_rss_mb']} MB process"),
        ("load average", f"{values['load_before']} before, {values['load_after']} after"),
    ]
    width = max(len(k) for k, _ in lines)
    for key, value in lines:
        print(f"{key.ljust(width)}  {value}", file=out)
    print(" ".join(f"{k}={v}" for k, v in values.items()), file=out)
    return values


def _mb(value: float) -> str:
    return f"{value:.1f}"


def _load(value: float | None) -> str:
    return f"{value:.2f}" if value is not None else "-"


# -- load tests: the standalone host under gunicorn, locust in another process (api, portal, public_catalog)

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def think_range(text: str) -> tuple[float, float] | None:
    """``"0.5-1.5"`` → (0.5, 1.5), ``"1"`` → (1.0, 1.0), ``"0"`` → None (no think-time profile)."""
    low, _sep, high = text.partition("-")
    try:
        bounds = (float(low), float(high or low))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: seconds, or a range such as 0.5-1.5") from None
    if bounds[0] < 0 or bounds[1] < bounds[0]:
        raise argparse.ArgumentTypeError(f"{text!r}: a range from low to high, both >= 0")
    return None if bounds[1] == 0 else bounds


def load_profiles(think: tuple[float, float] | None, closed_loop: bool) -> list[tuple[str, tuple[float, float] | None]]:
    """(prefix of the keys, think time): the think-time profile first, then the closed loop (``closed_loop_…``)."""
    profiles: list[tuple[str, tuple[float, float] | None]] = [("", think)] if think is not None else []
    if closed_loop:
        profiles.append(("closed_loop_" if profiles else "", None))
    return profiles


def server_env(**extra: str) -> dict[str, str]:
    """The environment of the standalone host served on the benchmark's database: production settings
    (``DJANGO_DEBUG=0``, the key of this process, which the benchmark's sessions were signed with),
    persistent connections, errors only in the log; ``extra`` for the benchmark's own variables."""
    from django.conf import settings
    from django.db import connection

    db = connection.settings_dict
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "standalone.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "DATABASE_CONN_MAX_AGE": "600",
        "LOG_LEVEL": "ERROR",  # not the 4xx warnings of django.request; 5xx are errors
        **extra,
    }


@contextlib.contextmanager
def gunicorn(env: dict, *, port: int, workers: int, threads: int, worker_class: str = "gthread", root: Path = ROOT):
    """Serve the standalone host (``standalone/gunicorn.conf.py``) on 127.0.0.1:``port`` from the code in
    ``root`` for the block; yields the server's process once it answers. This process's connection is
    closed first (the server's backends are then the only ones on the database)."""
    import socket
    import subprocess

    from django.db import connection

    with socket.socket() as probe:  # another server on the port would answer the requests meant for ours
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            raise SystemExit(f"127.0.0.1:{port} is in use: choose another --port") from None
    connection.close()
    command = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "standalone" / "gunicorn.conf.py"), "standalone.wsgi"]
    command += ["-w", str(workers), "-k", worker_class]
    if worker_class == "gthread":
        command += ["--threads", str(threads)]
    server = subprocess.Popen(  # noqa: S603 - our own executables
        [*command, "-b", f"127.0.0.1:{port}", "--log-level", "warning"], cwd=root, env=env
    )
    try:
        _wait_until_up(server, port)
        yield server
    finally:
        server.terminate()
        server.wait(timeout=30)


def _wait_until_up(server, port: int) -> None:
    """Until the server answers: the docs page is a cheap 200 for anyone (not the schema, which the
    workers generate once before serving, see standalone/gunicorn.conf.py)."""
    import urllib.request

    for _ in range(300):
        if server.poll() is not None:
            raise SystemExit(f"gunicorn stopped (exit status {server.returncode})")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/docs/", timeout=5).read()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not start")


def server_cpu_seconds(server_pid: int, database: str) -> tuple[float, float]:
    """CPU seconds so far of (the gunicorn master and workers, the PostgreSQL backends of ``database``):
    what the requests cost the machine, whatever else it is running."""
    import psutil
    from django.db import connection

    def used(processes) -> float:
        total = 0.0
        for process in processes:
            try:
                times = process.cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += times.user + times.system
        return total

    server = psutil.Process(server_pid)
    backends = []
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [database])
        for (pid,) in cursor.fetchall():
            try:
                backends.append(psutil.Process(pid))
            except psutil.NoSuchProcess:
                continue
    return used([server, *server.children(recursive=True)]), used(backends)


def run_locust(locustfile: str, *, users: int, seconds: int, port: int, env: dict) -> dict[str, dict[str, float]]:
    """Run ``benchmarks/<locustfile>`` headless with ``users`` users for ``seconds`` (locust of this
    virtualenv, or ``BENCH_LOCUST``); its figures per request name and ``Aggregated``."""
    import csv
    import subprocess

    out = Path(tempfile.mkdtemp(prefix="bench-locust-"))
    subprocess.run(  # noqa: S603 - our own executables
        [
            os.environ.get("BENCH_LOCUST", str(BIN / "locust")),
            *("-f", str(ROOT / "benchmarks" / locustfile), "--headless", "-u", str(users), "-r", str(users)),
            *("-t", f"{seconds}s", "--host", f"http://127.0.0.1:{port}", "--csv", str(out / "run")),
            *("--only-summary", "--loglevel", "WARNING"),
        ],
        cwd=ROOT,
        env=env,
        check=False,
    )
    stats = {}
    with (out / "run_stats.csv").open() as handle:
        for row in csv.DictReader(handle):
            stats[row["Name"]] = {
                "rps": float(row["Requests/s"]),
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "p50": float(row["50%"]),
                "p95": float(row["95%"]),
                "p99": float(row["99%"]),
            }
    return stats


def load_profile(server, database: str, locustfile: str, *, think_variable: str, think, **locust) -> dict:
    """One profile: ``run_locust`` with the think time in ``think_variable`` ("LOW-HIGH", "" for none),
    the server's CPU and the load average around it. ``Aggregated`` gets ``cpu_ms`` (per request,
    gunicorn + PostgreSQL), ``python_ms``, ``database_ms``, ``load_before`` and ``load_after``."""
    env = {**locust.pop("env"), think_variable: "" if think is None else f"{think[0]}-{think[1]}"}
    load_before = os.getloadavg()[0]
    before = server_cpu_seconds(server.pid, database)
    stats = run_locust(locustfile, env=env, **locust)
    after = server_cpu_seconds(server.pid, database)
    total = stats["Aggregated"]
    python_ms, database_ms = (1000 * (a - b) / max(total["requests"], 1) for a, b in zip(after, before, strict=True))
    total |= {"python_ms": python_ms, "database_ms": database_ms, "cpu_ms": python_ms + database_ms}
    total |= {"load_before": load_before, "load_after": os.getloadavg()[0]}
    return stats


def run_profiles(server, locustfile: str, *, think_variable: str, think, closed_loop: bool, **locust) -> list[tuple]:
    """Every profile of ``load_profiles`` in turn against ``server`` on this process's database:
    ``(prefix, think, stats)`` each, ``stats`` as ``load_profile`` gives them."""
    from django.db import connection

    database = connection.settings_dict["NAME"]
    return [
        (
            prefix,
            profile,
            load_profile(server, database, locustfile, think_variable=think_variable, think=profile, **locust),
        )
        for prefix, profile in load_profiles(think, closed_loop)
    ]


def load_pairs(prefix: str, stats: dict, names: tuple[str, ...], targets: tuple[str, ...]) -> dict[str, object]:
    """The key=value pairs of one profile: ``p95_ms`` (the worse of ``targets``' p95s), requests/s,
    errors, the server's CPU per request and its split, the 1-minute load average before and after it
    (``load_during_locust=BEFORE-AFTER``, apart from the report's own ``load_before``/``load_after``),
    then each name's figures."""
    total = stats["Aggregated"]
    pairs: dict[str, object] = {
        f"{prefix}p95_ms": f"{max(stats[name]['p95'] for name in targets if name in stats):.0f}",
        f"{prefix}rps": f"{total['rps']:.1f}",
        f"{prefix}errors": total["failures"],
        f"{prefix}server_cpu_ms_per_request": f"{total['cpu_ms']:.1f}",
        f"{prefix}gunicorn_cpu_ms_per_request": f"{total['python_ms']:.1f}",
        f"{prefix}postgres_cpu_ms_per_request": f"{total['database_ms']:.1f}",
        f"{prefix}load_during_locust": f"{total['load_before']:.2f}-{total['load_after']:.2f}",
    }
    for name in names:
        if name in stats:
            pairs[f"{prefix}{name}_rps"] = f"{stats[name]['rps']:.1f}"
            for key in ("p50", "p95", "p99"):
                pairs[f"{prefix}{name}_{key}_ms"] = f"{stats[name][key]:.0f}"
    return pairs


def load_lines(label: str, stats: dict, names: tuple[str, ...]) -> list[tuple[str, str]]:
    """The table lines of one profile (``Report.table``)."""
    total = stats["Aggregated"]
    lines = [
        (
            f"{label}: server",
            f"{total['rps']:.1f} req/s, {total['failures']} failures, CPU {total['cpu_ms']:.1f} ms a request"
            f" (gunicorn {total['python_ms']:.1f} + PostgreSQL {total['database_ms']:.1f}),"
            f" load {total['load_before']:.2f} -> {total['load_after']:.2f}",
        )
    ]
    for name in names:
        if name in stats:
            s = stats[name]
            lines.append(
                (
                    f"{label}: {name}",
                    f"{s['requests']:,} requests, p50 {s['p50']:.0f} ms, p95 {s['p95']:.0f} ms, p99 {s['p99']:.0f} ms,"
                    f" {s['failures']} failures",
                )
            )
    return lines
