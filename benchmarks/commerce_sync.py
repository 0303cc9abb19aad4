"""Adobe Commerce purchases → enrollments: ``python -m benchmarks commerce_sync --orders 100000``.

Builds ``--courses`` priced courses and ``--orders`` complete orders of one line each (every learner
buys ``--per-learner`` courses; half the buyers have an account, half become pending learners
enrolled at registration), then measures ``import_purchases``: each line validated (SKU, amount,
currency, e-mail), recorded once (``ProcessedOrderLine``), enrolled set-based through Manage
Learners and stamped with its purchase (decision 0370). Target (issue 20): 100,000 lines in under
20 s.

The orders are served in Commerce's pages of 100 by an in-process stand-in of the client: the
strict HTTP fake (tests/fakes/commerce.py) filters its whole order list per page, so over HTTP the
fake, not this app, would be what is measured. The per-row baseline does the same job line by line
(a price look-up, ``link_learner`` with its enrollment, a purchase stamp, a processed-line row) on the
first ``--baseline-rows`` lines, scaled to ``--orders`` (``baseline_scaled_from_rows=``).
"""

from __future__ import annotations

import argparse
import logging
import time
from decimal import Decimal


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


def build(*, orders: int, courses: int, per_learner: int):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX

    from enterprise.lms.local import models as lms
    from enterprise.models import EnterpriseCustomer, Price
    from integrated_channels.adobe_commerce.models import AdobeCommerceConfiguration

    customer = EnterpriseCustomer.objects.create(name="Commerce Bench", slug="commerce-bench")
    course_rows = lms.Course.objects.bulk_create(
        [lms.Course(course_id=f"course-v1:Bench+C{i:04d}+2027", title=f"Course {i}") for i in range(courses)]
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
        base_url="https://shop.example.com",
        consumer_key="ck",
        consumer_secret="cs",  # noqa: S106 - a benchmark connection, never called
        access_token="at",  # noqa: S106
        access_token_secret="ats",  # noqa: S106
    )
    lines = []
    for n in range(orders):
        buyer, k = divmod(n, per_learner)
        course = course_rows[(buyer * per_learner + k) % courses].course_id
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
    return connection, lines


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
    from benchmarks.harness import Measurement, Report, add_repeat_argument, measure, measure_repeated, report

    add_repeat_argument(parser)
    args = parser.parse_args(argv)
    if args.per_learner > args.courses:
        parser.error("--per-learner cannot exceed --courses (a learner buys a course once)")
    baseline_rows = min(args.baseline_rows or args.orders, args.orders)

    from benchmarks.harness import setup_django

    logging.disable(logging.INFO)
    teardown = setup_django()
    try:
        from django.conf import settings
        from django.db import connection as db

        from enterprise.app_settings import enterprise_settings
        from enterprise.models import EnterpriseCourseEnrollment, PendingEnrollment
        from integrated_channels.adobe_commerce.purchases import import_purchases
        from integrated_channels.integrated_channel.models import Run

        settings.ENTERPRISE = {
            **settings.ENTERPRISE,
            "MANAGE_LEARNERS_MAX_ROWS": args.orders + 1,
            "MANAGE_LEARNERS_MAX_UPLOAD_BYTES": 64 * args.orders + 1024,
        }
        enterprise_settings.reload()
        connection, orders = build(orders=args.orders, courses=args.courses, per_learner=args.per_learner)
        if db.vendor == "postgresql":
            with db.cursor() as cursor:
                cursor.execute("ANALYZE")

        def run():
            client = PagedOrders(orders)
            cpu = time.process_time()
            result = import_purchases(connection, trigger=Run.Trigger.COMMAND, client=client)
            return result, client.pages, time.process_time() - cpu

        measured = measure_repeated(run, repeat=args.repeat, reset=lambda: reset(connection))
        run_row, pages, cpu_seconds = measured.result
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
        # this process's CPU time (not the database server's): on a loaded machine, what the wall time hides
        extra = {
            "courses": args.courses,
            "per_learner": args.per_learner,
            "pages": pages,
            "stamped": stamped,
            "python_cpu_seconds": f"{cpu_seconds:.1f}",
        }
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
    return 0
