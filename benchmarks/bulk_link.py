"""Bulk linking from a CSV file: ``python -m benchmarks bulk_link --rows 100000``.

Builds a customer and a CSV file of ``--rows`` addresses (UTF-8 with a byte-order mark, a header,
Windows line endings); half of them belong to existing users whose stored address differs in
case, half are unknown (they become pending learners). Times the real service end to end from
the file (``enterprise.services.manage_learners.link_learners_from_csv``), then resets the
links and times a straightforward per-row implementation of the same job in the same run.

The per-row baseline looks each address up with ``iexact`` (``UPPER(email) = UPPER(%s)``: an index
look-up, the standalone host indexes ``UPPER(email)``, ``standalone.hostdb``; on a host without that
index, a scan of the user table per row), then links it or adds a pending learner, a handful of
queries per row; about 180 rows/s on PostgreSQL, so about 9 minutes for 100,000 rows. By default
it runs on the first ``--baseline-rows`` (5,000) rows and
its time and queries are scaled to ``--rows`` (reported as ``baseline_scaled_from_rows=``);
``--baseline-rows 0`` runs it on every row.

``--stream`` measures the linking itself, as connector imports run it: the file read lazily,
chunks of ``MANAGE_LEARNERS_CHUNK_SIZE`` addresses through ``bulk_link.link_stream``, nothing kept
but the counts, so its ``peak_rss_mb=`` is bounded by a chunk whatever the file's size. Without it,
the Manage Learners service, which records every row chunk by chunk (counts, the page's rows, a
spooled report; decision 0415).

``--flow`` measures the admin page's (and the portal's) two requests instead: the upload stored
and previewed (``manage_learners.preview_upload``: the same look-ups and planning, no writes, decision 0440),
then confirmed (``confirm_upload``); ``seconds=`` is both, ``preview_seconds=`` and
``confirm_seconds=`` each (of the median run). The target of issue 26 item 2: under 3 s for
100,000 rows on PostgreSQL. Since decision 0440 the preview (no enrollment) plans without writing;
since decision 0545 the confirmation applies the preview's plan when the learner state has not
changed (``confirmed_from_plan=`` says in how many of the runs it did).

The process starts as a production one that links: the test database is created and migrated in a
forked child (``setup_django(migrate_apart=True)`` on PostgreSQL: no process that links ran the
migrations, which leave ~22 MB behind), and Django's system checks are run (``load_as_in_production``:
they load the URLconf, as ``manage.py link_learners``, a Celery worker and a web process have it).
Then the memory the set-up freed is given back to the system (``release_free_memory``), so
``peak_rss_mb=`` is Django with the project and its URLconf loaded (~106 MB since decision 0575,
which left the libraries of SCIM, SAML, JWTs, encryption and SOAP to their first use; ~139 MB
before), what the set-up still holds (nothing that grows with the rows: the users are made by one
``INSERT … SELECT``, the file is written line by line), and the operation (decision 0541).

Every path reports ``cpu_seconds=`` / ``db_cpu_seconds=``: the CPU time of the measured operation
in this process and in its PostgreSQL backend (PostgreSQL on the same machine; the run of median
CPU with ``--repeat``), which the load of the shared machine inflates far less than the wall time;
and ``main_thread_cpu_seconds=``, the part of ``cpu_seconds`` spent in the linking thread: a submission
reads and classifies its file in one thread (``manage_learners.READ_AHEAD_CHUNKS``) and records its done
chunks in another (``RECORD_BEHIND``) while the linking thread waits for the database (decision 0570), so
the time of an idle two-core machine is about ``main_thread_cpu_seconds`` + ``db_cpu_seconds``; with both
off the two CPU figures are equal. On PostgreSQL a submission of more than one chunk looks its chunks up on a
second connection (decision 0585): ``other_db_cpu_seconds=`` is the CPU of that connection's backend (of every
backend that ended during the run, read between the runs), and ``queries_per_1000=`` counts both connections'
queries.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import tempfile
import time

from benchmarks.harness import add_repeat_argument, baseline_link_one, scale_baseline


def build_users(rows: int, batch: int = 5000) -> int:
    """Users for the even-numbered addresses, stored in another case than the CSV has them.

    On PostgreSQL one ``INSERT … SELECT`` from ``generate_series``: model instances for 500,000 users
    would leave this process 30 MB larger before the measured operation starts (memory Python keeps
    for itself), and that would count in the operation's ``peak_rss_mb``.
    """
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
    from django.db import connection

    from enterprise.services.bulk_sql import insert_select

    user_model = get_user_model()
    if connection.vendor == "postgresql":
        number = "lpad(i::text, 7, '0')"
        sql, params = insert_select(
            user_model,
            selected={
                user_model.USERNAME_FIELD: f"'learner' || {number}",
                user_model.get_email_field_name(): f"'Learner.' || {number} || '@Example.COM'",
            },
            source="generate_series(0, %s, 2) AS i",
            constants={"password": UNUSABLE_PASSWORD_PREFIX},
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, rows - 1])
            return cursor.rowcount
    created = 0
    for start in range(0, rows, batch):
        users = [
            user_model(
                username=f"learner{i:07d}", email=f"Learner.{i:07d}@Example.COM", password=UNUSABLE_PASSWORD_PREFIX
            )
            for i in range(start, min(start + batch, rows))
            if i % 2 == 0
        ]
        user_model.objects.bulk_create(users)
        created += len(users)
    return created


def release_free_memory() -> None:
    """Give the memory the set-up freed (the migrations: about 20 MB) back to the system (glibc's
    ``malloc_trim``), so that the operation's ``peak_rss_mb`` starts from what the process still holds."""
    import ctypes
    import ctypes.util
    import gc

    gc.collect()
    name = ctypes.util.find_library("c")
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to trim
        ctypes.CDLL(name).malloc_trim(0)


