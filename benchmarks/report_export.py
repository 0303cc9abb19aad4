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

The per-row baseline does the same the straightforward way, one enrollment at a time (its
course, certificate and grade asked one by one) on ``--baseline-rows`` enrollments, scaled.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math

COURSES = 20
PER_LEARNER = 4


def build(rows: int):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX as UNUSABLE
    from django.utils import timezone

    from enterprise.lms.local import models as lms
    from enterprise.models import EnterpriseCourseEnrollment, EnterpriseCustomer, EnterpriseCustomerUser
    from integrated_channels.powerbi.models import PowerBIConnection

    now = timezone.now()
    courses = lms.Course.objects.bulk_create(
        [
            lms.Course(course_id=f"course-v1:Bench+R{i:02d}+2027", title=f"Report course {i}", pacing="instructor")
            for i in range(COURSES)
        ]
    )
    courses = list(lms.Course.objects.order_by("course_id"))
    customer = EnterpriseCustomer.objects.create(name="Report bench", slug="report-bench")
    user_model = get_user_model()
    learners_total = math.ceil(rows / PER_LEARNER)
    for start in range(0, learners_total, 20_000):
        stop = min(start + 20_000, learners_total)
        users = user_model.objects.bulk_create(
            [
                user_model(username=f"rb{i:07d}", email=f"rb{i:07d}@example.com", password=UNUSABLE)
                for i in range(start, stop)
            ]
        )
        if users[0].pk is None:
            users = list(user_model.objects.filter(username__gte=f"rb{start:07d}", username__lt=f"rb{stop:07d}"))
        learners = EnterpriseCustomerUser.objects.bulk_create(
            [EnterpriseCustomerUser(customer=customer, user=user) for user in users]
        )
        if learners[0].pk is None:
            learners = list(EnterpriseCustomerUser.objects.filter(user__in=users).select_related("user"))
        enrollments, certificates = [], []
        for n, learner in enumerate(learners):
            for k in range(PER_LEARNER):
                if (start + n) * PER_LEARNER + k >= rows:
                    break
                course = courses[(n + k) % COURSES]
                enrollments.append(
                    EnterpriseCourseEnrollment(learner=learner, course_id=course.course_id, mode="audit")
                )
                if (n + k) % 2:
                    certificates.append(
                        lms.Certificate(
                            user_id=learner.user_id, course=course, grade="0.9", issued_at=now - datetime.timedelta(1)
                        )
                    )
        EnterpriseCourseEnrollment.objects.bulk_create(enrollments, batch_size=5000)
        lms.Certificate.objects.bulk_create(certificates, batch_size=5000)
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

    if target == "salesforce-bulk":
        return serialise_bulk(connection)
    size, body, convert = TARGETS[target]
    rows = calls = total = 0
    batch: list[dict] = []
    for _key, row in reports.transcripts(connection.customer, None, timezone.now()).rows:
        batch.append(convert(row))
        if len(batch) == size:
            total += len(json.dumps(body(batch)))
            rows, calls, batch = rows + len(batch), calls + 1, []
    if batch:
        total += len(json.dumps(body(batch)))
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
    from benchmarks.harness import Measurement, Report, measure, peak_rss_mb, report, setup_django

    parser = argparse.ArgumentParser(prog="report_export")
    parser.add_argument("--target", choices=sorted(TARGETS), default="powerbi")
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--baseline-rows", type=int, default=300)
    args = parser.parse_args(argv)
    teardown = setup_django()
    try:
        connection = build(args.rows)
        measured = measure(serialise, connection, args.target)
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
