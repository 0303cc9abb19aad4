"""Provider courses and progress: ``python -m benchmarks content_import --provider linkedin|getabstract|hmm``.

Writes the provider's raw pages of ``PAGE`` items to a temporary file before anything is measured —
LinkedIn Learning's asset and activity-report JSON answers, Harvard ManageMentor CSV files, getAbstract's
summaries and (standing in for its xlsx feeds) feed rows as JSON — ``--courses`` courses and
``--progress`` progress rows of ``--learners`` linked learners (learner ``i % learners`` in course
``(i // learners) % courses``, one in ten completed), reads them back page by page into the connector's
own batches (parsed and mapped only when the run reads them) and imports them through the connection's
real run (``content_runs.execute``): courses into two catalogs with a custom tag, then progress as
grades, certificates and enrollments. Then the same import again (the no-change rerun: every page is
skipped by its fingerprint, nothing is written but ``last_seen``, decision 0455). The network and the
file drop are left out: what is measured is the parsing, the mapping and the database work.

The per-row baseline does the same job the straightforward way on the first ``--baseline-rows``
courses and progress rows (``update_or_create`` per course, provider row, catalog entry; per progress
row a learner look-up by e-mail, ``update_or_create`` of the progress, ``record_certificate`` /
``record_grade``, ``get_or_create`` of the enrollment), scaled to the sizes measured.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import io
import json
import os
import resource
import tempfile
import time
from decimal import Decimal

COMPLETED_EVERY = 10
BENCH_SECRET = "bench-secret"  # noqa: S105 (connections of a throw-away database, never used to connect)


def course_source(provider: str, n: int) -> dict:
    if provider == "linkedin":
        return {
            "urn": f"urn:li:lyndaCourse:{n}",
            "title": {"value": f"Course {n}", "locale": {"language": "en", "country": "US"}},
            "details": {
                "description": {"value": f"About course {n}"},
                "availability": "AVAILABLE",
                "timeToComplete": {"unit": "SECOND", "duration": 1800 + n % 7200},
                "urls": {"webLaunch": f"https://www.linkedin.com/learning/course-{n}"},
                "classifications": [
                    {"associatedClassification": {"type": "LIBRARY", "name": {"value": "Technology"}}},
                    {"associatedClassification": {"type": "TOPIC", "name": {"value": f"Topic {n % 40}"}}},
                ],
            },
        }
    if provider == "hmm":
        return {
            "course_id": f"hmm-{n}",
            "title": f"Course {n}",
            "description": f"About course {n}",
            "language": "en",
            "duration_minutes": str(30 + n % 120),
            "launch_url": f"https://hmm.example.com/{n}",
            "topics": f"Topic {n % 40};Management",
        }
    return {
        "id": n + 1,
        "title": f"Summary {n}",
        "abstract": f"About summary {n}",
        "language": "en",
        "readingTimeMinutes": 10 + n % 20,
        "url": f"https://www.getabstract.com/en/summary/{n + 1}",
        "tags": [f"Topic {n % 40}"],
        "active": True,
    }


def course_id(provider: str, n: int) -> str:
    return {"linkedin": f"urn:li:lyndaCourse:{n}", "hmm": f"hmm-{n}"}.get(provider, str(n + 1))


def progress_source(provider: str, i: int, *, learners: int, courses: int) -> dict:
    email = f"learner{i % learners}@example.com"
    course = course_id(provider, (i // learners) % courses)
    completed = i % COMPLETED_EVERY == 0
    if provider == "linkedin":
        ms = 1_764_000_000_000 + i
        activity = [
            {"engagementType": kind, "engagementValue": value, "firstEngagedAt": ms - 5000, "lastEngagedAt": ms}
            for kind, value in (
                ("PROGRESS_PERCENTAGE", 100 if completed else 40),
                ("COMPLETIONS", int(completed)),
                ("SECONDS_VIEWED", 600),
            )
        ]
        return {"learnerDetails": {"email": email}, "contentDetails": {"contentUrn": course}, "activities": activity}
    if provider == "hmm":
        return {
            "email": email,
            "course_id": course,
            "first_access": "2026-11-01",
            "last_access": "2026-11-30",
            "time_spent_minutes": "25",
            "percent_complete": "100" if completed else "40",
            "completion_date": "2026-11-30" if completed else "",
        }
    return {"Email": email, "Summary ID": course, "Consumed At": "2026-11-30T10:00:00", "Time Spent (minutes)": "12"}


def mappers(provider: str):
    """(course mapper, progress mapper) of the connector: raw item → record."""
    if provider == "linkedin":
        from integrated_channels.linkedin_learning import mapping

        return (
            lambda item, source: mapping.course_of(item, source=source),
            lambda item, source: mapping.progress_of(item, source=source),
        )
    if provider == "hmm":
        from integrated_channels.harvard_managementor import feeds

        return (
            lambda item, source: feeds._course("bench.csv", 0, item),
            lambda item, source: feeds._progress("bench.csv", 0, item),
        )
    from integrated_channels.getabstract import feeds

    return (
        lambda item, source: feeds.course_of(item, source=source),
        lambda item, source: feeds._usage("bench.xlsx", 0, item),
    )


def connection_for(provider: str, customer):
    common = {"customer": customer, "name": "bench", "catalogs": "Library, Featured", "custom_tags": "Licensed"}
    sftp = {"host": "sftp.example.com", "username": "u", "password": "p", "host_key_fingerprint": "SHA256:" + "A" * 43}
    if provider == "linkedin":
        from integrated_channels.linkedin_learning.models import LinkedInLearningConnection

        return LinkedInLearningConnection.objects.create(client_id="k", client_secret=BENCH_SECRET, **common)
    if provider == "hmm":
        from integrated_channels.harvard_managementor.models import HarvardManageMentorConnection

        return HarvardManageMentorConnection.objects.create(**common, **sftp)
    from integrated_channels.getabstract.models import GetAbstractConnection

    return GetAbstractConnection.objects.create(client_id="k", client_secret=BENCH_SECRET, **common, **sftp)


PROVIDER_CODES = {"linkedin": "linkedin", "hmm": "hmm", "getabstract": "getabstract"}
PAGE = 2000
HMM_COURSE_COLUMNS = ["course_id", "title", "description", "language", "duration_minutes", "launch_url", "topics"]
HMM_PROGRESS_COLUMNS = [
    "email",
    "course_id",
    "first_access",
    "last_access",
    "time_spent_minutes",
    "percent_complete",
    "completion_date",
]


def raw_page(provider: str, what: str, items: list[dict]) -> bytes:
    """A page as the provider sends it: LinkedIn's JSON answer, a Harvard ManageMentor CSV file; getAbstract's
    API answer (courses) and, standing in for a feed workbook, its rows as JSON (the xlsx reading is left out)."""
    if provider == "hmm":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=HMM_COURSE_COLUMNS if what == "courses" else HMM_PROGRESS_COLUMNS)
        writer.writeheader()
        writer.writerows(items)
        return out.getvalue().encode()
    return json.dumps({"elements": items, "paging": {"links": []}}, separators=(",", ":")).encode()


class Pages:
    """The provider's pages, written once to a temporary file before anything is measured and read back page by
    page as a client or the file drop would hand them over (the network and the drop are left out)."""

    def __init__(self, provider: str, what: str, total: int, make):
        self.file = tempfile.TemporaryFile()  # noqa: SIM115 (closed with the process; read page by page)
        self.offsets = []
        for start in range(0, total, PAGE):
            raw = raw_page(provider, what, [make(n) for n in range(start, min(total, start + PAGE))])
            self.offsets.append((self.file.tell(), len(raw)))
            self.file.write(raw)

    def __iter__(self):
        for offset, size in self.offsets:
            self.file.seek(offset)
            yield self.file.read(size)


def page_batch(provider: str, what: str, number: int, raw: bytes):
    """The connector's own batch of a page: parsed and mapped only when the run reads it."""
    from enterprise.lms.content.pages import digest

    if provider == "hmm":
        from integrated_channels.harvard_managementor import feeds

        path = f"hmm12_metadata_{number}.csv" if what == "courses" else f"client_hmm12_page{number}.csv"
        return (feeds.courses_batch if what == "courses" else feeds.progress_batch)(path, raw)
    if provider == "linkedin":
        from integrated_channels.linkedin_learning import mapping
        from integrated_channels.linkedin_learning.client import read_page

        page = read_page(raw)  # as the client reads every answer: its paging, the elements left raw
        return (mapping.course_batch if what == "courses" else mapping.progress_batch)(number, page)
    from integrated_channels.getabstract import feeds
    from integrated_channels.integrated_channel.services.content_runs import Batch

    def load(batch):
        items = json.loads(raw)["elements"]
        if what == "courses":
            batch.courses = [feeds.course_of(item, source=f"page {number}") for item in items]
        else:
            batch.progress = [feeds._usage(f"feed {number}", n, row) for n, row in enumerate(items, 2)]

    return Batch(name=f"{what} page {number}", key=f"{what} page {number}", fingerprint=digest(raw), load=load)


