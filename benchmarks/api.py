"""REST API under load: ``python -m benchmarks api --clients 50`` (PostgreSQL, DATABASE_URL).

Seeds LEARNERS linked learners across CUSTOMERS customers (set-based SQL), serves the standalone
host with gunicorn on loopback, and runs locust headless from a second process: list and search
one customer's learners, post small bulk links. Prints requests/s and p50/p95/p99 per request,
last line key=value pairs ``name=api …``.
"""

from __future__ import annotations

import argparse
import time
import urllib.request
from pathlib import Path

from benchmarks.harness import ROOT, add_load_arguments, load_test_can_run, think_text

#: the request names of ``_api_locust.py``; ``p95_ms`` is the worse of list and search (the target)
NAMES = ("list", "search", "bulk_link")
TARGETS = ("list", "search")


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
            f"across {customers}: drop it (dropdb bench_<name>) or run with these sizes"
        )
    staff = get_user_model()._default_manager.get(username="bench-api-staff")
    return str(first.uuid), Token.objects.get_or_create(user=staff)[0].key


def forget_bulk_links() -> None:
    """Remove what the bulk links of an earlier run added, so every run measures the same lists."""
    from enterprise.models import PendingEnterpriseCustomerUser

    PendingEnterpriseCustomerUser.objects.filter(user_email__startswith="bench-").delete()


def _warm_up(port: int, customer: str, token: str, workers: int) -> None:
    """A few requests per worker before measuring: imports, first connections, query plans."""
    base = f"http://127.0.0.1:{port}/enterprise/api/v1/customers/{customer}/learners/"
    for i in range(10 * workers):
        request = urllib.request.Request(  # noqa: S310 - our own loopback server
            base + ("?page_size=50" if i % 2 else f"?search=bapi{i:07d}"),
            headers={"Authorization": f"Token {token}"},
        )
        urllib.request.urlopen(request, timeout=30).read()  # noqa: S310


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks api")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--learners", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=100)
    add_load_arguments(parser, who="client", think="0.5-1.5", port=8766)
    parser.add_argument("--worker-class", default="gthread", help="gunicorn worker class (gthread, sync)")
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
        help="keep bench_<db> afterwards and reuse it when it already holds this seed (seeding takes minutes)",
    )
    args = parser.parse_args(argv)
    if not load_test_can_run(parser, args):
        return 2

    from benchmarks.harness import (
        gunicorn,
        load_lines,
        load_pairs,
        run_profiles,
        server_env,
        setup_django,
    )

    teardown = setup_django(keepdb=args.keep_db)
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
        env = server_env(
            BENCH_API_CUSTOMER=customer,
            BENCH_API_TOKEN=token,
            BENCH_API_LEARNERS=str(args.learners),
            BENCH_API_CUSTOMERS=str(args.customers),
            BENCH_API_BULK_WEIGHT=str(args.bulk_weight),
        )
        server_options = {"workers": args.workers, "threads": args.threads, "worker_class": args.worker_class}
        try:
            with gunicorn(env, port=args.port, root=args.server_root, **server_options) as server:
                _warm_up(args.port, customer, token, args.workers)
                results = run_profiles(
                    server,
                    "_api_locust.py",
                    think_variable="BENCH_API_THINK",
                    think=args.think_time,
                    closed_loop=args.closed_loop,
                    users=args.clients,
                    seconds=args.seconds,
                    port=args.port,
                    env=env,
                )
        finally:
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
        "think_time": think_text(args.think_time),
        "server": f"{args.worker_class}x{args.workers}"
        + (f"x{args.threads}" if args.worker_class == "gthread" else ""),
    }
    for prefix, think, stats in results:
        label = "closed loop" if think is None else f"think {think[0]}-{think[1]} s"
        for key, value in load_lines(label, stats, NAMES):
            print(f"{key:30s} {value}")
        pairs.update(load_pairs(prefix, stats, NAMES, TARGETS))
    print(" ".join(f"{key}={value}" for key, value in pairs.items()))
    return 0 if all(stats["Aggregated"]["failures"] == 0 for _p, _t, stats in results) else 1