def load_as_in_production() -> None:
    """What every process that links has loaded before it does: Django's system checks, which load
    the URLconf (the views, DRF, the API docs' views: ~14 MB; ~36 MB before decision 0575).
    ``manage.py link_learners`` runs them before the command, a Celery worker (connector imports)
    when it starts, and a web process (Manage Learners, the API) has its URLconf loaded by its first
    request (decision 0541)."""
    from django.core.checks import run_checks

    run_checks()


def write_csv(path: str, rows: int) -> None:
    with open(path, "w", encoding="utf-8-sig", newline="") as out:
        out.write("Email\r\n")
        for i in range(rows):
            out.write(f"learner.{i:07d}@EXAMPLE.com\r\n")


def per_row_baseline(*, customer, path: str, limit: int) -> dict[str, int]:
    """The straightforward way: one look-up and one link or pending row per address, row by row."""
    import csv

    from django.db import transaction

    from enterprise.emails import clean_email
    from enterprise.exceptions import EnterpriseError

    counts = {"linked": 0, "pending": 0, "skipped": 0}
    with open(path, encoding="utf-8-sig", newline="") as source, transaction.atomic():
        for number, cells in enumerate(csv.reader(source)):
            if number == 0 or not cells:
                continue
            if number > limit:
                break
            try:
                email = clean_email(cells[0])
            except EnterpriseError:
                counts["skipped"] += 1
                continue
            counts[baseline_link_one(customer, email) or "skipped"] += 1
    return counts


def stream_link(*, customer, path: str, chunk_size: int) -> dict[str, int]:
    """Link the file's addresses chunk by chunk through ``link_stream``; the counts of each status."""
    from collections import Counter

    from django.db import transaction

    from enterprise.emails import normalize_email
    from enterprise.services.bulk_link import RowResult, email_error, link_stream
    from enterprise.services.csv_rows import iter_csv_rows

    counts: Counter = Counter()

    def chunks():
        chunk = []
        with open(path, "rb") as file:
            for row in iter_csv_rows(file):
                value = row.cells[0] if row.cells else ""
                email = normalize_email(value)
                if email_error(email):  # the header
                    counts["skipped"] += 1
                    continue
                chunk.append(RowResult(line=row.line, value=value, email=email))
                if len(chunk) >= chunk_size:
                    yield chunk
                    chunk = []
        if chunk:
            yield chunk

    def on_chunk(chunk, links) -> None:
        counts.update(str(row.status) for row in chunk)

    with transaction.atomic():
        link_stream(customer=customer, chunks=chunks(), on_chunk=on_chunk)
    return dict(counts)


