"""Directory imports end to end: ``python -m benchmarks directory_import --source graph --rows 100000``.

Serves ``--rows`` people from the strict fake of a directory on 127.0.0.1 (tests/fakes/; Workday's
in a child process, the others in a thread of this process, whose JSON encoding then shares this
process's CPU: those figures are pessimistic) and runs the connector's real import operation —
token, paging, mapping, bulk link, attributes, run bookkeeping — on a fresh database; then, for
sources that read changes, a second run with nothing changed. Half of the people are existing
users (linked), half pending.

Reported: the seconds, CPU seconds of this process and queries of each run, the remote calls it
made and the minimum the source allows (ceil(rows / page size) pages; one call for a no-change
delta run), the load average before and after, and for Workday the CPU seconds of the fake's
child process during the run (``fake_cpu_seconds``).

``SOURCES`` maps a ``--source`` name to a ``Source`` entry: how to serve people, make a
connection, run one import and count its page calls.

``--source scim`` is another shape of benchmark (SCIM pushes, not a pull): creates sent one after
the other to /scim/v2/Users, timed per request (``benchmarks/_scim_creates.py``, its own options).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Source:
    """One directory: ``serve(rows)`` a context manager giving its fake filled with ``rows`` people;
    ``connect(customer, fake)`` a connection; ``run(connection)`` one import run; ``page_calls(fake)`` the
    page calls so far; ``page_size``; ``delta``: whether a no-change run is measured; ``remote_cpu(fake)``
    the CPU seconds the fake's process used so far, for a fake served by a child process."""

    serve: Callable
    connect: Callable
    run: Callable
    page_calls: Callable
    page_size: int
    delta: bool = False
    remote_cpu: Callable | None = None  # the CPU seconds of the fake's own process so far (a child process)


# Microsoft Graph (Entra ID)


@contextlib.contextmanager
def _graph_serve(rows: int):
    from tests.fakes.graph import FakeGraph

    with FakeGraph(delta_page=999) as fake:
        fake.add_users(rows)
        yield fake


def _graph_connect(customer, fake):
    from integrated_channels.entra_id.models import EntraIDConfiguration

    return EntraIDConfiguration.objects.create(
        customer=customer,
        active=True,
        tenant_id=fake.tenant_id,
        client_id=fake.client_id,
        client_secret=fake.client_secret,
        login_url=fake.base_url,
        graph_url=fake.base_url,
        attribute_mapping={"email": "mail", "department": "department", "first_name": "displayName"},
    )


def _graph_run(configuration):
    from integrated_channels.entra_id.operations import import_users
    from integrated_channels.integrated_channel.models import Run

    return import_users(configuration, trigger=Run.Trigger.COMMAND)


def _graph_pages(fake) -> int:
    return len(fake.calls("/v1.0/users"))


# Workday (Get_Workers over SOAP)


def _workday_child(rows: int, channel) -> None:
    from tests.fakes.workday import FakeWorkday

    with FakeWorkday() as fake:
        fake.add_many(rows)
        channel.send((fake.base_url, fake.tenant, fake.username, fake.password))
        while channel.recv() == "cpu":  # the parent asks for this process's CPU time; anything else stops it
            channel.send(time.process_time())


@dataclass
class _Remote:
    """A fake served by a child process: its address and credentials (its XML is built on another CPU)."""

    base_url: str
    tenant: str
    username: str
    password: str
    channel: object = None

    def cpu_seconds(self) -> float:
        """The CPU time the fake's process has used so far (every thread: the server's answers)."""
        self.channel.send("cpu")
        return self.channel.recv()


@contextlib.contextmanager
def _workday_serve(rows: int):
    import multiprocessing

    context = multiprocessing.get_context("fork")
    parent, child = context.Pipe()
    process = context.Process(target=_workday_child, args=(rows, child), daemon=True)
    process.start()
    try:
        if not parent.poll(120):
            raise SystemExit("The Workday fake did not start within 120 s.")
        yield _Remote(*parent.recv(), channel=parent)
    finally:
        with contextlib.suppress(OSError):
            parent.send("stop")
        process.join(timeout=10)


def _workday_pages(fake) -> int:
    """Every call of a Workday import is a page of Get_Workers: the run's remote calls."""
    from integrated_channels.integrated_channel.models import Run

    return Run.objects.filter(channel="WORKDAY").order_by("-pk").values_list("remote_calls", flat=True).first() or 0


def _workday_connect(customer, fake):
    from integrated_channels.workday.models import WorkdayConfiguration

    return WorkdayConfiguration.objects.create(
        customer=customer,
        active=True,
        host_url=fake.base_url,
        tenant=fake.tenant,
        username=fake.username,
        password=fake.password,
        attribute_mapping={
            "email": "Primary Work Email",
            "department": "wd:Organization_Subtype_Reference_Department",
            "employee_id": "wd:Worker_Reference.Employee_ID",
        },
    )


def _workday_run(configuration):
    from integrated_channels.integrated_channel.models import Run
    from integrated_channels.workday.operations import import_workers

    return import_workers(configuration, trigger=Run.Trigger.COMMAND)


# Salesforce (SOQL, nextRecordsUrl)


@contextlib.contextmanager
def _salesforce_serve(rows: int):
    from tests.fakes.salesforce import FakeSalesforce

    with FakeSalesforce() as fake:
        fake.add_users(rows)
        yield fake


