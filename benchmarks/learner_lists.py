"""The Manage Learners lists at a million learners: ``python -m benchmarks learner_lists``.

Seeds ``--learners`` linked learners (default 1,000,000) of ONE customer, and ``--pending``
pending learners, with set-based SQL (PostgreSQL or SQLite). Their addresses are
``learner.NNNNNNN@example.com`` except one in a thousand at ``acme.example.com``; first and last
names cycle through a dozen and ten values (a tenth are "Schmidt"). On PostgreSQL the filled
tables' secondary indexes and unique constraints are dropped during the inserts and built again
after, and the foreign-key triggers are off (``bulk_loading``: the rows are built consistent), then
``VACUUM ANALYZE``. ``--keep-db`` keeps the test database and reuses a seed of the same sizes.

Measures each page the operator asks for, as the admin view calls it
(``learner_lists.linked_learners_page`` / ``pending_learners_page``), the median of ``--repeat``
runs: the first page, the next one, a jump to a date in the middle, the last page, and searches
by a rare domain, a common domain (every learner matches: the bounded count), a last name shared
by 100,000, a part of a username, an exact address, and nothing. The baseline is the previous
search (exact e-mail or username prefix: ``linked_learners`` of the REST API) on the same data.
The last line has ``seconds=`` (the slowest page) and ``baseline_seconds=`` (the slowest old
search), then ``<page>_ms=`` for every page.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import statistics
import time

FIRST = ("Ada", "Ben", "Chloé", "Dmitri", "Emeka", "Fatima", "Grace", "Hiro", "Ines", "Jonas", "Kavya", "Liam")
LAST = ("Okafor", "Schmidt", "Nakamura", "García", "Kowalski", "Patel", "Dubois", "Nguyen", "Larsen", "Haddad")
SLUG = "bench-lists"


@contextlib.contextmanager
def bulk_loading(cursor, tables: tuple[str, ...]):
    """PostgreSQL: fill ``tables`` fast. Their secondary indexes and unique constraints are dropped
    and built again on leaving (one sort each instead of a million index insertions; the trigram
    indexes most of all), and foreign-key triggers are off meanwhile (``session_replication_role``,
    superuser only; otherwise they stay on): for seeds whose rows are built consistent."""
    cursor.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = ANY(%s) AND i.schemaname = 'public'"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
        [list(tables)],
    )
    indexes = cursor.fetchall()
    cursor.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE contype = 'u' AND conrelid::regclass::text = ANY(%s)",
        [list(tables)],
    )
    constraints = cursor.fetchall()
    cursor.execute("SELECT current_setting('is_superuser') = 'on'")
    superuser = cursor.fetchone()[0]
    for name, _definition in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    for table, name, _definition in constraints:
        cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
    if superuser:
        cursor.execute("SET session_replication_role = replica")
    try:
        yield
    finally:
        if superuser:
            cursor.execute("SET session_replication_role = DEFAULT")
        for table, name, definition in constraints:
            cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
        for _name, definition in indexes:
            cursor.execute(definition)


def seed(*, learners: int, pending: int, analyze: bool = True, attributes: str = ""):
    """The customer, its users, links and pending learners, in a few INSERT … SELECT statements.

    ``attributes``: the learners' attributes as an SQL expression of ``u.id`` (PostgreSQL; ``'{}'``).
    """
    from django.db import connection

    from enterprise.models import EnterpriseCustomer

    customer = EnterpriseCustomer.objects.create(name="Bench lists", slug=SLUG)
    pg = connection.vendor == "postgresql"
    firsts = "ARRAY[" + ",".join(f"'{n}'" for n in FIRST) + "]"
    lasts = "ARRAY[" + ",".join(f"'{n}'" for n in LAST) + "]"
    tables = ("auth_user", "enterprise_enterprisecustomeruser", "enterprise_pendingenterprisecustomeruser")
    with connection.cursor() as cursor, bulk_loading(cursor, tables) if pg else contextlib.nullcontext():
        if pg:
            series = "generate_series(0, %s) AS g(i)"
            number = "lpad(i::text, 7, '0')"
            domain = "CASE WHEN i %% 1000 = 0 THEN 'acme.example.com' ELSE 'example.com' END"
            first = f"({firsts})[1 + i %% {len(FIRST)}]"
            last = f"({lasts})[1 + (i / {len(FIRST)}) %% {len(LAST)}]"
            created = "now() - (i || ' seconds')::interval"
            uuid = "%s::uuid"
            attributes = attributes or "'{}'::jsonb"
        else:
            series = "(WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < %s) SELECT i FROM s)"
            number = "substr('0000000' || i, -7, 7)"
            domain = "CASE WHEN i %% 1000 = 0 THEN 'acme.example.com' ELSE 'example.com' END"
            first = "CASE i %% 12 " + " ".join(f"WHEN {k} THEN '{n}'" for k, n in enumerate(FIRST)) + " END"
            last = "CASE (i / 12) %% 10 " + " ".join(f"WHEN {k} THEN '{n}'" for k, n in enumerate(LAST)) + " END"
            created = "datetime('now', '-' || i || ' seconds')"
            uuid = "%s"
            attributes = attributes or "'{}'"
        cursor.execute(
            "INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email,"  # noqa: S608
            " is_staff, is_active, date_joined)"
            f" SELECT '!', false, 'learner.' || {number}, {first}, {last},"
            f" 'learner.' || {number} || '@' || {domain}, false, true, {created} FROM {series}",
            [learners - 1],
        )
        cursor.execute(
            "INSERT INTO enterprise_enterprisecustomeruser"  # noqa: S608
            " (created, modified, customer_id, user_id, active, linked, attributes)"
            f" SELECT u.date_joined, u.date_joined, {uuid}, u.id, true, true, {attributes}"
            " FROM auth_user u WHERE u.username LIKE 'learner.%%'",
            [str(customer.uuid).replace("-", "") if not pg else str(customer.uuid)],
        )
        if pending:
            cursor.execute(
                "INSERT INTO enterprise_pendingenterprisecustomeruser (created, modified, customer_id, user_email)"  # noqa: S608
                f" SELECT {created}, {created}, {uuid}, 'pending.' || {number} || '@' || {domain} FROM {series}",
                [str(customer.uuid).replace("-", "") if not pg else str(customer.uuid), pending - 1],
            )
    if analyze:  # VACUUM cannot run in a transaction (the tests' seed)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE" if pg else "ANALYZE")
    return customer


def _median_ms(func, repeat: int) -> tuple[float, object, int]:
    from benchmarks.harness import measure

    runs = [measure(func) for _ in range(repeat)]
    return statistics.median(r.seconds for r in runs) * 1000, runs[-1].result, runs[-1].queries


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks learner_lists", description=__doc__)
    parser.add_argument("--learners", type=int, default=1_000_000, help="linked learners of the customer (1000000)")
    parser.add_argument("--pending", type=int, default=100_000, help="pending learners of the customer (100000)")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each page; the median is reported (5)")
    parser.add_argument("--keep-db", action="store_true", help="keep bench_<db> and reuse it when it has the sizes")
    args = parser.parse_args(argv)

    from benchmarks.harness import Measurement, Report, report, setup_django

    teardown = setup_django(keepdb=args.keep_db)
    try:
        from django.utils import timezone

        from enterprise.models import EnterpriseCustomer, EnterpriseCustomerUser
        from enterprise.services.learner_lists import (
            _page,
            linked_learners,
            linked_learners_page,
            pending_learners_page,
        )

        customer = EnterpriseCustomer.objects.filter(slug=SLUG).first()
        if customer is not None and EnterpriseCustomerUser.objects.filter(customer=customer).count() != args.learners:
            raise SystemExit("the kept database holds other sizes: drop bench_<db> or run with the same sizes")
        if customer is None:
            started = time.perf_counter()
            customer = seed(learners=args.learners, pending=args.pending)
            print(f"seeded {args.learners:,} learners in {time.perf_counter() - started:.0f} s")

        first = linked_learners_page(customer=customer)
        address = f"learner.{args.learners // 2 + 1:07d}@example.com"  # one learner's exact address
        middle_day = timezone.localdate(timezone.now() - datetime.timedelta(seconds=args.learners // 2))
        midnight = timezone.make_aware(
            datetime.datetime.combine(middle_day + datetime.timedelta(days=1), datetime.time())
        )
        pages = {
            "first_page": lambda: linked_learners_page(customer=customer),
            "next_page": lambda: linked_learners_page(customer=customer, after=first.next_cursor, number=2),
            "date_jump": lambda: linked_learners_page(customer=customer, after=f"{midnight.isoformat()}_0"),
            "last_page": lambda: linked_learners_page(customer=customer, last=True),
            "search_rare_domain": lambda: linked_learners_page(customer=customer, search="acme.example.com"),
            "search_common_domain": lambda: linked_learners_page(customer=customer, search="example.com"),
            "search_last_name": lambda: linked_learners_page(customer=customer, search="Schmidt"),
            "search_username_part": lambda: linked_learners_page(customer=customer, search="learner.0000"),
            "search_exact_email": lambda: linked_learners_page(customer=customer, search=address),
            "search_no_match": lambda: linked_learners_page(customer=customer, search="nobody-here"),
            "pending_first_page": lambda: pending_learners_page(customer=customer),
            "pending_search_domain": lambda: pending_learners_page(customer=customer, search="acme.example"),
        }
        old = {
            "old_first_page": lambda: _page(
                linked_learners(customer=customer).select_related("user"), search="", after="", before="", size=None
            ),
            "old_search_exact_email": lambda: _page(
                linked_learners(customer=customer, search=address).select_related("user"),
                search="",
                after="",
                before="",
                size=None,
            ),
            "old_search_username_prefix": lambda: _page(
                linked_learners(customer=customer, search="learner.0000").select_related("user"),
                search="",
                after="",
                before="",
                size=None,
            ),
        }
        timings, table = {}, []
        for name, func in {**pages, **old}.items():
            ms, page, queries = _median_ms(func, args.repeat)
            timings[name] = ms
            total = f"{'>' if not page.total_exact else ''}{page.total:,}"
            table.append((name, f"{ms:8.1f} ms  {queries} queries  {total} found, page {page.number}"))
        slowest = max(timings[name] for name in pages)
        slowest_old = max(timings[name] for name in old)
        report(
            Report(
                name="learner_lists",
                sizes={"learners": args.learners, "pending": args.pending},
                rows=1,
                measured=Measurement(seconds=slowest / 1000, queries=0),
                baseline=Measurement(seconds=slowest_old / 1000, queries=0),
                extra={f"{name}_ms": f"{ms:.1f}" for name, ms in timings.items()},
                table=table,
            )
        )
    finally:
        teardown()
    return 0
