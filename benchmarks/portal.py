"""The portal's Learners page at a million learners: ``python -m benchmarks portal``.

Seeds ``--learners`` linked and ``--pending`` pending learners of one customer with the set-based
SQL of ``benchmarks.learner_lists`` and makes a user its administrator, then requests the whole
Learners page (``/portal/<uuid>/learners/``: middleware, session, the customer scope, both lists,
the template) through Django's test client in this process, ``--repeat`` times each: the first
page, the next page, searches by a rare domain, a shared last name and an exact address, and a
search of the pending learners. Reports the median and p95 of each, and its queries.
The baseline is the two list services alone (``linked_learners_page`` + ``pending_learners_page``):
what the page adds to them.

With ``--enrollments N`` (PostgreSQL), also both pages under load: seeds N enrollments of those
learners in 40 courses over two years (set-based SQL), certificates for two in five, a department
for every learner and three channel runs a day, refreshes the report figures (``refresh_reports``,
timed), requests the dashboard alone (the last 365 days, by week; learners by department), then
serves the standalone host with gunicorn (``--workers`` x ``--threads``, gthread, as in
production) and runs ``--concurrency`` administrators of the customer (default 20, each signed in
with its own session) with locust in another process for ``--seconds``: each requests the
dashboard or the Learners page, waiting ``--think-time`` between pages (default 1-3 s), then again
with no wait (``--closed-loop``: throughput-bound). Reports p50/p95/p99 of both pages, requests
per second, the server's CPU per request (gunicorn and PostgreSQL backends) and the load average
around each profile; the targets of issue 24 are p95 under 300 ms (dashboard) and 100 ms
(learner list).
"""

from __future__ import annotations

import argparse
import statistics
import time

from benchmarks.harness import add_load_arguments, think_text


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks portal", description=__doc__)
    parser.add_argument("--learners", type=int, default=1_000_000, help="linked learners of the customer (1000000)")
    parser.add_argument("--pending", type=int, default=100_000, help="pending learners of the customer (100000)")
    parser.add_argument("--repeat", type=int, default=20, help="requests of each page (20)")
    parser.add_argument(
        "--enrollments", type=int, default=0, help="enrollments for the dashboard load test (0: no load test)"
    )
    parser.add_argument("--concurrency", type=int, default=20, help="concurrent administrators (20)")
    add_load_arguments(parser, who="administrator", think="1-3", port=8767)
    parser.add_argument(
        "--keep-db",
        action="store_true",
        help="keep bench_<db> afterwards and reuse the seed (and its report refresh) when it has these sizes",
    )
    parser.add_argument(
        "--refresh",
        action="store_true",
        help="with --keep-db: time refresh_reports again even when the kept database has its figures",
    )
    args = parser.parse_args(argv)

    from benchmarks.harness import Measurement, Report, measure, report, setup_django
    from benchmarks.learner_lists import seed

    teardown = setup_django(keepdb=args.keep_db)
    try:
        from django.test import Client
        from django.test.utils import setup_test_environment
        from django.urls import reverse

        from enterprise.services.learner_lists import linked_learners_page, pending_learners_page

        setup_test_environment()  # the test client's host name is allowed
        customer = _kept_seed(args) if args.keep_db else None
        if customer is None:
            started = time.perf_counter()
            customer = seed(learners=args.learners, pending=args.pending, attributes=DEPARTMENT_OF_USER)
            print(f"seeded {args.learners:,} learners in {time.perf_counter() - started:.0f} s")
        admin = _administrator(customer, "bench-portal-admin")
        client = Client()
        client.force_login(admin)
        url = reverse("enterprise_portal:learners", kwargs={"customer_uuid": customer.uuid})
        first = client.get(url)
        assert first.status_code == 200, first.status_code
        address = f"learner.{args.learners // 2 + 1:07d}@example.com"
        pages = {
            "first_page": {},
            "next_page": {"linked_after": first.context["linked"].next_cursor, "linked_page": "2"},
            "search_rare_domain": {"linked_q": "acme.example.com"},
            "search_last_name": {"linked_q": "Schmidt"},
            "search_exact_email": {"linked_q": address},
            "search_pending_domain": {"pending_q": "acme.example"},
        }

        def get(params):
            response = client.get(url, params)
            assert response.status_code == 200, response.status_code
            return response

        timings, table, extra = {}, [], {}
        for name, params in pages.items():
            runs = [measure(get, params) for _ in range(args.repeat)]
            ms = sorted(r.seconds * 1000 for r in runs)
            p50, p95 = statistics.median(ms), ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
            timings[name] = (p50, p95, runs[-1].queries)
            extra[f"{name}_p50_ms"], extra[f"{name}_p95_ms"] = f"{p50:.1f}", f"{p95:.1f}"
            table.append((name, f"p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  {runs[-1].queries} queries"))
        services = [
            measure(lambda: (linked_learners_page(customer=customer), pending_learners_page(customer=customer)))
            for _ in range(args.repeat)
        ]
        if args.enrollments:
            extra.update(_load_test(customer, args, table))
        slowest = max(timings.values(), key=lambda t: t[1])
        report(
            Report(
                name="portal",
                sizes={"learners": args.learners, "pending": args.pending, "enrollments": args.enrollments},
                rows=1,
                measured=Measurement(seconds=slowest[1] / 1000, queries=slowest[2]),
                baseline=Measurement(
                    seconds=statistics.median(r.seconds for r in services), queries=services[-1].queries
                ),
                extra=extra,
                table=table,
            )
        )
    finally:
        teardown()
    return 0


