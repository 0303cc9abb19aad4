"""Adobe Commerce purchases → enrollments: ``python -m benchmarks commerce_sync --orders 100000``.

Builds ``--courses`` priced courses and ``--orders`` complete orders of one line each (every learner
buys ``--per-learner`` courses; half the buyers have an account, half become pending learners
enrolled at registration), then measures ``import_purchases``: each line validated (SKU, amount,
currency, e-mail), recorded once (``ProcessedOrderLine``), enrolled set-based through Manage
Learners with its purchase (decisions 0370, 0530). Target (issue 20): 100,000 lines in under 20 s.

``--store http`` (the default): the orders are read over HTTP from the strict fake store
(tests/fakes/commerce.py: OAuth 1.0a signatures checked, ``searchCriteria`` paging, pages of 300, the
store's maximum with input limits on) by the real ``CommerceClient``. The fake runs in a process of
its own, so its CPU time is reported apart (``store_cpu_seconds=``) from this process's
(``python_cpu_seconds=``: the client, the parsing and the import) and the PostgreSQL backend's
(``database_cpu_seconds=``). ``--store memory``: an in-process stand-in answers the same pages (the
import alone). The per-row baseline does the same job line by line (a price look-up,
``link_learner`` with its enrollment, a purchase stamp, a processed-line row) on the first
``--baseline-rows`` lines, scaled to ``--orders`` (``baseline_scaled_from_rows=``).
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import time
from decimal import Decimal

COURSE_ID = "course-v1:Bench+C{:04d}+2027"
#: the fake store's integration credentials (the connection's, the fake's)
CREDENTIALS = {"consumer_key": "ck", "consumer_secret": "cs", "token": "at", "token_secret": "ats"}


class PagedOrders:
    """What ``CommerceClient`` answers for orders and credit memos, from a list already sorted."""

    def __init__(self, orders: list[dict]):
        self.orders = orders
        self.pages = 0

    def orders_page(self, *, since, page: int, page_size: int) -> dict:
        self.pages += 1
        start = (page - 1) * page_size
        return {"items": self.orders[start : start + page_size], "total_count": len(self.orders)}

    def creditmemos_page(self, *, since, page: int, page_size: int) -> dict:
        return {"items": [], "total_count": 0}


class CountedPages:
    """A ``CommerceClient`` that counts the pages of orders it reads."""

    def __init__(self, client):
        self.client, self.pages = client, 0

    def orders_page(self, **criteria) -> dict:
        self.pages += 1
        return self.client.orders_page(**criteria)

    def creditmemos_page(self, **criteria) -> dict:
        return self.client.creditmemos_page(**criteria)


def order_list(*, orders: int, courses: int, per_learner: int) -> list[dict]:
    """The complete orders of one line each (the same in this process and in the fake store's)."""
    lines = []
    for n in range(orders):
        buyer, k = divmod(n, per_learner)
        course = COURSE_ID.format((buyer * per_learner + k) % courses)
        stamp = f"2027-01-{1 + n // 10_000:02d} {n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d}"
        lines.append(
            {
                "entity_id": n + 1,
                "increment_id": f"{n + 1:09d}",
                "status": "complete",
                "customer_email": f"Buyer.{buyer:07d}@Example.com",
                "order_currency_code": "USD",
                "created_at": stamp,
                "updated_at": stamp,
                "items": [{"item_id": str(n + 1), "sku": course, "price": 49.9}],
            }
        )
    return lines


def serve_store(orders: int, courses: int, per_learner: int) -> None:
    """The fake store with the benchmark's orders, in a process of its own (``StoreProcess``): prints its
    URL, serves until its standard input closes."""
    from tests.fakes.commerce import FakeCommerce

    fake = FakeCommerce(**CREDENTIALS)
    fake.orders = order_list(orders=orders, courses=courses, per_learner=per_learner)
    with fake:
        print(fake.url, flush=True)
        sys.stdin.read()


class StoreProcess:
    """``serve_store`` in a child process: its URL, and its CPU time so far (``cpu_seconds()``, Linux)."""

    def __init__(self, *, orders: int, courses: int, per_learner: int):
        code = f"from benchmarks.commerce_sync import serve_store; serve_store({orders}, {courses}, {per_learner})"
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        self.process = subprocess.Popen(  # noqa: S603 - this interpreter, our own module
            [sys.executable, "-c", code], cwd=root, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        self.url = self.process.stdout.readline().strip()
        if not self.url.startswith("http://127.0.0.1:"):
            self.stop()
            raise SystemExit(f"the fake store did not start: {self.url!r}")

    def cpu_seconds(self) -> float | None:
        try:
            with open(f"/proc/{self.process.pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def build(*, orders: int, courses: int, per_learner: int, base_url: str = "https://shop.example.com"):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX

    from enterprise.lms.local import models as lms
    from enterprise.models import EnterpriseCustomer, Price
    from integrated_channels.adobe_commerce.models import AdobeCommerceConfiguration

    customer = EnterpriseCustomer.objects.create(name="Commerce Bench", slug="commerce-bench")
    course_rows = lms.Course.objects.bulk_create(
        [lms.Course(course_id=COURSE_ID.format(i), title=f"Course {i}") for i in range(courses)]
    )
    lms.CourseMode.objects.bulk_create([lms.CourseMode(course=c, mode="verified") for c in course_rows])
    Price.objects.bulk_create(
        [
            Price(
                customer=customer,
                content_type="course",
                content_id=c.course_id,
                amount=Decimal("49.90"),
                currency="USD",
            )
            for c in course_rows
        ]
    )
    buyers = orders // per_learner
    get_user_model().objects.bulk_create(
        [
            get_user_model()(
                username=f"buyer{i:07d}", email=f"buyer.{i:07d}@example.com", password=UNUSABLE_PASSWORD_PREFIX
            )
            for i in range(0, buyers, 2)  # the even ones have an account; the odd ones become pending learners
        ],
        batch_size=5000,
    )
    connection = AdobeCommerceConfiguration.objects.create(
        customer=customer,
        name="bench",
        active=True,
        base_url=base_url,
        consumer_key=CREDENTIALS["consumer_key"],
        consumer_secret=CREDENTIALS["consumer_secret"],
        access_token=CREDENTIALS["token"],
        access_token_secret=CREDENTIALS["token_secret"],
    )
    return connection, order_list(orders=orders, courses=courses, per_learner=per_learner)


def reset(connection) -> None:
    from enterprise.models import (
        EnterpriseCourseEnrollment,
        EnterpriseCustomerUser,
        PendingEnrollment,
        PendingEnterpriseCustomerUser,
    )
    from integrated_channels.adobe_commerce.models import ProcessedOrderLine
    from integrated_channels.integrated_channel.models import Run

    ProcessedOrderLine.objects.filter(configuration=connection).delete()
    EnterpriseCourseEnrollment.objects.filter(learner__customer_id=connection.customer_id).delete()
    PendingEnrollment.objects.filter(pending_learner__customer_id=connection.customer_id).delete()
    EnterpriseCustomerUser.objects.filter(customer_id=connection.customer_id).delete()
    PendingEnterpriseCustomerUser.objects.filter(customer_id=connection.customer_id).delete()
    Run.objects.filter(configuration_id=connection.pk).delete()
    type(connection).objects.filter(pk=connection.pk).update(orders_synced_until=None)


def per_row_baseline(connection, orders: list[dict], limit: int) -> int:
    """Line by line: price look-up, link and enroll one learner, stamp the purchase, record the line."""
    from django.db import transaction
    from django.utils.dateparse import parse_datetime

    from enterprise.models import EnterpriseCourseEnrollment, PendingEnrollment
    from enterprise.models.enrollment import EnrollmentSource
    from enterprise.services.manage_learners import link_learner
    from enterprise.services.prices import prices_for
    from integrated_channels.adobe_commerce.models import ProcessedOrderLine

    done = 0
    with transaction.atomic():
        for order in orders[:limit]:
            item = order["items"][0]
            quote = prices_for(connection.customer_id, "course", [item["sku"]]).get(item["sku"])
            if quote is None or Decimal(str(item["price"])) != quote.amount:
                continue
            email = order["customer_email"].lower()
            link_learner(
                customer=connection.customer,
                identifier=email,
                course_id=item["sku"],
                mode="verified",
                source=EnrollmentSource.IMPORT,
            )
            at = parse_datetime(order["created_at"].replace(" ", "T") + "+00:00")
            stamp = {"paid_amount": quote.amount, "paid_currency": "USD", "purchased_at": at}
            EnterpriseCourseEnrollment.objects.filter(
                learner__customer_id=connection.customer_id, learner__user__email__iexact=email, course_id=item["sku"]
            ).update(**stamp)
            PendingEnrollment.objects.filter(
                pending_learner__customer_id=connection.customer_id,
                pending_learner__user_email=email,
                course_id=item["sku"],
            ).update(**stamp)
            ProcessedOrderLine.objects.create(
                configuration=connection,
                order_id=order["increment_id"],
                item_id=item["item_id"],
                sku=item["sku"],
                email=email,
                amount=quote.amount,
                currency="USD",
                purchased_at=at,
                outcome=ProcessedOrderLine.Outcome.ENROLLED,
                content_type="course",
            )
            done += 1
    return done


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks commerce_sync")
    parser.add_argument("--orders", type=int, default=100_000, help="order lines (one per order)")
    parser.add_argument("--courses", type=int, default=100)
    parser.add_argument("--per-learner", type=int, default=5, help="courses each buyer buys")
    parser.add_argument("--baseline-rows", type=int, default=2000, help="lines of the per-row baseline (0: all)")
    parser.add_argument(
        "--store",
        choices=("http", "memory"),
        default="http",
        help="read the orders over HTTP from the fake store in its own process (http) or from an in-process stand-in",
    )
    from benchmarks.harness import Measurement, Report, add_repeat_argument, measure, measure_repeated, report

    add_repeat_argument(parser)
    args = parser.parse_args(argv)
    if args.per_learner > args.courses:
        parser.error("--per-learner cannot exceed --courses (a learner buys a course once)")
    baseline_rows = min(args.baseline_rows or args.orders, args.orders)

    from benchmarks.harness import cpu_seconds as process_and_database_cpu
    from benchmarks.harness import setup_django

    logging.disable(logging.INFO)
    store = None
    if args.store == "http":  # started before Django: the child is a small process
        store = StoreProcess(orders=args.orders, courses=args.courses, per_learner=args.per_learner)
    teardown = setup_django()
    try:
        from django.conf import settings
        from django.db import connection as db

        from enterprise.app_settings import enterprise_settings
        from enterprise.models import EnterpriseCourseEnrollment, PendingEnrollment
        from integrated_channels.adobe_commerce.client import CommerceClient
        from integrated_channels.adobe_commerce.purchases import import_purchases
        from integrated_channels.integrated_channel.models import Run

        settings.ENTERPRISE = {
            **settings.ENTERPRISE,
            "MANAGE_LEARNERS_MAX_ROWS": args.orders + 1,
            "MANAGE_LEARNERS_MAX_UPLOAD_BYTES": 64 * args.orders + 1024,
        }
        enterprise_settings.reload()
        connection, orders = build(
            orders=args.orders,
            courses=args.courses,
            per_learner=args.per_learner,
            **({"base_url": store.url} if store else {}),
        )
        if db.vendor == "postgresql":
            with db.cursor() as cursor:
                cursor.execute("ANALYZE")

        def run():
            client = PagedOrders(orders) if store is None else CountedPages(CommerceClient(connection))
            database = process_and_database_cpu()  # None on SQLite: the database's work is this process's
            store_cpu = store.cpu_seconds() if store else None
            started = time.process_time()
            result = import_purchases(connection, trigger=Run.Trigger.COMMAND, client=client)
            python_cpu = time.process_time() - started
            if database is not None:
                database = process_and_database_cpu()[1] - database[1]
            if store_cpu is not None:
                store_cpu = store.cpu_seconds() - store_cpu
            return result, client.pages, (python_cpu, database), store_cpu

        measured = measure_repeated(run, repeat=args.repeat, reset=lambda: reset(connection))
        run_row, pages, (cpu_seconds, database_cpu), store_cpu = measured.result
        customer = connection.customer_id
        stamped = (
            EnterpriseCourseEnrollment.objects.filter(learner__customer_id=customer, purchased_at__isnull=False).count()
            + PendingEnrollment.objects.filter(
                pending_learner__customer_id=customer, purchased_at__isnull=False
            ).count()
        )
        if (run_row.status, run_row.sent, stamped) != (Run.Status.COMPLETED, args.orders, args.orders):
            raise SystemExit(f"unexpected result: {run_row.status} sent {run_row.sent}, {stamped} stamped")
        reset(connection)
        baseline = measure(per_row_baseline, connection, orders, baseline_rows)
        if baseline.result != baseline_rows:
            raise SystemExit(f"the baseline enrolled {baseline.result} of {baseline_rows} lines")
        # CPU times of this process, the PostgreSQL backend and the fake store: on a loaded machine, what the wall
        # time hides
        extra = {
            "courses": args.courses,
            "per_learner": args.per_learner,
            "pages": pages,
            "stamped": stamped,
            "store": args.store,
            "python_cpu_seconds": f"{cpu_seconds:.1f}",
        }
        if database_cpu is not None:
            extra["database_cpu_seconds"] = f"{database_cpu:.1f}"
        if store_cpu is not None:
            extra["store_cpu_seconds"] = f"{store_cpu:.1f}"
        if baseline_rows < args.orders:
            baseline = Measurement(
                seconds=baseline.seconds * args.orders / baseline_rows,
                queries=round(baseline.queries * args.orders / baseline_rows),
                result=baseline.result,
            )
            extra["baseline_scaled_from_rows"] = baseline_rows
        report(
            Report(
                name="commerce_sync",
                sizes={"orders": args.orders},
                rows=args.orders,
                measured=measured,
                baseline=baseline,
                extra=extra,
                table=[
                    ("order lines per second", f"{args.orders / measured.seconds:,.0f}"),
                    ("enrollments + pending enrollments stamped", f"{stamped:,}"),
                ],
            )
        )
    finally:
        teardown()
        if store is not None:
            store.stop()
    return 0