def batches(provider, what, pages: Pages):
    for number, raw in enumerate(pages, start=1):
        yield page_batch(provider, what, number, raw)


def _both_cpu() -> tuple[float, float]:
    """CPU seconds of this process and of its PostgreSQL backend (0 for the backend elsewhere)."""
    from benchmarks.harness import cpu_seconds

    found = cpu_seconds()
    return found if found is not None else (_cpu(), 0.0)


def run_import(connection, provider, courses: Pages, progress: Pages, cpu: dict | None = None):
    """Both runs; ``cpu`` (when given) gets ``courses`` / ``progress``: (process, database backend) CPU seconds."""
    from integrated_channels.integrated_channel.models import Run
    from integrated_channels.integrated_channel.services import content_runs

    cpu_start = _both_cpu()
    started = time.perf_counter()
    courses_run = content_runs.execute(
        connection,
        kind="course_import",
        what=content_runs.COURSES,
        provider=PROVIDER_CODES[provider],
        batches=batches(provider, "courses", courses),
        trigger=Run.Trigger.COMMAND,
    )
    middle = time.perf_counter()
    cpu_middle = _both_cpu()
    progress_run = content_runs.execute(
        connection,
        kind="progress_import",
        what=content_runs.PROGRESS,
        provider=PROVIDER_CODES[provider],
        batches=batches(provider, "progress", progress),
        trigger=Run.Trigger.COMMAND,
    )
    ended = time.perf_counter()
    cpu_end = _both_cpu()
    if cpu is not None:
        cpu["courses"] = (cpu_middle[0] - cpu_start[0], cpu_middle[1] - cpu_start[1])
        cpu["progress"] = (cpu_end[0] - cpu_middle[0], cpu_end[1] - cpu_middle[1])
    return courses_run, progress_run, middle - started, ended - middle


