"""User import from any file drop: ``python -m benchmarks drop_import --transport ftp|ftps|sftp|box --rows 100000``.

The ``sftp_import`` benchmark (same data: ``--rows`` users in ``--files`` (4) CSV files, half of them
existing users; same per-row baseline in the same run) over the transport chosen: the asyncssh SFTP
server of the tests, the pyftpdlib FTP server (FTPS: explicit TLS, certificate verified against
the test CA), or the fake Box API (client credentials, multipart uploads) — all on 127.0.0.1.
Times the connector's real import end to end (download, parse, merge, bulk link, attributes, the
processed files deleted, the import report written back).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import tempfile
from pathlib import Path

from benchmarks import sftp_import
from benchmarks.harness import Report, measure, report, scale_baseline, setup_django

TRANSPORTS = ("sftp", "ftp", "ftps", "box")


@contextlib.contextmanager
def drop_server(transport: str, root: Path):
    """The test server of ``transport`` and the connection fields that reach it."""
    from django.conf import settings

    if transport == "sftp":
        from tests.fakes.sftp import FakeSFTPServer

        with FakeSFTPServer(root) as server:
            yield (
                server,
                {
                    "host": server.host,
                    "port": server.port,
                    "username": server.username,
                    "password": server.password,
                    "host_key_fingerprint": server.fingerprint,
                },
            )
    elif transport in ("ftp", "ftps"):
        from tests.fakes.ftp import FakeFTPServer

        with FakeFTPServer(root, tls=transport == "ftps") as server:
            settings.INTEGRATED_CHANNELS = {
                **getattr(settings, "INTEGRATED_CHANNELS", {}),
                "FTPS_CA_FILE": str(server.ca_file),
            }
            yield (
                server,
                {
                    "protocol": transport,
                    "host": server.host,
                    "port": server.port,
                    "username": server.username,
                    "password": server.password,
                },
            )
    else:
        from tests.fakes.box import ROOT, FakeBox

        with FakeBox() as server:
            settings.INTEGRATED_CHANNELS = {**getattr(settings, "INTEGRATED_CHANNELS", {}), **server.settings()}
            yield (
                server,
                {
                    "protocol": "box",
                    "host": "api.box.com",
                    "port": 443,
                    "box_client_id": server.client_id,
                    "box_client_secret": server.client_secret,
                    "box_subject_id": server.enterprise_id,
                    "box_folder_id": ROOT,
                },
            )


def make_connection(fields: dict, transport: str):
    from enterprise.models import EnterpriseCustomer
    from integrated_channels.sftp.models import SFTPConfiguration

    customer = EnterpriseCustomer.objects.create(name=f"{transport} drop benchmark", slug=f"{transport}-drop-benchmark")
    return SFTPConfiguration.objects.create(
        customer=customer, active=True, attribute_mapping=dict(sftp_import.MAPPING), **fields
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks drop_import", description=__doc__)
    parser.add_argument("--transport", choices=TRANSPORTS, default="sftp")
    parser.add_argument("--rows", type=int, default=100_000, help="users in the CSV files (100000)")
    parser.add_argument("--files", type=int, default=4, help="CSV files the users are spread over (4)")
    parser.add_argument(
        "--baseline-rows", type=int, default=2000, help="rows the per-row baseline processes, scaled to --rows"
    )
    args = parser.parse_args(argv)
    rows = args.rows
    baseline_rows = min(args.baseline_rows or rows, rows)

    logging.disable(logging.INFO)
    teardown = setup_django()
    try:
        from django.db import connection

        users = sftp_import.build_users(rows)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        with (
            tempfile.TemporaryDirectory(prefix="bench-drop-") as tmp,
            drop_server(args.transport, Path(tmp) / "root") as (
                server,
                fields,
            ),
        ):
            configuration = make_connection(fields, args.transport)
            sftp_import.write_files(server, rows, args.files)
            measured = measure(sftp_import.run_import, configuration)
            result = measured.result
            if (result.run.status, result.imported, len(result.errors), result.deleted) != ("completed", rows, 0, True):
                raise SystemExit(f"unexpected result: {result.run.status}, {result.imported}, {result.errors[:3]}")
            linked = configuration.customer.learners.filter(linked=True).count()
            sftp_import.reset(configuration.customer)
            sftp_import.write_files(server, rows, args.files)
            baseline = measure(sftp_import.per_row_baseline, configuration=configuration, limit=baseline_rows)
            counts = baseline.result
            if counts["failed"] or counts["linked"] + counts["pending"] != baseline_rows:
                raise SystemExit(f"unexpected baseline result: {counts}")
            baseline = scale_baseline(baseline, rows, baseline_rows, fixed_seconds=counts["download_seconds"])
        extra = {
            "transport": args.transport,
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
                name="drop_import",
                sizes={"rows": rows},
                rows=rows,
                measured=measured,
                baseline=baseline,
                extra=extra,
                table=[
                    ("transport", args.transport),
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
