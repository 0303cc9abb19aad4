"""``python -m benchmarks transmit --enrollments 100000``: transmit_learner_data to SAP SuccessFactors.

Builds 10 customers (half of them with data-sharing consent on) with SAP SuccessFactors
configurations pointing at the fake tenant of ``sap_success_factors/local_tenant.py`` (rate limit off), their
learners with SAP user ids, and enrollments in a mix of instructor- and self-paced courses:
completed, in progress, and — for consent customers — without consent. Then measures:

- selection + export (the figure of ``seconds=``): every configuration's exporter selects and
  formats what it would send, set-based;
- the per-row baseline of the same job (``baseline_seconds=``): the straightforward loop that asks
  the database (and the completion backend) about each enrollment in turn;
- the end-to-end run (``transmit`` in-process, as the command does without a broker) with its
  HTTP calls per completion sent, then an immediate second run (nothing changed: no HTTP call;
  it considers only what changed since the first run's watermark, decision 0090), then a run
  after 1 % of the certificates were regraded (``--regrade``): only those are sent again.

The data is built "an hour ago" (its timestamps are moved back after the build), as on a
platform whose rows were not all written in the last minutes; otherwise the second run would
reconsider everything within the change-tracking margin (``CHANGE_TRACKING_MARGIN``, 5 min).

The selection is also measured stage by stage (CPU seconds of this process, as the machine may be
shared: enrollments, consents, remote ids, audit, courses, certificates, grades, the completion
rules, payload formatting and hashing) and in CPU seconds in all (``cpu_seconds=``; on
PostgreSQL the server's time is not in it, but ``database_cpu_seconds=``). The CPU is taken inside
the timed call (not around the harness's garbage collection before it), and the selection's own
thread's beside the process's (``selection_thread_cpu_seconds=``: the fakes serve from threads).

The per-row baseline costs about 3 ms per enrollment on SQLite and 7 ms on PostgreSQL (five to
nine queries each), so by default it is measured on the first 10,000 enrollments and scaled
linearly to the whole set (the loop is linear by construction; the table and the last line say
so: ``baseline_sample=``). ``--baseline-sample 0`` measures it on every enrollment.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import dataclasses
import datetime
import logging
import random
import time
from decimal import Decimal

from benchmarks.harness import Measurement, Report, database_cpu_seconds, measure, report, setup_django
from integrated_channels.integrated_channel.registry import LEARNER_DATA

CUSTOMERS = 10
COURSES = 20
ENROLLMENTS_PER_LEARNER = 5


def build(enrollments: int, fake) -> dict:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX as UNUSABLE
    from django.utils import timezone

    from consent.models import DataSharingConsent
    from enterprise.lms.local import models as lms
    from enterprise.models import (
        EnterpriseCourseEnrollment,
        EnterpriseCustomer,
        EnterpriseCustomerIdentityProvider,
        EnterpriseCustomerUser,
        LearnerRemoteIdentity,
    )
    from integrated_channels.sap_success_factors.models import SAPSuccessFactorsConfiguration

    rng = random.Random(42)  # noqa: S311 (benchmark data, not security)
    now = timezone.now()
    user_model = get_user_model()
    courses = []
    for i in range(COURSES):
        kind = i % 4  # 0, 1: instructor-paced; 2: self-paced without end; 3: self-paced, ended
        courses.append(
            lms.Course(
                course_id=f"course-v1:Bench+C{i:02d}+2027",
                title=f"Benchmark course {i}",
                pacing="instructor" if kind < 2 else "self",
                start=now - datetime.timedelta(days=90),
                end=now - datetime.timedelta(days=1) if kind == 3 else None,
            )
        )
    lms.Course.objects.bulk_create(courses)
    courses = list(lms.Course.objects.order_by("course_id"))

    learners_total = max(enrollments // ENROLLMENTS_PER_LEARNER, CUSTOMERS)
    users = user_model.objects.bulk_create(
        [
            user_model(username=f"bench{i:07d}", email=f"bench{i:07d}@example.com", password=UNUSABLE)
            for i in range(learners_total)
        ],
        batch_size=5000,
    )
    if users[0].pk is None:
        users = list(user_model.objects.filter(username__startswith="bench").order_by("username"))
    customers = EnterpriseCustomer.objects.bulk_create(
        [
            EnterpriseCustomer(name=f"Bench {i}", slug=f"bench-{i}", enable_data_sharing_consent=i % 2 == 0)
            for i in range(CUSTOMERS)
        ]
    )
    idps = EnterpriseCustomerIdentityProvider.objects.bulk_create(
        [EnterpriseCustomerIdentityProvider(customer=c, provider_id=f"bench-idp-{i}") for i, c in enumerate(customers)]
    )
    learner_rows, identities, enrollment_rows, consents, certificates, grades = [], [], [], [], [], []
    made = 0
    for index, user in enumerate(users):
        customer_index = index % CUSTOMERS
        customer = customers[customer_index]
        learner_rows.append(EnterpriseCustomerUser(customer=customer, user=user))
        if rng.random() < 0.98:  # 2 % never signed in through SSO: no SAP user id
            identities.append(
                LearnerRemoteIdentity(identity_provider=idps[customer_index], user=user, remote_id=f"sf-{user.pk}")
            )
        for course in rng.sample(courses, ENROLLMENTS_PER_LEARNER):
            if made >= enrollments:
                break
            made += 1
            enrollment_rows.append((len(learner_rows) - 1, course.course_id))
            if customer.enable_data_sharing_consent and rng.random() < 0.8:
                consents.append(
                    DataSharingConsent(customer=customer, user=user, course_id=course.course_id, granted=True)
                )
            completed = rng.random() < 0.5
            if course.pacing == "instructor" and completed:
                certificates.append(
                    lms.Certificate(user=user, course=course, grade="0.87", issued_at=now - datetime.timedelta(days=3))
                )
            elif course.pacing == "self":
                passed = now - datetime.timedelta(days=2) if completed else None
                grades.append(
                    lms.Grade(
                        user=user, course=course, percent=Decimal("0.8" if completed else "0.3"), passed_at=passed
                    )
                )
    learners = EnterpriseCustomerUser.objects.bulk_create(learner_rows, batch_size=5000)
    if learners[0].pk is None:
        by_user = dict(EnterpriseCustomerUser.objects.values_list("user_id", "pk"))
        for row in learners:
            row.pk = by_user[row.user_id]
    LearnerRemoteIdentity.objects.bulk_create(identities, batch_size=5000)
    EnterpriseCourseEnrollment.objects.bulk_create(
        [
            EnterpriseCourseEnrollment(learner_id=learners[i].pk, course_id=cid, mode="verified")
            for i, cid in enrollment_rows
        ],
        batch_size=5000,
    )
    DataSharingConsent.objects.bulk_create(consents, batch_size=5000)
    lms.Certificate.objects.bulk_create(certificates, batch_size=5000)
    lms.Grade.objects.bulk_create(grades, batch_size=5000)

    for i, customer in enumerate(customers):
        secret = f"bench-secret-{i}"
        fake.add_tenant(f"BENCH{i}", f"bench-client-{i}", secret)
        SAPSuccessFactorsConfiguration.objects.create(
            customer=customer,
            active=True,
            base_url=fake.base_url,
            company_id=f"BENCH{i}",
            client_id=f"bench-client-{i}",
            client_secret=secret,
            sap_user_id="sfadmin",
            calls_per_minute=0,
        )
    staff = user_model.objects.create(username="bench-staff", is_staff=True, is_superuser=True, password=UNUSABLE)
    backdate(datetime.timedelta(hours=1))
    from django.db import connection

    with connection.cursor() as cursor:  # a database at rest, as an hour later
        if connection.vendor == "postgresql":  # autovacuum would have analyzed: the planner needs the tables' sizes
            cursor.execute("ANALYZE")
        elif connection.vendor == "sqlite" and not connection.in_atomic_block:  # the log written back by now
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return {"staff": staff, "enrollments": made}


def backdate(delta: datetime.timedelta) -> None:
    """Move every timestamp change tracking reads back by ``delta`` (one UPDATE per table)."""
    from django.db.models import F

    from consent.models import DataSharingConsent
    from enterprise.lms.local import models as lms
    from enterprise.models import (
        EnterpriseCourseEnrollment,
        EnterpriseCustomer,
        EnterpriseCustomerUser,
        LearnerRemoteIdentity,
    )
    from integrated_channels.integrated_channel.models import ChannelConfiguration

    for model in (
        EnterpriseCustomer,
        EnterpriseCustomerUser,
        EnterpriseCourseEnrollment,
        LearnerRemoteIdentity,
        DataSharingConsent,
        lms.Course,
        lms.Certificate,
        lms.Grade,
        ChannelConfiguration,
    ):
        model.objects.update(modified=F("modified") - delta)


def configurations():
    from integrated_channels.integrated_channel.models import ChannelConfiguration

    return ChannelConfiguration.objects.transmittable().order_by("pk").specific()


def select_all() -> int:
    """The project's selection + export: every configuration's exporter, set-based."""
    from integrated_channels.sap_success_factors.exporters import SAPLearnerDataExporter

    return sum(len(SAPLearnerDataExporter(configuration=config).select().records) for config in configurations())


STAGES = (
    # (what is timed, the function's owner, its name)
    ("enrollments", "integrated_channels.integrated_channel.exporters.learner_data.LearnerDataExporter", "enrollments"),
    ("consents", "integrated_channels.integrated_channel.exporters.learner_data", "granted_consents"),
    ("remote ids", "integrated_channels.sap_success_factors.exporters.SAPLearnerDataExporter", "remote_ids"),
    ("audit", "integrated_channels.integrated_channel.exporters.learner_data.LearnerDataExporter", "previous_attempts"),
    ("courses", "enterprise.lms.local.backends.LocalCatalog", "get_courses"),
    ("certificates", "enterprise.lms.local.backends.LocalCompletions", "get_certificates"),
    ("grades", "enterprise.lms.local.backends.LocalCompletions", "get_grades"),
    ("completions", "integrated_channels.integrated_channel.exporters.learner_data", "completions_for"),
    ("payloads", "integrated_channels.integrated_channel.exporters.learner_data.LearnerDataExporter", "_consider"),
    ("hashing", "integrated_channels.integrated_channel.exporters.learner_data", "payload_hash"),
)


@contextlib.contextmanager
def stage_timer(exporter_class: type | None = None):
    """CPU seconds spent in each stage of the selection (nested stages are also in their callers:
    certificates and grades in completions, hashing in payloads). ``exporter_class``: the channel's
    learner-data exporter whose ``enrollments`` and ``remote_ids`` are timed (default the base's and SAP's)."""
    import importlib

    spent: collections.Counter = collections.Counter()
    patched = []
    for label, owner_path, name in STAGES:
        module_path, _, attr = owner_path.rpartition(".")
        try:
            owner = getattr(importlib.import_module(module_path), attr)
        except (ImportError, AttributeError):
            owner = importlib.import_module(owner_path)
        if label in ("enrollments", "remote ids") and exporter_class is not None:
            owner = exporter_class  # the channel's own (an override calls the base's, untimed)
        own = name in vars(owner) if isinstance(owner, type) else True
        original = owner.__dict__[name] if isinstance(owner, type) and own else getattr(owner, name)

        def timed(*args, _original=original, _label=label, **kwargs):
            started = time.process_time()
            try:
                result = _original(*args, **kwargs)
                if _label == "enrollments":
                    result = list(result)  # the query runs here, not later in select()
                return result
            finally:
                spent[_label] += time.process_time() - started

        setattr(owner, name, timed)
        patched.append((owner, name, original, own))
    try:
        yield spent
    finally:
        for owner, name, original, own in patched:
            if own:
                setattr(owner, name, original)
            else:  # inherited: the class's own attribute goes again
                delattr(owner, name)


@dataclasses.dataclass(frozen=True)
class SelectionCPU:
    process: float  # this process's CPU seconds during the call (the fakes' server threads included)
    thread: float  # the calling thread's alone: the selection's own work
    database: float | None  # PostgreSQL's backend (None elsewhere)


def measure_selection(func, *args) -> tuple[Measurement, SelectionCPU]:
    """``measure(func, *args)`` and its CPU seconds, taken inside the call: ``measure``'s full garbage
    collection before it walks every object of the process (the fakes' learners, courses and members
    too) and was counted in ``cpu_seconds=`` until session 8."""
    clocks = []

    def timed():
        clocks.append((time.process_time(), time.thread_time()))
        try:
            return func(*args)
        finally:
            clocks.append((time.process_time(), time.thread_time()))

    database = database_cpu_seconds()  # its query is outside the counted ones
    measured = measure(timed)
    database = None if database is None else database_cpu_seconds() - database
    (process_start, thread_start), (process_end, thread_end) = clocks
    return measured, SelectionCPU(process_end - process_start, thread_end - thread_start, database)


def cpu_line(cpu: float, database_cpu: float | None) -> str:
    """The selection's CPU time, this process's and PostgreSQL's (the wall-clock figure follows the load)."""
    if database_cpu is None:
        return f"{cpu:.3f} s of this process (the figure above is wall-clock)"
    return f"{cpu:.3f} s of this process + {database_cpu:.2f} s of PostgreSQL's backend (the figure above: wall-clock)"


