"""SFTP user import: ``python -m benchmarks sftp_import --rows 100000``.

Starts the asyncssh SFTP server of the tests (``tests/fakes/sftp.py``) on 127.0.0.1 and writes
``--rows`` users into ``--files`` (4) CSV files under ``import/user/internal/``: e-mail, first and
last name, manager (the e-mail of another row) and department. Half of the addresses belong to
existing users, stored in another case (they become linked learners), half are unknown (they
become pending learners). Times the connector's real import end to end
(``integrated_channels.sftp.services.user_import.import_users``: download over SFTP, parse,
merge, link through the bulk-link service, write the attributes, delete the files), then resets
and times a straightforward per-row implementation of the same import in the same run.

The per-row baseline downloads the same files, then for each row looks the user up with
``iexact``, links it (``link_user``) or adds a pending learner, and saves its attributes row by
row. Its cost per row is constant, so by default it runs on the first ``--baseline-rows`` (2,000)
rows and its per-row time and queries are scaled to ``--rows`` (download time added unscaled;
reported as ``baseline_scaled_from_rows=``); ``--baseline-rows 0`` runs it on every row.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from pathlib import Path

from benchmarks.harness import Report, baseline_link_one, measure, report, scale_baseline, setup_django

COLUMNS = ("Email", "First name", "Last name", "Manager", "Department")
MAPPING = {
    "email": "Email",
    "first_name": "First name",
    "last_name": "Last name",
    "manager": "Manager",
    "department": "Department",
}
IMPORT_DIR = "import/user/internal"
DEPARTMENTS = ("Sales", "Engineering", "Finance", "Support", "Operations")


def email(i: int) -> str:
    return f"employee.{i:07d}@example.com"


def build_users(rows: int, batch: int = 5000) -> int:
    """Users for the even-numbered rows, their e-mail stored in another case than the files have it."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX

    user_model = get_user_model()
    created = 0
    for start in range(0, rows, batch):
        users = [
            user_model(username=f"employee{i:07d}", email=email(i).upper(), password=UNUSABLE_PASSWORD_PREFIX)
            for i in range(start, min(start + batch, rows))
            if i % 2 == 0
        ]
        user_model.objects.bulk_create(users)
        created += len(users)
    return created