def baseline(connection, provider, args):
    """The per-row way, on ``--baseline-rows`` courses and progress rows."""
    from django.db import transaction
    from django.db.models.functions import Lower

    from enterprise.lms.content.models import Catalog, CatalogCourse, ProviderCourse, ProviderProgress
    from enterprise.lms.local.models import Course, CourseMode
    from enterprise.models import EnterpriseCourseEnrollment, EnterpriseCustomerUser
    from enterprise.services.completions import record_certificate, record_grade

    course_map, progress_map = mappers(provider)
    code = "base-" + PROVIDER_CODES[provider]
    catalog, _ = Catalog.objects.get_or_create(customer=connection.customer, name="Baseline")
    now = datetime.datetime.now(tz=datetime.UTC)
    rows = min(args.baseline_rows, args.courses)
    with transaction.atomic():
        for n in range(rows):
            record = course_map(course_source(provider, n), f"item {n}")
            course, _ = Course.objects.update_or_create(
                course_id=f"{code}:{record.provider_id}", defaults={"title": record.title, "pacing": "self"}
            )
            CourseMode.objects.get_or_create(course=course, mode="audit")
            ProviderCourse.objects.update_or_create(
                provider=code,
                provider_id=record.provider_id,
                defaults={"course": course, "launch_url": record.launch_url, "first_seen": now, "last_seen": now},
            )
            CatalogCourse.objects.get_or_create(catalog=catalog, course=course)
    course_seconds = time.perf_counter()
    progress_rows = min(args.baseline_rows, args.progress)
    with transaction.atomic():
        for i in range(progress_rows):
            record = progress_map(progress_source(provider, i, learners=args.learners, courses=rows), f"row {i}")
            learner = (
                EnterpriseCustomerUser.objects.annotate(e=Lower("user__email"))
                .filter(customer=connection.customer, e=record.email.lower())
                .first()
            )
            provider_course = ProviderCourse.objects.select_related("course").get(
                provider=code, provider_id=record.provider_id
            )
            ProviderProgress.objects.update_or_create(
                user_id=learner.user_id,
                course=provider_course,
                defaults={"customer": connection.customer, "percent": record.percent, "modified": now},
            )
            if record.completed_at:
                record_certificate(
                    user_id=learner.user_id, course=provider_course.course, grade="Pass", issued_at=record.completed_at
                )
            record_grade(
                user_id=learner.user_id,
                course=provider_course.course,
                percent=record.percent or Decimal(0),
                passed_at=record.completed_at,
            )
            EnterpriseCourseEnrollment.objects.get_or_create(
                learner=learner, course_id=provider_course.course.course_id, defaults={"mode": "audit"}
            )
    return rows, progress_rows, course_seconds, time.perf_counter()


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def make_learners(customer, count: int) -> None:
    from django.contrib.auth import get_user_model

    from enterprise.models import EnterpriseCustomerUser

    User = get_user_model()
    for start in range(0, count, 5000):
        users = User.objects.bulk_create(
            [
                User(username=f"learner{n}", email=f"learner{n}@example.com")
                for n in range(start, min(count, start + 5000))
            ]
        )
        EnterpriseCustomerUser.objects.bulk_create([EnterpriseCustomerUser(customer=customer, user=u) for u in users])


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks content_import", description=__doc__.splitlines()[0])
    parser.add_argument("--provider", choices=["linkedin", "getabstract", "hmm"], default="linkedin")
    parser.add_argument("--courses", type=int, default=50_000)
    parser.add_argument("--progress", type=int, default=1_000_000)
    parser.add_argument("--learners", type=int, default=20_000)
    parser.add_argument("--baseline-rows", type=int, default=2_000)
    args = parser.parse_args(argv)
    args.learners = max(1, min(args.learners, args.progress))

    from benchmarks.harness import Measurement, Report, count_queries, peak_rss_mb, report, setup_django

    teardown = setup_django()
    try:
        from enterprise.models import EnterpriseCustomer

        customer = EnterpriseCustomer.objects.create(name="Bench", slug="bench")
        make_learners(customer, args.learners)
        connection = connection_for(args.provider, customer)
        course_pages = Pages(args.provider, "courses", args.courses, lambda n: course_source(args.provider, n))
        progress_pages = Pages(
            args.provider,
            "progress",
            args.progress,
            lambda i: progress_source(args.provider, i, learners=args.learners, courses=args.courses),
        )
        load_before = os.getloadavg()[0]
        cpu_before = _cpu()
        split: dict = {}
        with count_queries() as counter:
            courses_run, progress_run, course_seconds, progress_seconds = run_import(
                connection, args.provider, course_pages, progress_pages, split
            )
        cpu_seconds = _cpu() - cpu_before
        queries = counter.count
        load_after = os.getloadavg()[0]
        rss = peak_rss_mb()
        rerun_load_before = os.getloadavg()[0]
        rerun_cpu = _cpu()
        rerun_start = time.perf_counter()
        rerun_split: dict = {}
        with count_queries() as rerun_counter:
            rerun = run_import(connection, args.provider, course_pages, progress_pages, rerun_split)
        rerun_seconds = time.perf_counter() - rerun_start
        rerun_cpu = _cpu() - rerun_cpu
        assert rerun[0].sent == 0 and rerun[1].sent == 0, (rerun[0].sent, rerun[1].sent)
        start = time.perf_counter()
        with count_queries() as base_counter:
            base_courses, base_progress, middle, end = baseline(connection, args.provider, args)
        base_course_seconds, base_progress_seconds = middle - start, end - middle
        scaled = base_course_seconds * args.courses / max(
            base_courses, 1
        ) + base_progress_seconds * args.progress / max(base_progress, 1)
        rows = args.courses + args.progress
        report(
            Report(
                name="content_import",
                sizes={"provider": args.provider, "courses": args.courses, "progress": args.progress},
                rows=rows,
                measured=Measurement(
                    seconds=course_seconds + progress_seconds,
                    queries=queries,
                    load_before=load_before,
                    load_after=load_after,
                ),
                baseline=Measurement(
                    seconds=scaled, queries=round(base_counter.count * rows / max(base_courses + base_progress, 1))
                ),
                extra={
                    "courses_seconds": f"{course_seconds:.3f}",
                    "progress_seconds": f"{progress_seconds:.3f}",
                    "rerun_seconds": f"{rerun_seconds:.3f}",
                    "rerun_queries": rerun_counter.count,
                    "rerun_cpu_seconds": f"{rerun_cpu:.3f}",
                    "rerun_load_before": f"{rerun_load_before:.2f}",
                    "cpu_seconds": f"{cpu_seconds:.3f}",
                    "courses_cpu_seconds": f"{split['courses'][0]:.2f}",
                    "courses_db_cpu_seconds": f"{split['courses'][1]:.2f}",
                    "progress_cpu_seconds": f"{split['progress'][0]:.2f}",
                    "progress_db_cpu_seconds": f"{split['progress'][1]:.2f}",
                    "rerun_db_cpu_seconds": f"{rerun_split['courses'][1] + rerun_split['progress'][1]:.2f}",
                    "import_peak_rss_mb": f"{rss:.1f}",
                    "courses_sent": courses_run.sent,
                    "progress_sent": progress_run.sent,
                    "baseline_rows": f"{base_courses}+{base_progress}",
                },
                table=[
                    ("courses", f"{course_seconds:.3f} s ({courses_run.sent} imported)"),
                    ("progress", f"{progress_seconds:.3f} s ({progress_run.sent} imported)"),
                    ("no-change rerun", f"{rerun_seconds:.3f} s, {rerun_counter.count} queries"),
                    ("baseline measured on", f"{base_courses} courses + {base_progress} rows, scaled"),
                ],
            )
        )
    finally:
        teardown()
    return 0
