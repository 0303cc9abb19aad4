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
        cursor.execute("ANALYZE")
    staff = StaffFactory(username="bench-api-staff")
    return uuids[0], Token.objects.get_or_create(user=staff)[0].key


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


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks api")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--learners", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--bulk-weight", type=int, default=1, help="weight of bulk links (list and search: 5 each)")
    args = parser.parse_args(argv)
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        print("needs DATABASE_URL=postgres://… (the benchmark creates and drops test_<name>)", file=sys.stderr)
        return 2

    from benchmarks.harness import setup_django

    teardown = setup_django()
    from django.db import connection

    try:
        started = time.perf_counter()
        customer, token = seed(learners=args.learners, customers=args.customers)
        elapsed = time.perf_counter() - started
        print(f"seeded {args.learners:,} learners across {args.customers} customers in {elapsed:.0f} s")
        db = connection.settings_dict
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "standalone.settings",
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "DATABASE_CONN_MAX_AGE": "600",
            "LOG_LEVEL": "WARNING",
        }
        connection.close()
        server = subprocess.Popen(  # noqa: S603 - our own executables
            [
                str(BIN / "gunicorn"),
                "standalone.wsgi",
                "-w",
                str(args.workers),
                "-b",
                f"127.0.0.1:{args.port}",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
        )
        try:
            for _ in range(100):
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{args.port}/api/schema/", timeout=5)
                    break
                except OSError:
                    time.sleep(0.2)
            else:
                raise SystemExit("gunicorn did not start")
            out = Path(tempfile.mkdtemp(prefix="bench-api-"))
            load_env = {
                **env,
                "BENCH_API_CUSTOMER": customer,
                "BENCH_API_TOKEN": token,
                "BENCH_API_LEARNERS": str(args.learners),
                "BENCH_API_CUSTOMERS": str(args.customers),
                "BENCH_API_BULK_WEIGHT": str(args.bulk_weight),
            }
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
            stats = _percentiles(out / "run_stats.csv")
        finally:
            server.terminate()
            server.wait(timeout=30)
    finally:
        teardown()
    for name in ("list", "search", "bulk_link", "Aggregated"):
        s = stats.get(name)
        if s:
            print(
                f"{name:10s} {s['requests']:>7,} req {s['rps']:>8.1f} req/s  p50 {s['p50']:.0f} ms  "
                f"p95 {s['p95']:.0f} ms  p99 {s['p99']:.0f} ms  failures {s['failures']}"
            )
    total = stats["Aggregated"]
    pairs = {
        "name": "api",
        "clients": args.clients,
        "learners": args.learners,
        "customers": args.customers,
        "rps": f"{total['rps']:.1f}",
        "errors": total["failures"],
    }
    for name in ("list", "search", "bulk_link"):
        if name in stats:
            for key in ("p50", "p95", "p99"):
                pairs[f"{name}_{key}_ms"] = f"{stats[name][key]:.0f}"
    print(" ".join(f"{key}={value}" for key, value in pairs.items()))
    return 0 if total["failures"] == 0 else 1