def write_files(server, rows: int, files: int) -> list[str]:
    """``rows`` users spread over ``files`` CSV files on the server; row i's manager is row i // 10."""
    per_file = -(-rows // files)
    names = []
    for number in range(files):
        first, last = number * per_file, min((number + 1) * per_file, rows)
        lines = [",".join(COLUMNS)]
        for i in range(first, last):
            manager = email(i // 10) if i else ""
            lines.append(f"{email(i)},First{i},Last{i},{manager},{DEPARTMENTS[i % len(DEPARTMENTS)]}")
        name = f"{IMPORT_DIR}/users-{number + 1}.csv"
        server.write(name, "\r\n".join(lines) + "\r\n")
        names.append(name)
    return names


def make_connection(server):
    from enterprise.models import EnterpriseCustomer
    from integrated_channels.sftp.models import SFTPConfiguration

    customer = EnterpriseCustomer.objects.create(name="SFTP Benchmark Corp", slug="sftp-benchmark-corp")
    return SFTPConfiguration.objects.create(
        customer=customer,
        active=True,
        host=server.host,
        port=server.port,
        username=server.username,
        password=server.password,
        host_key_fingerprint=server.fingerprint,
        attribute_mapping=dict(MAPPING),
    )


def run_import(configuration):
    from integrated_channels.sftp.services.user_import import import_users

    return import_users(configuration=configuration)


def per_row_baseline(*, configuration, limit: int) -> dict[str, float]:
    """The straightforward way, row by row: one look-up, one link or pending row, one attributes write each."""
    import csv
    import io

    from django.db import transaction

    from enterprise.emails import normalize_email
    from integrated_channels.integrated_channel.transports import drop as client

    customer = configuration.customer
    started = time.perf_counter()
    contents = client.read_csv_files(configuration, configuration.remote_path(IMPORT_DIR))
    records = []
    for path in sorted(contents):
        reader = csv.DictReader(io.StringIO(contents[path].decode("utf-8-sig"), newline=""))
        records.extend(reader)
    seen: dict[str, int] = {}
    for record in records:
        key = normalize_email(record["Email"])
        seen[key] = seen.get(key, 0) + 1
    download_seconds = time.perf_counter() - started
    counts = {"linked": 0, "pending": 0, "failed": 0}
    with transaction.atomic():
        for record in records[:limit]:
            address = normalize_email(record["Email"])
            if seen[address] > 1 or "@" not in address:
                counts["failed"] += 1
                continue
            attributes = {name: record[column].strip() for name, column in MAPPING.items() if name != "email"}
            counts[baseline_link_one(customer, address, attributes) or "failed"] += 1
    if limit >= len(records):
        client.remove_files(configuration, sorted(contents))
    counts["download_seconds"] = download_seconds
    return counts


def reset(customer) -> None:
    """Remove the learners, pending learners and stored attributes of the measured run with plain DELETEs."""
    from benchmarks.harness import delete_customer_rows
    from enterprise.models import EnterpriseCustomerUser, PendingEnterpriseCustomerUser
    from integrated_channels.integrated_channel.models import PendingLearnerAttributes

    delete_customer_rows(customer, (EnterpriseCustomerUser, PendingEnterpriseCustomerUser, PendingLearnerAttributes))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks sftp_import", description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000, help="users in the CSV files (100000)")
    parser.add_argument("--files", type=int, default=4, help="CSV files the users are spread over (4)")
    parser.add_argument(
        "--baseline-rows",
        type=int,
        default=2000,
        help="rows the per-row baseline processes, scaled to --rows (2000; 0: all rows)",
    )
    args = parser.parse_args(argv)
    rows = args.rows
    baseline_rows = min(args.baseline_rows or rows, rows)

    logging.disable(logging.INFO)  # the per-row baseline would log every link
    teardown = setup_django()
    try:
        from django.db import connection

        from tests.fakes.sftp import FakeSFTPServer

        users = build_users(rows)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        with tempfile.TemporaryDirectory(prefix="bench-sftp-") as tmp, FakeSFTPServer(Path(tmp) / "root") as server:
            configuration = make_connection(server)
            write_files(server, rows, args.files)
            measured = measure(run_import, configuration)
            result = measured.result
            run = result.run
            if (run.status, result.imported, len(result.errors), result.deleted) != ("completed", rows, 0, True):
                raise SystemExit(f"unexpected result: {run.status}, {result.imported} imported, {result.errors[:3]}")
            linked = configuration.customer.learners.filter(linked=True).count()
            reset(configuration.customer)
            write_files(server, rows, args.files)
            baseline = measure(per_row_baseline, configuration=configuration, limit=baseline_rows)
            counts = baseline.result
            if counts["failed"] or counts["linked"] + counts["pending"] != baseline_rows:
                raise SystemExit(f"unexpected baseline result: {counts}")
            baseline = scale_baseline(baseline, rows, baseline_rows, fixed_seconds=counts["download_seconds"])
        extra = {
            "files": args.files,
            "linked": linked,
            "pending": rows - linked,
            "rows_per_second": f"{rows / measured.seconds:.0f}",
            "baseline_rows_per_second": f"{rows / baseline.seconds:.0f}",
        }
        if baseline_rows < rows:
            extra["baseline_scaled_from_rows"] = baseline_rows
        report(
            Report(
                name="sftp_import",
                sizes={"rows": rows},
                rows=rows,
                measured=measured,
                baseline=baseline,
                extra=extra,
                table=[
                    ("files", str(args.files)),
                    ("existing users", f"{users:,}"),
                    ("linked / pending", f"{linked:,} / {rows - linked:,}"),
                    ("rows per second", f"{rows / measured.seconds:,.0f} (baseline {rows / baseline.seconds:,.0f})"),
                ],
            )
        )
    finally:
        teardown()
    return 0