def select_per_row(limit: int | None = None) -> int:
    """The straightforward per-row implementation of the same selection + export."""
    from consent.models import DataSharingConsent
    from enterprise.lms import get_catalog, get_completion_backend
    from enterprise.lms.completion import determine_completion
    from enterprise.models import EnterpriseCourseEnrollment, LearnerRemoteIdentity
    from integrated_channels.integrated_channel.exporters.learner_data import LearnerCompletion
    from integrated_channels.integrated_channel.exporters.records import payload_hash
    from integrated_channels.integrated_channel.models import LearnerDataTransmissionAudit
    from integrated_channels.sap_success_factors.exporters import SAPLearnerDataExporter

    catalog, backend = get_catalog(), get_completion_backend()
    selected = seen = 0
    for config in configurations():
        exporter = SAPLearnerDataExporter(configuration=config)
        customer = config.customer
        for enrollment in EnterpriseCourseEnrollment.objects.filter(
            learner__customer=customer, learner__linked=True, learner__active=True
        ).order_by("pk"):
            if limit is not None and seen >= limit:
                return selected
            seen += 1
            learner = enrollment.learner
            user = learner.user
            if (
                customer.enable_data_sharing_consent
                and not DataSharingConsent.objects.filter(
                    customer=customer, user=user, course_id=enrollment.course_id, granted=True
                ).exists()
            ):
                continue
            identity = LearnerRemoteIdentity.objects.filter(identity_provider__customer=customer, user=user).first()
            if identity is None:
                continue
            course = catalog.get_course(enrollment.course_id)
            completion = determine_completion(
                course,
                backend.get_certificate(user.pk, course.course_id),
                backend.get_grade(user.pk, course.course_id),
            )
            if not completion.complete:
                continue
            item = LearnerCompletion(
                enrollment_id=enrollment.pk,
                learner_id=learner.pk,
                user_id=user.pk,
                username=user.username,
                email=user.email,
                course_id=course.course_id,
                enrolled_at=enrollment.created,
                remote_id=identity.remote_id,
                course=course,
                completion=completion,
            )
            digest = payload_hash(exporter.learner_payload(item))
            audit = LearnerDataTransmissionAudit.objects.filter(configuration=config, enrollment=enrollment).first()
            if audit is None or audit.status != "sent" or audit.payload_hash != digest:
                selected += 1
    return selected


