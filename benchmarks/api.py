"""REST API under load: ``python -m benchmarks api --clients 50`` (PostgreSQL, DATABASE_URL).

Seeds LEARNERS linked learners across CUSTOMERS customers (set-based SQL), serves the standalone
host with gunicorn on loopback, and runs locust headless from a second process: list and search
one customer's learners, post small bulk links. Prints requests/s and p50/p95/p99 per request,
last line key=value pairs ``name=api …``.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def seed(*, learners: int, customers: int) -> tuple[str, str]:
    """Customers, users and links in a few INSERT … SELECT statements; the token of a staff user."""
    from django.db import connection
    from rest_framework.authtoken.models import Token

    from enterprise.models import EnterpriseCustomer, EnterpriseCustomerUser
    from tests.factories import StaffFactory

    rows = [EnterpriseCustomer(name=f"Bench {i:03d}", slug=f"bench-api-{i:03d}") for i in range(customers)]
    EnterpriseCustomer.objects.bulk_create(rows)
    uuids = [str(c.uuid) for c in rows]
    user_table = connection.ops.quote_name("auth_user")
    link_table = EnterpriseCustomerUser._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {user_table}"  # noqa: S608 - table names from Django, values as parameters
            " (password, is_superuser, username, first_name, last_name, email,"
            " is_staff, is_active, date_joined)"
            " SELECT '!', false, 'bapi' || lpad(i::text, 7, '0'), '', '', 'bapi' || lpad(i::text, 7, '0')"
            " || '@example.com', false, true, now() FROM generate_series(0, %s) AS i",
            [learners - 1],
        )
        cursor.execute(
            f"INSERT INTO {link_table}"  # noqa: S608 - table names from Django, values as parameters
            " (created, modified, customer_id, user_id, active, linked, attributes)"
            " SELECT now() - (u.id || ' seconds')::interval, now(),"
            " (%s::uuid[])[1 + (substr(u.username, 5)::int %% %s)], u.id, true, true, '{}'::jsonb"
            f" FROM {user_table} u WHERE u.username LIKE 'bapi%%'",
            [uuids, customers],
        )
        # VACUUM as well: it sets the visibility map, as autovacuum does on a live table, so counts
        # are index-only scans (a count of 10,000 learners: ~2 ms, ~13 ms while every heap page
        # has to be visited). The test server may run with autovacuum off.
        cursor.execute("VACUUM ANALYZE")
    staff = StaffFactory(username="bench-api-staff")
    return uuids[0], Token.objects.get_or_create(user=staff)[0].key


def existing_seed(*, learners: int, customers: int) -> tuple[str, str] | None:
    """The customer under test and the staff token of a database seeded before (``--keep-db``)."""
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    from enterprise.models import EnterpriseCustomer, EnterpriseCustomerUser

    first = EnterpriseCustomer.objects.filter(slug="bench-api-000").first()
    if first is None:
        return None
    have = (
        EnterpriseCustomer.objects.filter(slug__startswith="bench-api-").count(),
        EnterpriseCustomerUser.objects.filter(user__username__startswith="bapi").count(),
    )
    if have != (customers, learners):
        raise SystemExit(
            f"the kept database holds {have[1]:,} learners across {have[0]} customers, not {learners:,} "
            f"across {customers}: drop it (dropdb test_<name>) or run with these sizes"
        )
    staff = get_user_model()._default_manager.get(username="bench-api-staff")
    return str(first.uuid), Token.objects.get_or_create(user=staff)[0].key


def forget_bulk_links() -> None:
    """Remove what the bulk links of an earlier run added, so every run measures the same lists."""
    from enterprise.models import PendingEnterpriseCustomerUser

    PendingEnterpriseCustomerUser.objects.filter(user_email__startswith="bench-").delete()


def _percentiles(path: Path) -> dict[str, dict[str, float]]:
    stats = {}
    with path.open() as handle:
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


def _profiles(args) -> list[tuple[str, tuple[float, float] | None]]:
    """(prefix of the keys, think time): the realistic profile first, then the closed loop."""
    profiles = []
    if args.think_time is not None:
        profiles.append(("", args.think_time))
    if args.closed_loop:
        profiles.append(("closed_loop_" if profiles else "", None))
    return profiles


def _run_locust(args, env: dict, think: tuple[float, float] | None) -> dict[str, dict[str, float]]:
    out = Path(tempfile.mkdtemp(prefix="bench-api-"))
    load_env = {**env, "BENCH_API_THINK": "" if think is None else f"{think[0]}-{think[1]}"}
    subprocess.run(  # noqa: S603 - our own executables
        [
            str(BIN / "locust"),
            "-f",
            str(ROOT / "benchmarks" / "_api_locust.py"),
            "--headless",
            "-u",
            str(args.clients),
            "-r",
            str(args.clients),
            "-t",
            f"{args.seconds}s",
            "--host",
            f"http://127.0.0.1:{args.port}",
            "--csv",
            str(out / "run"),
            "--only-summary",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env=load_env,
        check=False,
    )
    return _percentiles(out / "run_stats.csv")


def _cpu_seconds(server_pid: int, database: str) -> float:
    """CPU time used so far by the gunicorn master and workers and by the PostgreSQL backends
    serving ``database``: what the requests cost the machine, whatever else it is running."""
    import psutil
    from django.db import connection

    processes = [psutil.Process(server_pid)]
    processes += processes[0].children(recursive=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [database])
        for (pid,) in cursor.fetchall():
            try:
                processes.append(psutil.Process(pid))
            except psutil.NoSuchProcess:
                continue
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def _wait_until_up(port: int) -> None:
    """Until the server answers: the docs page is a cheap 200 for anyone (not the schema, which
    the workers generate once before serving, see standalone/gunicorn.conf.py)."""
    for _ in range(150):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/docs/", timeout=5)
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not start")


def _warm_up(port: int, customer: str, token: str, workers: int) -> None:
    """A few requests per worker before measuring: imports, first connections, query plans."""
    base = f"http://127.0.0.1:{port}/enterprise/api/v1/customers/{customer}/learners/"
    for i in range(10 * workers):
        request = urllib.request.Request(  # noqa: S310 - our own loopback server
            base + ("?page_size=50" if i % 2 else f"?search=bapi{i:07d}"),
            headers={"Authorization": f"Token {token}"},
        )
        urllib.request.urlopen(request, timeout=30).read()  # noqa: S310


def _report(label: str, think, stats: dict) -> None:
    print(f"-- {label} ({'no think time' if think is None else f'think time {think[0]}-{think[1]} s'})")
    print(f"server CPU (gunicorn + PostgreSQL backends): {stats['Aggregated']['cpu_ms']:.1f} ms per request")
    for name in ("list", "search", "bulk_link", "Aggregated"):
        s = stats.get(name)
        if s:
            print(
                f"{name:10s} {s['requests']:>7,} req {s['rps']:>8.1f} req/s  p50 {s['p50']:.0f} ms  "
                f"p95 {s['p95']:.0f} ms  p99 {s['p99']:.0f} ms  failures {s['failures']}"
            )


def _pairs(prefix: str, stats: dict) -> dict[str, object]:
    """Key=value pairs of one profile; ``p95_ms`` is the worse of list and search (the target)."""
    total = stats["Aggregated"]
    pairs: dict[str, object] = {
        f"{prefix}p95_ms": f"{max(stats[name]['p95'] for name in ('list', 'search') if name in stats):.0f}",
        f"{prefix}rps": f"{total['rps']:.1f}",
        f"{prefix}errors": total["failures"],
        f"{prefix}server_cpu_ms_per_request": f"{total['cpu_ms']:.1f}",
    }
    for name in ("list", "search", "bulk_link"):
        if name in stats:
            pairs[f"{prefix}{name}_rps"] = f"{stats[name]['rps']:.1f}"
            for key in ("p50", "p95", "p99"):
                pairs[f"{prefix}{name}_{key}_ms"] = f"{stats[name][key]:.0f}"
    return pairs


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks api")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--learners", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=30, help="length of each load profile")
    parser.add_argument(
        "--think-time",
        type=think_range,
        default=think_range("0.5-1.5"),
        help="seconds each client waits between requests in the default profile, uniform in LOW-HIGH "
        "(default 0.5-1.5; 0: skip this profile)",
    )
    parser.add_argument(
        "--closed-loop",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also run the clients with no think time (throughput-bound; keys closed_loop_…)",
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=8, help="threads per worker (gthread)")
    parser.add_argument("--worker-class", default="gthread", help="gunicorn worker class (gthread, sync)")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument(
        "--server-root",
        type=Path,
        default=ROOT,
        help="serve the code of another checkout (e.g. `git archive` of an older commit) for a before/after",
    )
    parser.add_argument("--bulk-weight", type=int, default=1, help="weight of bulk links (list and search: 5 each)")
    parser.add_argument(
        "--keep-db",
        action="store_true",
        help="keep test_<db> afterwards and reuse it when it already holds this seed (seeding takes minutes)",
    )
    args = parser.parse_args(argv)
    if args.think_time is None and not args.closed_loop:
        parser.error("nothing to run: --think-time 0 with --no-closed-loop")
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        print("needs DATABASE_URL=postgres://… (the benchmark creates and drops test_<name>)", file=sys.stderr)
        return 2

    from benchmarks.harness import setup_django

    teardown = setup_django(keepdb=args.keep_db)
    from django.conf import settings
    from django.db import connection

    results = []
    try:
        started = time.perf_counter()
        seeded = existing_seed(learners=args.learners, customers=args.customers) if args.keep_db else None
        if seeded is None:
            customer, token = seed(learners=args.learners, customers=args.customers)
            elapsed = time.perf_counter() - started
            print(f"seeded {args.learners:,} learners across {args.customers} customers in {elapsed:.0f} s")
        else:
            customer, token = seeded
            print(f"reusing {connection.settings_dict['NAME']}: {args.learners:,} learners, {args.customers} customers")
        forget_bulk_links()
        db = connection.settings_dict
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "standalone.settings",
            "DJANGO_DEBUG": "0",
            # Production settings refuse to start without a key (decision 0162): the seeding process's.
            "DJANGO_SECRET_KEY": settings.SECRET_KEY,
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "DATABASE_CONN_MAX_AGE": "600",
            "LOG_LEVEL": "ERROR",  # not the 4xx warnings of django.request; 5xx are errors
            "BENCH_API_CUSTOMER": customer,
            "BENCH_API_TOKEN": token,
            "BENCH_API_LEARNERS": str(args.learners),
            "BENCH_API_CUSTOMERS": str(args.customers),
            "BENCH_API_BULK_WEIGHT": str(args.bulk_weight),
        }
        connection.close()
        command = [str(BIN / "gunicorn"), "-c", str(ROOT / "standalone" / "gunicorn.conf.py"), "standalone.wsgi"]
        command += ["-w", str(args.workers), "-k", args.worker_class]
        if args.worker_class == "gthread":
            command += ["--threads", str(args.threads)]
        server = subprocess.Popen(  # noqa: S603 - our own executables
            [*command, "-b", f"127.0.0.1:{args.port}", "--log-level", "warning"], cwd=args.server_root, env=env
        )
        try:
            _wait_until_up(args.port)
            _warm_up(args.port, customer, token, args.workers)
            for prefix, think in _profiles(args):
                cpu = _cpu_seconds(server.pid, db["NAME"])
                stats = _run_locust(args, env, think)
                cpu = _cpu_seconds(server.pid, db["NAME"]) - cpu
                stats["Aggregated"]["cpu_ms"] = 1000 * cpu / max(stats["Aggregated"]["requests"], 1)
                results.append((prefix, think, stats))
        finally:
            server.terminate()
            server.wait(timeout=30)
            if args.keep_db:
                forget_bulk_links()
    finally:
        teardown()
    pairs: dict[str, object] = {
        "name": "api",
        "clients": args.clients,
        "learners": args.learners,
        "customers": args.customers,
        "seconds": args.seconds,
        "think_time": "0" if args.think_time is None else f"{args.think_time[0]}-{args.think_time[1]}",
        "server": f"{args.worker_class}x{args.workers}"
        + (f"x{args.threads}" if args.worker_class == "gthread" else ""),
    }
    for prefix, think, stats in results:
        _report("closed loop" if think is None else "think time", think, stats)
        pairs.update(_pairs(prefix, stats))
    print(" ".join(f"{key}={value}" for key, value in pairs.items()))
    return 0 if all(stats["Aggregated"]["failures"] == 0 for _p, _t, stats in results) else 1