def _salesforce_connect(customer, fake):
    from integrated_channels.salesforce.models import SalesforceConfiguration

    return SalesforceConfiguration.objects.create(
        customer=customer,
        active=True,
        my_domain_url=fake.base_url,
        client_id=fake.client_id,
        client_secret=fake.client_secret,
        attribute_mapping={"email": "Email", "department": "Department", "first_name": "FirstName"},
    )


def _salesforce_pages(fake) -> int:
    """The REST query pages (the COUNT() choosing between REST and Bulk API 2.0 is one more call)."""
    return len([c for c in fake.calls("query") if not c["params"].get("q", "").startswith("SELECT COUNT()")])


def _salesforce_run(configuration):
    from integrated_channels.integrated_channel.models import Run
    from integrated_channels.salesforce.operations import import_users

    return import_users(configuration, trigger=Run.Trigger.COMMAND)


SOURCES: dict[str, Source] = {
    "graph": Source(_graph_serve, _graph_connect, _graph_run, _graph_pages, page_size=999, delta=True),
    "salesforce": Source(
        _salesforce_serve, _salesforce_connect, _salesforce_run, lambda fake: _salesforce_pages(fake), page_size=2000
    ),
    "workday": Source(
        _workday_serve,
        _workday_connect,
        _workday_run,
        _workday_pages,
        page_size=999,
        remote_cpu=lambda fake: fake.cpu_seconds(),
    ),
}


def build_users(rows: int) -> int:
    """Existing accounts for every other person (``user{n}@example.com``, n even)."""
    from django.contrib.auth import get_user_model

    model = get_user_model()
    batch = [model(username=f"user{n}", email=f"user{n}@example.com") for n in range(0, rows, 2)]
    model.objects.bulk_create(batch, batch_size=5000)
    return len(batch)


PUSH_SOURCES = {"scim": "benchmarks._scim_creates"}  # a module with its own ``main(argv)``


def main(argv: list[str]) -> int:
    if "--source" in argv and argv.index("--source") + 1 < len(argv):
        push = PUSH_SOURCES.get(argv[argv.index("--source") + 1])
        if push:
            rest = list(argv)
            del rest[argv.index("--source") : argv.index("--source") + 2]
            return importlib.import_module(push).main(rest)
    parser = argparse.ArgumentParser(prog="python -m benchmarks directory_import", description=__doc__)
    parser.add_argument("--source", choices=sorted([*SOURCES, *PUSH_SOURCES]), default="graph")
    parser.add_argument("--rows", type=int, default=100_000, help="people in the directory (100000)")
    args = parser.parse_args(argv)
    source = SOURCES[args.source]

    from benchmarks.harness import measure, peak_rss_mb, setup_django

    logging.disable(logging.INFO)
    teardown = setup_django()
    try:
        from django.db import connection

        from enterprise.models import EnterpriseCustomer, EnterpriseCustomerUser, PendingEnterpriseCustomerUser

        users = build_users(args.rows)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        customer = EnterpriseCustomer.objects.create(name="Directory Corp", slug="directory-corp")
        with source.serve(args.rows) as fake:
            configuration = source.connect(customer, fake)
            load_before = os.getloadavg()[0]
            remote_cpu = source.remote_cpu(fake) if source.remote_cpu else None
            cpu = time.process_time()
            full = measure(source.run, configuration)
            cpu = time.process_time() - cpu
            if remote_cpu is not None:
                remote_cpu = source.remote_cpu(fake) - remote_cpu
            load_after = os.getloadavg()[0]
            full_pages = source.page_calls(fake)
            run = full.result
            run.refresh_from_db()
            if run.status != "completed" or run.sent != args.rows:
                raise SystemExit(f"unexpected result: {run.status} {run.sent} {run.error_message}")
            lines = {
                "name": "directory_import",
                "source": args.source,
                "rows": args.rows,
                "users": users,
                "database": connection.vendor,
                "seconds": f"{full.seconds:.3f}",
                "queries": full.queries,
                "rows_per_second": round(args.rows / full.seconds),
                "page_calls": full_pages,
                "minimum_page_calls": math.ceil(args.rows / source.page_size),
                "remote_calls": run.remote_calls,
                "linked": EnterpriseCustomerUser.objects.filter(customer=customer).count(),
                "pending": PendingEnterpriseCustomerUser.objects.filter(customer=customer).count(),
                "cpu_seconds": f"{cpu:.3f}",
                **({"fake_cpu_seconds": f"{remote_cpu:.3f}"} if remote_cpu is not None else {}),
                "load_before": f"{load_before:.2f}",
                "load_after": f"{load_after:.2f}",
                "peak_rss_mb": f"{peak_rss_mb():.1f}",
            }
            if source.delta:
                delta_cpu = time.process_time()
                quiet = measure(source.run, configuration)
                delta_cpu = time.process_time() - delta_cpu
                quiet.result.refresh_from_db()
                lines.update(
                    delta_seconds=f"{quiet.seconds:.3f}",
                    delta_cpu_seconds=f"{delta_cpu:.3f}",
                    delta_queries=quiet.queries,
                    delta_page_calls=source.page_calls(fake) - full_pages,  # none: the delta call only
                    delta_remote_calls=quiet.result.remote_calls,
                )
        for key, value in lines.items():
            print(f"{key}={value}")
    finally:
        teardown()
    return 0