def transmit_all(staff):
    from integrated_channels.integrated_channel.services.dispatch import transmit

    return transmit(kind=LEARNER_DATA, api_user=staff)


def regrade(share: float) -> int:
    """Regrade ``share`` of the certificates (their grade becomes "Fail", ``modified`` now): a changed payload each."""
    from django.utils import timezone

    from enterprise.lms.local.models import Certificate

    pks = list(Certificate.objects.order_by("pk").values_list("pk", flat=True))
    chosen = pks[:: max(int(1 / share), 1)] if share > 0 else []
    Certificate.objects.filter(pk__in=chosen).update(grade="Fail", modified=timezone.now())
    return len(chosen)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks transmit", description=__doc__.splitlines()[0])
    parser.add_argument("--enrollments", type=int, default=100_000)
    parser.add_argument(
        "--baseline-sample", type=int, default=10_000, help="measure the baseline on N enrollments, scaled (0: all)"
    )
    parser.add_argument(
        "--regrade", type=float, default=0.01, help="share of certificates regraded before the third run (0.01: 1 %%)"
    )
    parser.add_argument(
        "--channel",
        default="SAP",
        type=str.upper,
        choices=["SAP", "DEGREED2", "MOODLE", "CANVAS", "BLACKBOARD", "CSOD"],
        help="the channel measured (default SAP; the others: benchmarks/_transmit_channels.py)",
    )
    parser.add_argument(
        "--selection-only",
        action="store_true",
        help="a channel other than SAP: measure the selection and the baseline, skip the end-to-end send",
    )
    args = parser.parse_args(argv)

    teardown = setup_django()
    if args.channel != "SAP":
        from django.conf import settings

        from benchmarks._transmit_channels import run

        settings.INTEGRATED_CHANNELS = {"USE_CELERY": False}
        logging.getLogger("integrated_channels").setLevel(logging.WARNING)
        code = run(
            args.channel,
            enrollments=args.enrollments,
            baseline_sample=args.baseline_sample,
            end_to_end_run=not args.selection_only,
        )
        teardown()
        return code
    from django.conf import settings

    from integrated_channels.sap_success_factors.local_tenant import FakeSAPSuccessFactors

    settings.INTEGRATED_CHANNELS = {"USE_CELERY": False}
    logging.getLogger("integrated_channels").setLevel(logging.WARNING)  # one line per run is noise here
    fake = FakeSAPSuccessFactors().start()
    fake.keep_history = False  # the fake's memory is not the system's: count, keep nothing
    try:
        started = time.perf_counter()
        data = build(args.enrollments, fake)
        build_seconds = time.perf_counter() - started
        enrollments = data["enrollments"]

        selection, selection_cpu = measure_selection(select_all)
        cpu, database_cpu = selection_cpu.process, selection_cpu.database
        with stage_timer() as stages:
            staged = measure(select_all)  # once more, stage by stage (the timers cost a little)
        sample = args.baseline_sample if 0 < args.baseline_sample < enrollments else None
        baseline = measure(select_per_row, sample)
        if sample:  # scale the sample to the whole set (the per-row loop is linear)
            factor = enrollments / sample
            baseline = Measurement(baseline.seconds * factor, round(baseline.queries * factor), baseline.result)
        else:
            assert baseline.result == selection.result, (baseline.result, selection.result)

        calls_before = fake.calls()
        end_to_end = measure(transmit_all, data["staff"])
        results = end_to_end.result
        sent = sum(r.sent for r in results)
        calls = fake.calls() - calls_before
        tokens = fake.calls("token")
        failed_runs = [r for r in results if r.status != "completed"]
        assert not failed_runs, failed_runs
        assert sent == selection.result == fake.accepted, (sent, selection.result, fake.accepted)

        calls_before = fake.calls()
        second = measure(transmit_all, data["staff"])
        second_calls = fake.calls() - calls_before
        assert sum(r.sent for r in second.result) == 0
        second_considered = sum(r.selected for r in second.result)
        second_incremental = sum(1 for r in second.result if r.changes_since)

        regraded = regrade(args.regrade)
        calls_before = fake.calls()
        third = measure(transmit_all, data["staff"])
        third_calls = fake.calls() - calls_before
        third_sent = sum(r.sent for r in third.result)
        assert not [r for r in third.result if r.status != "completed"], third.result
    finally:
        fake.stop()

    per_completion = calls / sent if sent else 0.0
    report(
        Report(
            name="transmit",
            sizes={"enrollments": enrollments, "customers": CUSTOMERS, "baseline_sample": sample or enrollments},
            rows=enrollments,
            measured=selection,
            baseline=baseline,
            extra={
                "records_selected": selection.result,
                "end_to_end_seconds": f"{end_to_end.seconds:.3f}",
                "end_to_end_queries_per_1000": f"{end_to_end.queries * 1000 / enrollments:.2f}",
                "completions_sent": sent,
                "http_calls": calls,
                "token_calls": tokens,
                "http_calls_per_completion": f"{per_completion:.4f}",
                "cpu_seconds": f"{cpu:.3f}",
                "selection_thread_cpu_seconds": f"{selection_cpu.thread:.3f}",
                **({"database_cpu_seconds": f"{database_cpu:.2f}"} if database_cpu is not None else {}),
                **{f"stage_{label.replace(' ', '_')}_cpu": f"{spent:.3f}" for label, spent in stages.items()},
                "second_run_seconds": f"{second.seconds:.3f}",
                "second_run_http_calls": second_calls,
                "second_run_queries": second.queries,
                "second_run_considered": second_considered,
                "second_run_incremental_runs": second_incremental,
                "regraded": regraded,
                "regraded_run_seconds": f"{third.seconds:.3f}",
                "regraded_run_sent": third_sent,
                "regraded_run_http_calls": third_calls,
                "regraded_run_queries": third.queries,
            },
            table=[
                ("data built in", f"{build_seconds:.1f} s"),
                ("records to send", f"{selection.result} of {enrollments} enrollments"),
                ("baseline", f"measured on {sample} enrollments, scaled" if sample else "measured on all enrollments"),
                ("end to end", f"{end_to_end.seconds:.3f} s, {end_to_end.queries} queries"),
                (
                    "HTTP calls",
                    f"{calls} for {sent} completions ({tokens} token calls): {per_completion:.4f} per completion",
                ),
                ("selection CPU", cpu_line(cpu, database_cpu)),
                (
                    "stages (CPU s)",
                    ", ".join(f"{label} {spent:.3f}" for label, spent in stages.items())
                    + f" (timed run: {staged.seconds:.3f} s wall)",
                ),
                (
                    "second run",
                    f"{second.seconds:.3f} s, {second_calls} HTTP calls, {second.queries} queries, "
                    f"{second_considered} enrollments considered "
                    f"({second_incremental} of {CUSTOMERS} runs incremental)",
                ),
                (
                    "after a regrade",
                    f"{regraded} certificates regraded: {third.seconds:.3f} s, {third_sent} sent, "
                    f"{third_calls} HTTP calls, {third.queries} queries",
                ),
            ],
        )
    )
    teardown()
    return 0
