"""A connector's user import from a paged JSON API: ``python -m benchmarks connector_import --rows 100000``.

Serves ``--rows`` people on 127.0.0.1 (``tests/fakes/paged_json.py``, in a child process, 1,000
per page by page number) and imports them with the shared import pipeline
(``integrated_channels.integrated_channel.imports.pipeline.run_user_import``) through the
project's HTTP transport: mapping (e-mail, first and last name from a nested object, manager
e-mail, department), filters (status = active, which leaves out 1 person in 20, and everyone
under the root manager, transitively: a tree of fan-out 10), set-based bulk link in chunks and
attribute upserts. Half of the people are existing users (stored in another case), who become
linked learners; the others become pending learners.

The per-row baseline does the same job the straightforward way: it fetches the pages, keeps the
people, then per person checks the status, walks up the manager chain, looks the user up with
``iexact``, links it (``link_user``) or adds a pending learner, and saves the attributes. It runs,
once the measured run's rows are removed, on the first ``--baseline-rows`` people (a source of
that size) and is scaled to ``--rows``.

``peak_rss_mb=`` is the peak resident memory during the import itself and ``rss_growth_mb=`` how
far the import went above the memory the process held before it (``benchmarks.harness``);
``process_peak_rss_mb=`` the whole process's. ``cpu_seconds=`` is the CPU time of this process
during the import (the pipeline and its page prefetch thread; not the server's process nor the
database's), and ``load_before=`` / ``load_after=`` the machine's 1-minute load average: on a
shared machine the wall time follows the load, the CPU time much less. ``--repeat N`` imports N
times (the links removed in between) and reports the minimum and the median.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import time

from benchmarks.harness import add_repeat_argument, baseline_link_one, scale_baseline

MAPPING = {
    "email": "mail",
    "first_name": "name.first",
    "last_name": "name.last",
    "manager": "manager.email",
    "department": "department",
}
CONDITIONS = [{"column": "status", "op": "eq", "value": "active"}]
ROOT = "learner.0000000@example.com"


def person(index: int) -> dict:
    """Person ``index``: manager ``(index - 1) // 10`` (a tree under person 0), inactive 1 in 20."""
    manager = f"learner.{(index - 1) // 10:07d}@example.com" if index else "ceo@example.com"
    return {
        "id": index,
        "mail": f"learner.{index:07d}@EXAMPLE.com",
        "name": {"first": f"First{index}", "last": f"Last{index}"},
        "manager": {"email": manager},
        "department": f"Department {index % 50}",
        "status": "inactive" if index % 20 == 19 else "active",
    }


def _serve(total: int, page_size: int, queue, stop) -> None:
    from tests.fakes.paged_json import PagedJsonServer

    with PagedJsonServer(person, total, page_size=page_size) as server:
        queue.put(server.url)
        stop.wait()


class ServerProcess:
    """The paged JSON server in a child process (its JSON encoding does not share this process's CPU)."""

    def __init__(self, total: int, page_size: int):
        context = multiprocessing.get_context("fork")
        self.queue, self.stop = context.Queue(), context.Event()
        self.process = context.Process(target=_serve, args=(total, page_size, self.queue, self.stop), daemon=True)

    def __enter__(self) -> str:
        self.process.start()
        return self.queue.get(timeout=30)

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.process.join(timeout=10)


def expected(rows: int) -> tuple[int, int, int]:
    """(imported, filtered out, not under the root) of ``rows`` people."""
    inactive = {i for i in range(rows) if i % 20 == 19}
    # Under the root: everyone but the root itself, whose chain does not pass through an inactive
    # person? No: the hierarchy is the whole source; the status filter only drops the inactive.
    imported = rows - 1 - len(inactive - {0})
    return imported, len(inactive), 1


def run_pipeline(configuration, url: str, page_size: int):
    from integrated_channels.integrated_channel.imports.filters import parse_conditions
    from integrated_channels.integrated_channel.imports.pipeline import run_user_import
    from integrated_channels.integrated_channel.imports.sources import PagedJsonSource, ReadingTransport
    from integrated_channels.integrated_channel.models import Run
    from integrated_channels.integrated_channel.services import runs
    from integrated_channels.sftp.operations import USER_IMPORT

    run = runs.start_run(configuration=configuration, kind=USER_IMPORT, trigger=Run.Trigger.COMMAND)
    transport = ReadingTransport(configuration)
    source = PagedJsonSource(transport, f"{url}/people", page_param="page", page_size=page_size)
    live = runs.LiveCounts(run)
    try:
        counts = run_user_import(
            configuration,
            source,
            run,
            mapping=MAPPING,
            conditions=parse_conditions(CONDITIONS),
            managers=[ROOT],
            live=live,
        )
    finally:
        live.close()  # its side connection, else the test database cannot be dropped
    runs.finish_run(
        run,
        status=Run.Status.COMPLETED_WITH_ERRORS if counts.failed else Run.Status.COMPLETED,
        selected=counts.rows,
        sent=counts.imported,
        failed=counts.failed,
        skipped=counts.skipped,
        skip_reasons=counts.skip_reasons(),
    )
    transport.close()
    return counts, source.pages


def reset(customer) -> None:
    """Remove the measured run's learners, pending learners and their attributes (plain DELETEs)."""
    from benchmarks.harness import delete_customer_rows
    from enterprise.models import EnterpriseCustomerUser, PendingEnterpriseCustomerUser
    from integrated_channels.integrated_channel.models import PendingLearnerAttributes

    delete_customer_rows(customer, (EnterpriseCustomerUser, PendingEnterpriseCustomerUser, PendingLearnerAttributes))


