"""Report export: ``python -m benchmarks report_export --target powerbi|marketo|salesforce|salesforce-bulk --rows N``.

Measures the selection and serialisation of ``--rows`` learner-transcript rows of one customer
(``integrated_channel.exporters.reports.transcripts``, which the three connectors share: keyset
chunks of 10,000 enrollments, the completion rules, the rows) into the target's request bodies,
without sending them: Power BI ``{"rows": [...]}`` of 10,000 rows, Marketo custom-object bodies of 300 records
(``action: createOrUpdate``), Salesforce sObject Collections of 200 records (``allOrNone:
false``), or Salesforce Bulk API 2.0 job CSVs (``salesforce-bulk``: the connector's own spool, a job cut
at ``BULK_JOB_BYTES``; ``calls=`` 6 per job: create, upload, UploadComplete, one poll at least,
successful and failed results). ``calls=`` is the number of bodies made, which is the minimum each target's limits
allow; ``tenant_time=`` what a real tenant would take at its documented limits (Power BI: the
connector's own throttle replayed on a simulated clock; Marketo: 100 calls per 20 s and 50,000
calls a day; Salesforce: about 100,000 API calls a day for an Enterprise org's base allocation).

The rows are seeded set-based (``build``: four ``INSERT … SELECT`` over a number series); ``--keep-db``
keeps the test database and reuses rows built for the same ``--rows``. ``cpu_seconds=`` is this
process's CPU during the measured operation, ``backend_cpu_seconds=`` its PostgreSQL backend's (the machine
may be shared: compare them with the load); ``--serial-backend`` turns parallel workers off, whose CPU the
backend's figure would miss. Bodies are encoded as the clients encode them (``json_data``, decision 0520).

The per-row baseline does the same the straightforward way, one enrollment at a time (its
course, certificate and grade asked one by one) on ``--baseline-rows`` enrollments, scaled.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import sys
import time

COURSES = 20
PER_LEARNER = 4


def _insert_select(cursor, model, exprs: dict, source: str, params: list, fixed: dict | None = None) -> None:
    """``INSERT INTO model (…) SELECT …``: ``exprs`` give SQL for some columns (over
    ``source``; a tuple: SQL and its parameters), every other
    concrete column ``fixed[column]`` or its field default (auto_now fields: now), bound once as a parameter."""
    from django.db import connection
    from django.utils import timezone

    now = timezone.now()
    columns, values, bound = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key and field.column not in exprs:
            continue
        columns.append(connection.ops.quote_name(field.column))
        if field.column in exprs:
            sql, *params_of = exprs[field.column] if isinstance(exprs[field.column], tuple) else (exprs[field.column],)
            values.append(sql)
            bound.extend(params_of)
            continue
        if fixed and field.column in fixed:
            value = fixed[field.column]
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            value = now
        else:
            value = field.get_default()
        values.append("%s")
        bound.append(field.get_db_prep_save(value, connection))
    table = connection.ops.quote_name(model._meta.db_table)
    started = time.perf_counter()
    cursor.execute(f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(values)} {source}", [*bound, *params])
    seconds = time.perf_counter() - started
    print(f"  {model._meta.db_table}: {cursor.rowcount:,} rows in {seconds:.1f} s", file=sys.stderr)


def _series(vendor: str) -> str:
    """``g(n)``: 0 … %s, set-based (PostgreSQL's generate_series, a recursive CTE elsewhere)."""
    if vendor == "postgresql":
        return "generate_series(0, %s) AS g(n)"
    return "(WITH RECURSIVE s(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM s WHERE n < %s) SELECT n FROM s) AS g"


def build(rows: int):
    """``rows`` enrollments of one customer (4 per learner, 20 instructor-paced courses, every other one
    completed with a certificate), written by four ``INSERT … SELECT`` statements over a number series
    (1,000,000 rows in about a minute on PostgreSQL), or found already built in a kept database."""
    from django.contrib.auth import get_user_model
    from django.db import connection as db
    from django.db import transaction
    from django.utils import timezone

    from enterprise.lms.local import models as lms
    from enterprise.models import EnterpriseCourseEnrollment, EnterpriseCustomer, EnterpriseCustomerUser
    from integrated_channels.powerbi.models import PowerBIConnection

    slug = f"report-bench-{rows}"
    customer = EnterpriseCustomer.objects.filter(slug=slug).first()
    if customer is not None:  # --keep-db: built by an earlier run, in one transaction
        return PowerBIConnection.objects.get(customer=customer)
    user_model = get_user_model()
    prefix = f"rb{rows}x"
    learners_total = math.ceil(rows / PER_LEARNER)
    series = _series(db.vendor)
    pad = "lpad(g.n::text, 7, '0')" if db.vendor == "postgresql" else "printf('%%07d', g.n)"
    ecu = EnterpriseCustomerUser._meta.db_table
    with transaction.atomic(), db.cursor() as cursor:
        for i in range(COURSES):
            lms.Course.objects.get_or_create(
                course_id=f"course-v1:Bench+R{i:02d}+2027",
                defaults={"title": f"Report course {i}", "pacing": "instructor"},
            )
        customer = EnterpriseCustomer.objects.create(name=f"Report bench {rows}", slug=slug)
        customer_id = EnterpriseCustomer._meta.pk.get_db_prep_value(customer.pk, db)  # SQLite: the UUID's hex
        _insert_select(
            cursor,
            user_model,
            {
                "username": (f"%s || {pad}", prefix),
                "email": (f"%s || {pad} || '@example.com'", prefix),
                "password": "'!'",
            },
            f"FROM {series}",
            [learners_total - 1],
        )
        _insert_select(
            cursor,
            EnterpriseCustomerUser,
            {"customer_id": ("%s", customer_id), "user_id": "u.id"},
            f"FROM {user_model._meta.db_table} u WHERE u.username LIKE %s ORDER BY u.id",
            [prefix + "%"],
        )
        # learner n, its k-th enrollment (k < 4): course (n + k) mod 20; a certificate when n + k is odd
        pairs = (
            f"FROM (SELECT id, user_id, ROW_NUMBER() OVER (ORDER BY id) - 1 AS n FROM {ecu} WHERE customer_id = %s) l "  # noqa: S608
            f"CROSS JOIN {series.replace('g(n)', 'k(n)').replace(') AS g', ') AS k')} "
            "JOIN (SELECT id, course_id, ROW_NUMBER() OVER (ORDER BY course_id) - 1 AS i "
            f"FROM {lms.Course._meta.db_table} WHERE course_id LIKE %s) c ON c.i = (l.n + k.n) %% {COURSES} "
            "WHERE l.n * %s + k.n < %s"
        )
        pair_params = [customer_id, PER_LEARNER - 1, "course-v1:Bench+R%", PER_LEARNER, rows]
        _insert_select(
            cursor,
            EnterpriseCourseEnrollment,
            {"learner_id": "l.id", "course_id": "c.course_id", "mode": "'audit'"},
            pairs + " ORDER BY l.n, k.n",
            pair_params,
        )
        _insert_select(
            cursor,
            lms.Certificate,
            {"user_id": "l.user_id", "course_id": "c.id", "grade": "'0.9'"},
            pairs + " AND (l.n + k.n) %% 2 = 1",
            pair_params,
            fixed={"issued_at": timezone.now() - datetime.timedelta(1)},
        )
        if db.vendor == "postgresql":
            started = time.perf_counter()
            cursor.execute("ANALYZE")
            print(f"  ANALYZE in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        return PowerBIConnection.objects.create(
            customer=customer,
            tenant_id="bench",
            client_id="00000000-0000-0000-0000-000000000000",
            client_secret="x",  # noqa: S106 (never sent: nothing is pushed)
        )


def _marketo(row: dict) -> dict:
    return {
        "email": row["Email"],
        "cp_courseId": row["CourseId"],
        "cp_courseTitle": row["CourseTitle"],
        "cp_status": row["Status"],
        "cp_grade": row["Grade"],
        "cp_enrolledAt": row["EnrolledAt"],
        "cp_completedAt": row["CompletedAt"],
    }


def _salesforce(row: dict) -> dict:
    return {
        "attributes": {"type": "Learner_Transcript__c"},
        "External_Id__c": str(row["EnrollmentId"]),
        "Email__c": row["Email"],
        "Course_Id__c": row["CourseId"],
        "Course_Title__c": row["CourseTitle"],
        "Status__c": row["Status"],
        "Grade__c": row["Grade"],
        "Enrolled_At__c": row["EnrolledAt"],
        "Completed_At__c": row["CompletedAt"],
    }


SALESFORCE_FIELDS = [
    name
    for name in _salesforce(
        dict.fromkeys(
            ("EnrollmentId", "Email", "CourseId", "CourseTitle", "Status", "Grade", "EnrolledAt", "CompletedAt"), ""
        )
    )
    if name != "attributes"
]

TARGETS = {
    "powerbi": (10_000, lambda rows: {"rows": rows}, lambda row: row),
    "marketo": (300, lambda rows: {"action": "createOrUpdate", "dedupeBy": "dedupeFields", "input": rows}, _marketo),
    "salesforce": (200, lambda rows: {"allOrNone": False, "records": rows}, _salesforce),
    "salesforce-bulk": (None, None, _salesforce),  # serialise_bulk
}


BULK_CALLS_PER_JOB = 6  # create, upload, UploadComplete, one poll at least, successful and failed results


def serialise_bulk(connection) -> tuple[int, int, int]:
    """(rows, calls, bytes) of the Bulk API 2.0 jobs' CSVs for every transcript row (decision 0402)."""
    from django.utils import timezone

    from integrated_channels.integrated_channel.exporters import reports
    from integrated_channels.salesforce_records import client as sf
    from integrated_channels.salesforce_records.operations import _Spool

    columns = ["External_Id__c", "Learner__c", *(name for name in SALESFORCE_FIELDS if name != "External_Id__c")]
    rows = jobs = total = 0
    spool = _Spool(columns)
    for key, row in reports.transcripts(connection.customer, None, timezone.now()).rows:
        record = _salesforce(row)
        record.update({"External_Id__c": f"T-{key}", "Learner__c": "005000000000000AAA"})
        spool.add(record)
        rows += 1
        if rows % 200 == 0 and spool.size >= sf.BULK_JOB_BYTES:
            total, jobs, spool = total + len(spool.data()), jobs + 1, _Spool(columns)
    if spool.count:
        total, jobs = total + len(spool.data()), jobs + 1
    return rows, jobs * BULK_CALLS_PER_JOB, total


def serialise(connection, target: str) -> tuple[int, int, int]:
    """(rows, calls, bytes) of the target's request bodies for every transcript row."""
    from django.utils import timezone

    from integrated_channels.integrated_channel.exporters import reports
    from integrated_channels.integrated_channel.transports.http import json_data

    if target == "salesforce-bulk":
        return serialise_bulk(connection)
    size, body, convert = TARGETS[target]
    rows = calls = total = 0
    batch: list[dict] = []
    for _key, row in reports.transcripts(connection.customer, None, timezone.now()).rows:
        batch.append(convert(row))
        if len(batch) == size:
            total += len(json_data(body(batch)))
            rows, calls, batch = rows + len(batch), calls + 1, []
    if batch:
        total += len(json_data(body(batch)))
        rows, calls = rows + len(batch), calls + 1
    return rows, calls, total


def baseline(connection, limit: int) -> int:
    """One enrollment at a time: its course, certificate and grade asked one by one."""
    from enterprise.lms import get_catalog, get_completion_backend
    from enterprise.lms.completion import determine_completion
    from enterprise.models import EnterpriseCourseEnrollment

    catalog, backend = get_catalog(), get_completion_backend()
    done = 0
    for enrollment in EnterpriseCourseEnrollment.objects.filter(learner__customer=connection.customer).select_related(
        "learner__user"
    )[:limit]:
        user_id = enrollment.learner.user_id
        course = catalog.get_course(enrollment.course_id)
        completion = determine_completion(
            course, backend.get_certificate(user_id, course.course_id), backend.get_grade(user_id, course.course_id)
        )
        json.dumps({"email": enrollment.learner.user.email, "course": course.course_id, "grade": completion.grade})
        done += 1
    return done


def tenant_time(target: str, rows: int, calls: int) -> str:
    if target == "powerbi":
        from integrated_channels.powerbi import push

        now = [0.0]
        throttle = push.PushThrottle(clock=lambda: now[0])
        in_table = 0
        for index in range(calls):
            batch = min(push.ROWS_PER_POST, rows - index * push.ROWS_PER_POST)

            def wait(seconds):
                now[0] += seconds

            throttle.acquire(batch, large_table=in_table >= push.LARGE_TABLE_ROWS, wait=wait)
            in_table += batch
        return f"{now[0] / 60:.1f} min of waiting at Power BI's push limits (plus the calls' own time)"
    if target == "marketo":
        seconds = calls / 100 * 20
        days = math.ceil(calls / 50_000)
        return f"{seconds / 60:.1f} min at 100 calls / 20 s; {days} day(s) of a 50,000-call daily quota"
    if target == "salesforce-bulk":
        jobs = calls // BULK_CALLS_PER_JOB
        return (
            f"{jobs} job(s), {calls} API calls (plus the e-mail look-ups); well under Bulk API 2.0's 150,000,000 "
            "records a day; each job's processing time is Salesforce's (minutes)"
        )
    return f"{calls / 100_000:.2%} of an Enterprise org's ~100,000 daily API calls; Bulk API 2.0 above ~10,000 rows"


def main(argv: list[str]) -> int:
    from benchmarks.harness import (
        Measurement,
        Report,
        database_cpu_seconds,
        measure,
        peak_rss_mb,
        report,
        setup_django,
    )

    parser = argparse.ArgumentParser(prog="report_export")
    parser.add_argument("--target", choices=sorted(TARGETS), default="powerbi")
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--baseline-rows", type=int, default=300)
    parser.add_argument("--keep-db", action="store_true", help="keep bench_<db> and reuse the rows it has")
    parser.add_argument(
        "--serial-backend",
        action="store_true",
        help="PostgreSQL: no parallel workers (max_parallel_workers_per_gather = 0), so backend_cpu_seconds= is "
        "all the database's CPU (a parallel worker's is not in the backend's)",
    )
    args = parser.parse_args(argv)
    teardown = setup_django(keepdb=args.keep_db)
    try:
        if args.serial_backend:
            from django.db import connection as db

            with db.cursor() as cursor:
                cursor.execute("SET max_parallel_workers_per_gather = 0")
        started = time.perf_counter()
        connection = build(args.rows)
        build_seconds = time.perf_counter() - started
        cpu = time.process_time()
        backend = database_cpu_seconds()
        measured = measure(serialise, connection, args.target)
        cpu_seconds = time.process_time() - cpu
        backend_after = database_cpu_seconds()
        backend_cpu = backend_after - backend if backend is not None and backend_after is not None else None
        rows, calls, size = measured.result
        rss = peak_rss_mb()
        limit = min(args.baseline_rows, args.rows)
        base = measure(baseline, connection, limit)
        scale = args.rows / max(base.result, 1)
        scaled = Measurement(seconds=base.seconds * scale, queries=int(base.queries * scale))
        if args.target == "salesforce-bulk":
            from integrated_channels.salesforce_records.client import BULK_JOB_BYTES

            minimum = math.ceil(size / BULK_JOB_BYTES) * BULK_CALLS_PER_JOB
        else:
            minimum = math.ceil(args.rows / TARGETS[args.target][0])
        report(
            Report(
                name="report_export",
                sizes={"rows": args.rows},
                rows=args.rows,
                measured=measured,
                baseline=scaled,
                extra={
                    "target": args.target,
                    "cpu_seconds": f"{cpu_seconds:.2f}",
                    "serial_backend": int(args.serial_backend),
                    "backend_cpu_seconds": f"{backend_cpu:.2f}" if backend_cpu is not None else "n/a",
                    "build_seconds": f"{build_seconds:.1f}",
                    "calls": calls,
                    "minimum_calls": minimum,
                    "body_mb": f"{size / 1e6:.1f}",
                    "selection_rss_mb": f"{rss:.1f}",
                },
                table=[
                    ("target", args.target),
                    ("rows serialised", f"{rows:,}"),
                    ("calls (bodies)", f"{calls:,} (minimum {minimum:,})"),
                    ("a real tenant", tenant_time(args.target, rows, calls)),
                ],
            )
        )
        return 0 if calls == minimum and rows == args.rows else 1
    finally:
        teardown()