COURSES = 40
DEPARTMENTS = ("Sales", "Engineering", "Finance", "Support", "Marketing", "Legal", "Operations", "Research")
#: The learners' attributes in the seed's insert (an SQL expression of the user ``u``): a department each.
DEPARTMENT_OF_USER = (
    "jsonb_build_object('department', (ARRAY["
    + ",".join(f"'{d}'" for d in DEPARTMENTS)
    + f"])[1 + u.id %% {len(DEPARTMENTS)}])"
)


def _kept_seed(args):
    """The customer of a kept database's seed (``--keep-db``), None when there is none; stops when its
    sizes are not the ones asked for."""
    from benchmarks.learner_lists import SLUG
    from enterprise.models import (
        EnterpriseCourseEnrollment,
        EnterpriseCustomer,
        EnterpriseCustomerUser,
        PendingEnterpriseCustomerUser,
    )

    customer = EnterpriseCustomer.objects.filter(slug=SLUG).first()
    if customer is None:
        return None
    have = {
        "learners": EnterpriseCustomerUser.objects.filter(customer=customer).count(),
        "pending": PendingEnterpriseCustomerUser.objects.filter(customer=customer).count(),
        "enrollments": EnterpriseCourseEnrollment.objects.filter(learner__customer=customer).count(),
    }
    wanted = {"learners": args.learners, "pending": args.pending}
    if args.enrollments and have["enrollments"]:
        wanted["enrollments"] = args.enrollments
    if any(have[key] != value for key, value in wanted.items()):
        raise SystemExit(
            "the kept database holds "
            + ", ".join(f"{value:,} {key}" for key, value in have.items())
            + ": drop it (dropdb bench_<name>) or run with these sizes"
        )
    print("reusing the kept seed: " + ", ".join(f"{value:,} {key}" for key, value in have.items()))
    return customer


def _administrator(customer, username: str):
    """The user ``username``, administrator of ``customer`` (made once; a kept database has it)."""
    from django.contrib.auth import get_user_model

    from enterprise.models import EnterpriseCustomerAdmin
    from tests.factories import UserFactory

    user = get_user_model()._default_manager.filter(username=username).first() or UserFactory(username=username)
    EnterpriseCustomerAdmin.objects.get_or_create(customer=customer, user=user)
    return user