def per_row_baseline(customer, url: str) -> dict[str, int]:
    """The straightforward way: all pages in a list, then one person at a time."""
    import requests
    from django.db import transaction

    from enterprise.emails import clean_email
    from enterprise.exceptions import EnterpriseError

    people, page = [], 1
    with requests.Session() as session:
        while items := session.get(f"{url}/people", params={"page": page}, timeout=30).json()["items"]:
            people.extend(items)
            page += 1
    manager_of = {p["mail"].lower(): p["manager"]["email"].lower() for p in people}
    counts = {"linked": 0, "pending": 0, "skipped": 0}
    with transaction.atomic():
        for p in people:
            email = p["mail"].lower()
            chain, boss, under = set(), manager_of.get(email), False
            while boss and boss not in chain:
                if boss == ROOT:
                    under = True
                    break
                chain.add(boss)
                boss = manager_of.get(boss)
            if p["status"] != "active" or not under:
                counts["skipped"] += 1
                continue
            attributes = {
                "first_name": p["name"]["first"],
                "last_name": p["name"]["last"],
                "manager": p["manager"]["email"],
                "department": p["department"],
            }
            try:
                email = clean_email(p["mail"])
            except EnterpriseError:
                counts["skipped"] += 1
                continue
            counts[baseline_link_one(customer, email, attributes) or "skipped"] += 1
    return counts


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks connector_import", description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000, help="people served by the API (100000)")
    parser.add_argument("--page-size", type=int, default=1000, help="people per page (1000)")
    parser.add_argument(
        "--baseline-rows", type=int, default=2000, help="people the per-row baseline imports, scaled to --rows (2000)"
    )
    add_repeat_argument(parser)
    args = parser.parse_args(argv)
    rows, page_size = args.rows, args.page_size
    baseline_rows = min(args.baseline_rows or rows, rows)

    from benchmarks.bulk_link import build_users
    from benchmarks.harness import Report, measure, measure_repeated, peak_rss_mb, report, setup_django

    logging.disable(logging.INFO)
    teardown = setup_django()
    try:
        from django.db import connection

        from enterprise.app_settings import enterprise_settings
        from enterprise.models import EnterpriseCustomer, EnterpriseCustomerUser, PendingEnterpriseCustomerUser
        from integrated_channels.sftp.models import SFTPConfiguration

        users = build_users(rows)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")

        def connection_of(name: str):
            customer = EnterpriseCustomer.objects.create(name=name, slug=name.lower().replace(" ", "-"))
            return SFTPConfiguration.objects.create(
                customer=customer,
                host="127.0.0.1",
                username="bench",
                password="-",  # noqa: S106 (never used: no SFTP transfer in this benchmark)
                attribute_mapping=MAPPING,
            )

        configuration = connection_of("Benchmark Corp")
        set_up_rss = peak_rss_mb()
        cpu_times = []

        def timed_import(url):
            cpu = time.process_time()
            try:
                return run_pipeline(configuration, url, page_size)
            finally:
                cpu_times.append(time.process_time() - cpu)

        with ServerProcess(rows, page_size) as url:
            measured = measure_repeated(
                timed_import, url, repeat=args.repeat, reset=lambda: reset(configuration.customer)
            )
        cpu = sorted(cpu_times)[(len(cpu_times) - 1) // 2]
        counts, pages = measured.result
        imported, inactive, _root = expected(rows)
        customer = configuration.customer
        linked = EnterpriseCustomerUser.objects.filter(customer=customer).count()
        pending = PendingEnterpriseCustomerUser.objects.filter(customer=customer).count()
        if (counts.imported, counts.filtered_out, counts.failed) != (imported, inactive, 0):
            raise SystemExit(f"unexpected result: {counts}")

        reset(customer)  # the baseline's people are the first of the same source: not conflicts with these
        with ServerProcess(baseline_rows, page_size) as url:
            baseline = measure(per_row_baseline, customer, url)
        baseline = scale_baseline(baseline, rows, baseline_rows)
        extra = {
            "pages": pages,
            "linked": linked,
            "pending": pending,
            "filtered_out": counts.filtered_out,
            "not_under_managers": counts.not_under_managers,
            "chunk_size": enterprise_settings.MANAGE_LEARNERS_CHUNK_SIZE,
            "rows_per_second": round(rows / measured.seconds),
            "cpu_seconds": f"{cpu:.3f}",
            "set_up_rss_mb": f"{set_up_rss:.1f}",
        }
        if baseline_rows < rows:
            extra["baseline_scaled_from_rows"] = baseline_rows
        report(
            Report(
                name="connector_import",
                sizes={"rows": rows, "page_size": page_size, "users": users},
                rows=rows,
                measured=measured,
                baseline=baseline,
                extra=extra,
                table=[
                    ("imported (linked / pending)", f"{counts.imported:,} ({linked:,} / {pending:,})"),
                    ("filtered out / not under", f"{counts.filtered_out:,} / {counts.not_under_managers:,}"),
                    ("CPU of this process", f"{cpu:.3f} s"),
                    ("peak RSS of the set-up", f"{set_up_rss:.1f} MB"),
                ],
            )
        )
    finally:
        teardown()
    return 0