def preview_and_confirm(*, customer, path: str) -> tuple[dict, float, float]:
    """The admin page's two requests: the file stored and previewed, then confirmed.

    Returns the confirmation's counts and the seconds of each; stops when the preview and the
    confirmation disagree. ``PATHS`` counts how the confirmations went (``plan``: the preview's plan
    applied, the learner state unchanged, decision 0545; ``full``: looked up and planned again).
    """
    import time

    from django.core.files import File

    from enterprise.services.manage_learners import confirm_upload, preview_upload

    started = time.perf_counter()
    with open(path, "rb") as file:
        token, preview = preview_upload(customer=customer, upload=File(file, name="learners.csv"))
    previewed = time.perf_counter()
    result = confirm_upload(customer=customer, token=token)
    confirmed = time.perf_counter()
    if preview.counts != result.counts or not result.applied:
        raise SystemExit(f"the preview said {preview.counts}, the confirmation did {result.counts}")
    PATHS["plan" if result.from_plan else "full"] += 1
    return result.counts, previewed - started, confirmed - previewed


PATHS = {"plan": 0, "full": 0}


def reset(customer) -> None:
    """Remove the links and pending rows of the measured run with plain DELETEs.

    ``QuerySet.delete()`` would load all 100,000 rows as model instances to cascade (nothing
    depends on them here), and that memory would count in the benchmark's peak.
    """
    from benchmarks.harness import delete_customer_rows
    from enterprise.models import EnterpriseCustomerUser, PendingEnterpriseCustomerUser

    delete_customer_rows(customer, (EnterpriseCustomerUser, PendingEnterpriseCustomerUser))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks bulk_link", description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000, help="addresses in the CSV file (100000)")
    parser.add_argument(
        "--baseline-rows",
        type=int,
        default=5000,
        help="rows the per-row baseline processes, scaled to --rows (5000; 0: all rows)",
    )
    parser.add_argument("--chunk-size", type=int, default=None, help="MANAGE_LEARNERS_CHUNK_SIZE (default: setting)")
    parser.add_argument("--stream", action="store_true", help="measure link_stream fed from the file (see above)")
    parser.add_argument("--flow", action="store_true", help="measure preview + confirm of the admin page (see above)")
    add_repeat_argument(parser)
    args = parser.parse_args(argv)
    rows = args.rows
    baseline_rows = min(args.baseline_rows or rows, rows)  # 0: every row

    from benchmarks.harness import (
        Report,
        cpu_seconds,
        ended_backends_cpu_seconds,
        measure,
        measure_repeated,
        other_backends_ended,
        report,
        setup_django,
    )

    logging.disable(logging.INFO)  # the per-row baseline would log every link

    teardown = setup_django(migrate_apart=True)
    try:
        from django.conf import settings
        from django.db import connection

        from enterprise.app_settings import enterprise_settings
        from enterprise.models import EnterpriseCustomer
        from enterprise.services.manage_learners import link_learners_from_csv

        settings.ENTERPRISE = {
            **settings.ENTERPRISE,
            "MANAGE_LEARNERS_MAX_ROWS": rows + 1,
            "MANAGE_LEARNERS_MAX_UPLOAD_BYTES": 64 * rows + 1024,
            **({"MANAGE_LEARNERS_CHUNK_SIZE": args.chunk_size} if args.chunk_size else {}),
        }
        enterprise_settings.reload()
        customer = EnterpriseCustomer.objects.create(name="Benchmark Corp", slug="benchmark-corp")
        users = build_users(rows)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        tmp = tempfile.mkdtemp(prefix="bench-csv-")
        path = os.path.join(tmp, "learners.csv")
        write_csv(path, rows)

        settings.MEDIA_ROOT = os.path.join(tmp, "media")
        phases: dict[str, list] = {"preview": [], "confirm": [], "cpu": []}
        ended_at_start: list[float] = []  # of the run whose other backends are not counted yet

        def flow():
            counts, preview_seconds, confirm_seconds = preview_and_confirm(customer=customer, path=path)
            phases["preview"].append(preview_seconds)
            phases["confirm"].append(confirm_seconds)
            return counts

        def one_path():
            if args.flow:
                return flow()
            if args.stream:
                return stream_link(
                    customer=customer, path=path, chunk_size=enterprise_settings.MANAGE_LEARNERS_CHUNK_SIZE
                )
            with open(path, "rb") as file:
                return link_learners_from_csv(customer=customer, file=file, size=os.path.getsize(path)).counts

        def count_other_backends() -> None:
            """The CPU of the backends the last run opened and closed (its look-up connection), counted
            between runs: waiting for them to end is not part of the measured time."""
            if ended_at_start:
                other_backends_ended()
                other = ended_backends_cpu_seconds() - ended_at_start.pop()
                if phases["cpu"] and phases["cpu"][-1] is not None:
                    phases["cpu"][-1] = (*phases["cpu"][-1], other)

        def reset_between_runs() -> None:
            count_other_backends()
            reset(customer)

        def run():
            ended = ended_backends_cpu_seconds()
            if ended is not None:
                ended_at_start.append(ended)
            before, thread_before = cpu_seconds(), time.thread_time()
            counts = one_path()
            after, thread_after = cpu_seconds(), time.thread_time()
            spent = (
                None
                if before is None or after is None
                else (after[0] - before[0], after[1] - before[1], thread_after - thread_before)
            )
            phases["cpu"].append(spent)
            return counts

        load_as_in_production()
        release_free_memory()
        measured = measure_repeated(run, repeat=args.repeat, reset=reset_between_runs)
        count_other_backends()
        counts = measured.result
        linked = counts.get("linked", 0)
        pending = counts.get("pending", 0)
        if (linked, pending) != (users, rows - users):
            raise SystemExit(f"unexpected result: {counts}")
        reset(customer)
        baseline = measure(per_row_baseline, customer=customer, path=path, limit=baseline_rows)
        baseline = scale_baseline(baseline, rows, baseline_rows)
        extra = {
            "path": "link_stream" if args.stream else "preview_confirm" if args.flow else "manage_learners",
            "linked": linked,
            "pending": pending,
            "chunk_size": enterprise_settings.MANAGE_LEARNERS_CHUNK_SIZE,
        }
        if args.flow:
            median = sorted(range(len(phases["preview"])), key=lambda i: phases["preview"][i] + phases["confirm"][i])
            middle = median[(len(median) - 1) // 2]
            extra["preview_seconds"] = round(phases["preview"][middle], 3)
            extra["confirm_seconds"] = round(phases["confirm"][middle], 3)
            extra["confirmed_from_plan"] = f"{PATHS['plan']}/{PATHS['plan'] + PATHS['full']}"
        cpu_runs = [cpu for cpu in phases["cpu"] if cpu is not None]
        if cpu_runs:  # what the load inflates least: the run of median CPU
            cpu = sorted(cpu_runs, key=lambda spent: sum(spent[:2]) + sum(spent[3:]))[(len(cpu_runs) - 1) // 2]
            extra["cpu_seconds"] = f"{cpu[0]:.2f}"
            extra["db_cpu_seconds"] = f"{cpu[1]:.2f}"
            if len(cpu) > 3:  # the backends of the connections it opened: its look-ups (decision 0585)
                extra["other_db_cpu_seconds"] = f"{cpu[3]:.2f}"
            # the linking thread alone: the file is read and the rows recorded in others (decision 0570)
            extra["main_thread_cpu_seconds"] = f"{cpu[2]:.2f}"
        if baseline_rows < rows:
            extra["baseline_scaled_from_rows"] = baseline_rows
        report(
            Report(
                name="bulk_link",
                sizes={"rows": rows},
                rows=rows,
                measured=measured,
                baseline=baseline,
                extra=extra,
                table=[
                    ("linked / pending", f"{linked:,} / {pending:,}"),
                    ("rows per second", f"{rows / measured.seconds:,.0f} (baseline {rows / baseline.seconds:,.0f})"),
                ],
            )
        )
    finally:
        teardown()
    return 0