def _seed_reports(customer, enrollments: int) -> None:
    """Courses, enrollments (spread over 730 days), certificates, departments and runs, in SQL."""
    import datetime

    from django.db import connection
    from django.utils import timezone

    from benchmarks.learner_lists import bulk_loading
    from enterprise.lms.local.models import Course
    from integrated_channels.integrated_channel.models import Run

    if connection.vendor != "postgresql":
        raise SystemExit("--enrollments needs PostgreSQL (DATABASE_URL=postgres://...)")
    Course.objects.bulk_create(
        [Course(course_id=f"course-v1:Bench+P{i:02d}+2027", title=f"Portal course {i}") for i in range(COURSES)]
    )
    tables = ("enterprise_enterprisecourseenrollment", "lms_local_certificate")
    with connection.cursor() as cursor, bulk_loading(cursor, tables):
        cursor.execute("SELECT count(*) FROM enterprise_enterprisecustomeruser WHERE customer_id = %s", [customer.uuid])
        learners = cursor.fetchone()[0]
        per = -(-enrollments // learners)
        if per > COURSES:
            raise SystemExit(f"--enrollments: at most {COURSES} per learner ({COURSES * learners:,})")
        # The first ``enrollments`` of (learner, k) in order, without sorting the cross join: learner
        # ids are consecutive from the seed, so learner i's k-th enrollment is number i * per + k.
        cursor.execute(
            "INSERT INTO enterprise_enterprisecourseenrollment"
            " (created, modified, learner_id, course_id, mode, source, program_id, role, started_by, paid_currency)"
            " SELECT now() - ((l.id * 7 + k * 13) %% 730 || ' days')::interval, now(), l.id,"
            " 'course-v1:Bench+P' || lpad(((l.id + k) %% 40)::text, 2, '0') || '+2027',"
            " 'audit', 'manual', '', '', 'admin', ''"
            " FROM enterprise_enterprisecustomeruser l CROSS JOIN generate_series(0, %s) AS k,"
            " (SELECT min(id) AS first FROM enterprise_enterprisecustomeruser WHERE customer_id = %s) f"
            " WHERE l.customer_id = %s AND (l.id - f.first) * %s + k < %s",
            [per - 1, customer.uuid, customer.uuid, per, enrollments],
        )
        cursor.execute(
            "INSERT INTO lms_local_certificate (user_id, course_id, grade, issued_at, modified)"
            " SELECT l.user_id, c.id, '0.9', e.created + interval '20 days', now()"
            " FROM enterprise_enterprisecourseenrollment e"
            " JOIN enterprise_enterprisecustomeruser l ON l.id = e.learner_id"
            " JOIN lms_local_course c ON c.course_id = e.course_id"
            " WHERE l.customer_id = %s AND e.id %% 5 < 2 AND e.created < now() - interval '20 days'",
            [customer.uuid],
        )
    now = timezone.now()
    runs = []
    for day in range(730):
        for hour in (1, 9, 17):
            started = now - datetime.timedelta(days=day, hours=hour)
            sent, failed = (day * 37 + hour) % 500, (day + hour) % 7
            runs.append(
                Run(
                    customer=customer,
                    channel="BENCH",
                    started_at=started,
                    heartbeat_at=started,
                    finished_at=started,
                    status=Run.Status.COMPLETED_WITH_ERRORS if failed else Run.Status.COMPLETED,
                    selected=sent + failed,
                    sent=sent,
                    failed=failed,
                )
            )
    Run.objects.bulk_create(runs, batch_size=1000)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def _sessions(customer, count: int) -> list[str]:
    """``count`` administrators of the customer, each signed in: their session keys (database sessions)."""
    from django.test import Client

    keys = []
    for index in range(count):
        user = _administrator(customer, f"bench-portal-admin-{index}")
        client = Client()
        client.force_login(user)
        keys.append(client.session.session_key)
    return keys


def _load_test(customer, args, table) -> dict[str, str]:
    """Seed and refresh the report figures, time the dashboard alone, then serve the standalone host
    with gunicorn and run ``--concurrency`` administrators (locust, another process) against it."""
    import datetime
    import urllib.request

    from django.conf import settings
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from benchmarks.harness import gunicorn, measure, run_profiles, server_env
    from enterprise.models import EnterpriseCourseEnrollment, ReportRefresh
    from enterprise.portal.reports import refresh_reports

    extra = {}
    if not EnterpriseCourseEnrollment.objects.filter(learner__customer=customer).exists():
        started = time.perf_counter()
        _seed_reports(customer, args.enrollments)
        print(f"seeded {args.enrollments:,} enrollments in {time.perf_counter() - started:.0f} s")
    if args.refresh or not ReportRefresh.objects.filter(customer=customer).exists():
        started = time.perf_counter()
        refresh = refresh_reports(customer)
        refresh_seconds = time.perf_counter() - started
        print(f"refreshed the report figures of {refresh.enrollments:,} enrollments in {refresh_seconds:.1f} s")
        table.append(("refresh_reports", f"{refresh_seconds:.1f} s for {refresh.enrollments:,} enrollments"))
        extra["refresh_seconds"] = f"{refresh_seconds:.1f}"
    # One administrator alone first, in this process: the page's own cost (the first request fills
    # the cache of the rolled-up figures, the others read it).
    alone = _administrator(customer, "bench-portal-alone")
    client = Client()
    client.force_login(alone)
    today = timezone.localdate()
    dashboard = reverse("enterprise_portal:reports", kwargs={"customer_uuid": customer.uuid})
    params = {"start": str(today - datetime.timedelta(days=364)), "end": str(today), "field": "department"}
    runs = [measure(client.get, dashboard, params) for _ in range(args.repeat + 1)]
    ms = sorted(r.seconds * 1000 for r in runs[1:])
    p50, p95 = statistics.median(ms), ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    extra.update(
        {
            "dashboard_first_ms": f"{runs[0].seconds * 1000:.1f}",
            "dashboard_p50_ms": f"{p50:.1f}",
            "dashboard_p95_ms": f"{p95:.1f}",
        }
    )
    table.append(
        (
            "dashboard (alone)",
            f"first {runs[0].seconds * 1000:7.1f} ms, then p50 {p50:7.1f} ms  p95 {p95:7.1f} ms"
            f"  {runs[-1].queries} queries",
        )
    )
    sessions = _sessions(customer, args.concurrency)
    learners = reverse("enterprise_portal:learners", kwargs={"customer_uuid": customer.uuid})
    dashboard_url = f"{dashboard}?start={params['start']}&end={params['end']}&field=department"
    env = server_env(
        BENCH_PORTAL_SESSIONS=",".join(sessions),
        BENCH_PORTAL_COOKIE=settings.SESSION_COOKIE_NAME,
        BENCH_PORTAL_DASHBOARD=dashboard_url,
        BENCH_PORTAL_LEARNERS=learners,
    )
    extra |= {
        "concurrency": str(args.concurrency),
        "load_seconds": str(args.seconds),
        "server": f"gthreadx{args.workers}x{args.threads}",
    }
    with gunicorn(env, port=args.port, workers=args.workers, threads=args.threads) as server:
        for _ in range(2 * args.workers * args.threads):  # the worker threads: imports, connections, caches
            for url in (dashboard_url, learners):
                request = urllib.request.Request(
                    f"http://127.0.0.1:{args.port}{url}",
                    headers={"Cookie": f"{settings.SESSION_COOKIE_NAME}={sessions[0]}"},
                )
                with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                    assert response.status == 200 and response.url.endswith(url), response.url
        for prefix, think, stats in run_profiles(
            server,
            "_portal_locust.py",
            think_variable="BENCH_PORTAL_THINK",
            think=args.think_time,
            closed_loop=args.closed_loop,
            users=args.concurrency,
            seconds=args.seconds,
            port=args.port,
            env=env,
        ):
            total = stats["Aggregated"]
            python_ms, database_ms, cpu_ms = total["python_ms"], total["database_ms"], total["cpu_ms"]
            load_before, load_after = total["load_before"], total["load_after"]
            label = "closed loop" if think is None else f"think {think[0]}-{think[1]} s"
            extra |= {
                f"{prefix}think_time": think_text(think),
                f"{prefix}load_before": f"{load_before:.2f}",
                f"{prefix}load_after": f"{load_after:.2f}",
                f"{prefix}rps": f"{total['rps']:.1f}",
                f"{prefix}errors": str(total["failures"]),
                f"{prefix}server_cpu_ms_per_request": f"{cpu_ms:.1f}",
                f"{prefix}gunicorn_cpu_ms_per_request": f"{python_ms:.1f}",
                f"{prefix}postgres_cpu_ms_per_request": f"{database_ms:.1f}",
            }
            table.append(
                (
                    f"x{args.concurrency}, {label}",
                    f"{total['rps']:.1f} req/s, server CPU {cpu_ms:.1f} ms/request"
                    f" (gunicorn {python_ms:.1f} + PostgreSQL {database_ms:.1f}),"
                    f" load {load_before:.1f} -> {load_after:.1f}, {total['failures']} failures",
                )
            )
            for name in ("dashboard", "learners"):
                page = stats.get(name, {"p50": 0.0, "p95": 0.0, "p99": 0.0, "requests": 0})
                extra |= {
                    f"{prefix}concurrent_{name}_p50_ms": f"{page['p50']:.0f}",
                    f"{prefix}concurrent_{name}_p95_ms": f"{page['p95']:.0f}",
                }
                table.append(
                    (
                        f"  {name}",
                        f"p50 {page['p50']:5.0f} ms  p95 {page['p95']:5.0f} ms  p99 {page['p99']:5.0f} ms"
                        f"  ({page['requests']} requests)",
                    )
                )
    return extra
