"""The portal's Learners page at a million learners: ``python -m benchmarks portal``.

Seeds ``--learners`` linked and ``--pending`` pending learners of one customer with the set-based
SQL of ``benchmarks.learner_lists`` and makes a user its administrator, then requests the whole
Learners page (``/portal/<uuid>/learners/``: middleware, session, the customer scope, both lists,
the template) through Django's test client in this process, ``--repeat`` times each: the first
page, the next page, searches by a rare domain, a shared last name and an exact address, and a
search of the pending learners. Reports the median and p95 of each, and its queries.
The baseline is the two list services alone (``linked_learners_page`` + ``pending_learners_page``):
what the page adds to them. One client, one process: no concurrency (issue 24 asks for 20
concurrent administrators on PostgreSQL; that load test is still to do).
"""

from __future__ import annotations

import argparse
import statistics
import time


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks portal", description=__doc__)
    parser.add_argument("--learners", type=int, default=1_000_000, help="linked learners of the customer (1000000)")
    parser.add_argument("--pending", type=int, default=100_000, help="pending learners of the customer (100000)")
    parser.add_argument("--repeat", type=int, default=20, help="requests of each page (20)")
    args = parser.parse_args(argv)

    from benchmarks.harness import Measurement, Report, measure, report, setup_django
    from benchmarks.learner_lists import seed

    teardown = setup_django()
    try:
        from django.test import Client
        from django.test.utils import setup_test_environment
        from django.urls import reverse

        from enterprise.models import EnterpriseCustomerAdmin
        from enterprise.services.learner_lists import linked_learners_page, pending_learners_page
        from tests.factories import UserFactory

        setup_test_environment()  # the test client's host name is allowed
        started = time.perf_counter()
        customer = seed(learners=args.learners, pending=args.pending)
        print(f"seeded {args.learners:,} learners in {time.perf_counter() - started:.0f} s")
        admin = UserFactory(username="bench-portal-admin")
        EnterpriseCustomerAdmin.objects.create(customer=customer, user=admin)
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
        slowest = max(timings.values(), key=lambda t: t[1])
        report(
            Report(
                name="portal",
                sizes={"learners": args.learners, "pending": args.pending},
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
