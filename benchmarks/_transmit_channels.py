"""``python -m benchmarks transmit --channel CODE``: the transmit benchmark for the issue 25 channels.

The data is the SAP benchmark's (``transmit.build``: 10 customers, learners, enrollments,
consents, certificates and grades); the SAP connections are switched off and each customer gets a
connection of the chosen channel pointing at that channel's fake (``tests/fakes/``), which is told
about every learner and course (Degreed users; Moodle, Canvas and Blackboard courses, users and
memberships; Cornerstone learner sessions). Measured: selection + export by the channel's own
exporter (``seconds=``), a per-row baseline of the same mapping on a sample, the end-to-end run
and its HTTP calls per completion, and an immediate second run (nothing sent, no call).
"""

from __future__ import annotations

import time

from benchmarks.harness import Measurement, Report, measure, report
from integrated_channels.integrated_channel.registry import LEARNER_DATA

SECRET = "bench-secret"  # noqa: S105 (a fake's credential)


def _enrollment_rows():
    from enterprise.models import EnterpriseCourseEnrollment

    return list(EnterpriseCourseEnrollment.objects.values_list("learner__user_id", "learner__user__email", "course_id"))


def _setup_degreed(customers, fake):
    from integrated_channels.degreed.models import DegreedConfiguration

    fake.setup("bench-degreed", SECRET, users=[email for _u, email, _c in _enrollment_rows()])
    for customer in customers:
        DegreedConfiguration.objects.create(
            customer=customer,
            active=True,
            base_url=fake.base_url,
            client_id="bench-degreed",
            client_secret=SECRET,
            calls_per_minute=0,
        )


def _setup_moodle(customers, fake):
    from enterprise.lms.local.models import Course
    from integrated_channels.moodle.models import MoodleConfiguration

    fake.setup(password=SECRET)
    for course_id in Course.objects.values_list("course_id", flat=True):
        fake.add_course(course_id)
    for email in {email for _u, email, _c in _enrollment_rows()}:
        fake.add_user(email)
    for customer in customers:
        MoodleConfiguration.objects.create(
            customer=customer,
            active=True,
            base_url=fake.base_url,
            service_short_name="edx",
            username="ws-user",
            password=SECRET,
        )


def _setup_canvas(customers, fake):
    from enterprise.lms.local.models import Course
    from integrated_channels.canvas.models import CanvasConfiguration

    fake.setup(1, "bench-canvas", SECRET)
    courses = {
        course_id: fake.add_course(course_id, integration_id=course_id)
        for course_id in Course.objects.values_list("course_id", flat=True)
    }
    users: dict[str, int] = {}
    for _user, email, course_id in _enrollment_rows():
        if email not in users:
            users[email] = fake.add_user(email)
        fake.enroll(courses[course_id], users[email])
    for customer in customers:
        CanvasConfiguration.objects.create(
            customer=customer,
            active=True,
            base_url=fake.base_url,
            account_id=1,
            client_id="bench-canvas",
            client_secret=SECRET,
            refresh_token=fake.issue_refresh_token(),
        )


def _setup_blackboard(customers, fake):
    from enterprise.lms.local.models import Course
    from integrated_channels.blackboard.models import BlackboardConfiguration

    fake.setup("bench-bb", SECRET)
    courses = {
        course_id: fake.add_course(course_id) for course_id in Course.objects.values_list("course_id", flat=True)
    }
    for _user, email, course_id in _enrollment_rows():
        fake.add_member(courses[course_id], email)
    for customer in customers:
        BlackboardConfiguration.objects.create(
            customer=customer,
            active=True,
            base_url=fake.base_url,
            client_id="bench-bb",
            client_secret=SECRET,
            refresh_token=fake.issue_refresh_token(),
        )


def _setup_csod(customers, fake):
    from enterprise.models import EnterpriseCourseEnrollment
    from integrated_channels.cornerstone.models import CornerstoneConfiguration, CornerstoneLearnerSession

    fake.setup("bench-csod", SECRET)
    configs = {
        customer.pk: CornerstoneConfiguration.objects.create(
            customer=customer,
            active=True,
            base_url=fake.base_url,
            client_key="bench-csod",
            client_secret=SECRET,
            catalog_password=SECRET,
        )
        for customer in customers
    }
    sessions = []
    rows = EnterpriseCourseEnrollment.objects.values_list("learner__customer_id", "learner__user_id", "course_id")
    for customer_id, user_id, course_id in rows:
        guid, callback = f"guid-{user_id}", f"/cb/{user_id}/{abs(hash(course_id))}"
        token = fake.start_session(callback, guid)
        sessions.append(
            CornerstoneLearnerSession(
                configuration=configs[customer_id],
                user_id=user_id,
                course_id=course_id,
                user_guid=guid,
                callback_path=callback,
                session_token=token,
            )
        )
    CornerstoneLearnerSession.objects.bulk_create(sessions, batch_size=5000)


def analyze() -> None:
    """On PostgreSQL, table statistics for the set-up's rows (autovacuum would have them by now): without
    them the planner takes Cornerstone's 10,000 sessions of a connection for 48 and joins row by row."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


FAKES = {
    "DEGREED2": ("tests.fakes.degreed", "FakeDegreed", _setup_degreed),
    "MOODLE": ("tests.fakes.moodle", "FakeMoodle", _setup_moodle),
    "CANVAS": ("tests.fakes.canvas", "FakeCanvas", _setup_canvas),
    "BLACKBOARD": ("tests.fakes.blackboard", "FakeBlackboard", _setup_blackboard),
    "CSOD": ("tests.fakes.cornerstone", "FakeCornerstone", _setup_csod),
}


def select_all(code: str) -> int:
    from integrated_channels.integrated_channel.models import ChannelConfiguration
    from integrated_channels.integrated_channel.registry import registry

    exporter_class = registry.get(code).get_learner_exporter_class()
    configurations = ChannelConfiguration.objects.transmittable().filter(channel=code).order_by("pk").specific()
    return sum(len(exporter_class(configuration=config).select().records) for config in configurations)


def select_per_row(code: str, limit: int) -> int:
    """The per-row form of the same selection + mapping: a few queries per enrollment."""
    from consent.models import DataSharingConsent
    from enterprise.lms import get_catalog, get_completion_backend
    from enterprise.lms.completion import determine_completion
    from enterprise.models import EnterpriseCourseEnrollment
    from integrated_channels.integrated_channel.exporters.learner_data import LearnerCompletion
    from integrated_channels.integrated_channel.exporters.records import payload_hash
    from integrated_channels.integrated_channel.models import ChannelConfiguration, LearnerDataTransmissionAudit
    from integrated_channels.integrated_channel.registry import registry

    exporter_class = registry.get(code).get_learner_exporter_class()
    catalog, backend = get_catalog(), get_completion_backend()
    selected = seen = 0
    for config in ChannelConfiguration.objects.transmittable().filter(channel=code).order_by("pk").specific():
        exporter = exporter_class(configuration=config)
        remote_ids = {}
        for enrollment in EnterpriseCourseEnrollment.objects.filter(learner__customer=config.customer).order_by("pk"):
            if seen >= limit:
                return selected
            seen += 1
            user = enrollment.learner.user
            if (
                config.customer.enable_data_sharing_consent
                and not DataSharingConsent.objects.filter(
                    customer=config.customer, user=user, course_id=enrollment.course_id, granted=True
                ).exists()
            ):
                continue
            if exporter.needs_remote_id:
                remote_ids = exporter.remote_ids([user.pk])
                if user.pk not in remote_ids:
                    continue
            course = catalog.get_course(enrollment.course_id)
            completion = determine_completion(
                course, backend.get_certificate(user.pk, course.course_id), backend.get_grade(user.pk, course.course_id)
            )
            if not completion.complete:
                continue
            item = LearnerCompletion(
                enrollment.pk,
                enrollment.learner_id,
                user.pk,
                user.username,
                user.email,
                course.course_id,
                enrollment.created,
                remote_ids.get(user.pk, ""),
                course,
                completion,
            )
            digest = payload_hash(exporter.learner_payload(item))
            audit = LearnerDataTransmissionAudit.objects.filter(configuration=config, enrollment=enrollment).first()
            if audit is None or audit.payload_hash != digest:
                selected += 1
    return selected


def run(code: str, *, enrollments: int, baseline_sample: int, end_to_end_run: bool = True) -> int:
    """Build, measure the selection (and its stages) and the baseline; then, unless ``end_to_end_run`` is
    false (``--selection-only``), send everything to the channel's fake and run again (nothing to send)."""
    import importlib

    from django.utils import timezone

    from benchmarks.transmit import build, cpu_line, measure_selection, stage_timer
    from enterprise.models import EnterpriseCustomer
    from integrated_channels.integrated_channel.models import ChannelConfiguration
    from integrated_channels.integrated_channel.registry import registry
    from integrated_channels.integrated_channel.services.dispatch import transmit
    from tests.fakes.sap import FakeSAPSuccessFactors

    module, class_name, setup = FAKES[code]
    sap = FakeSAPSuccessFactors().start()
    fake = getattr(importlib.import_module(module), class_name)().start()
    fake.keep_history = False
    try:
        started = time.perf_counter()
        data = build(enrollments, sap)
        ChannelConfiguration.objects.filter(channel="SAP").update(active=False)
        setup(list(EnterpriseCustomer.objects.order_by("pk")), fake)
        ChannelConfiguration.objects.update(modified=timezone.now() - timezone.timedelta(hours=1))
        analyze()  # the channel's rows (Cornerstone's 100,000 sessions) analyzed, as the build's are
        build_seconds = time.perf_counter() - started
        made = data["enrollments"]

        selection, selection_cpu = measure_selection(select_all, code)
        cpu, database_cpu = selection_cpu.process, selection_cpu.database
        with stage_timer(registry.get(code).get_learner_exporter_class()) as stages:
            staged = measure(select_all, code)  # once more, stage by stage (the timers cost a little)
        sample = min(baseline_sample or made, made)
        baseline = measure(select_per_row, code, sample)
        baseline = Measurement(baseline.seconds * made / sample, round(baseline.queries * made / sample), None)

        sent = None
        if end_to_end_run:
            end_to_end = measure(transmit, kind=LEARNER_DATA, api_user=data["staff"], channel_codes=[code])
            results = end_to_end.result
            assert all(r.status == "completed" for r in results), [(r.status, r.error) for r in results]
            sent = sum(r.sent for r in results)
            calls = fake.calls()
            tokens = fake.calls("token")
            second = measure(transmit, kind=LEARNER_DATA, api_user=data["staff"], channel_codes=[code])
            second_calls = fake.calls() - calls
            assert sum(r.sent for r in second.result) == 0
    finally:
        fake.stop()
        sap.stop()
    sent_figures, sent_lines = {}, []
    if sent is not None:
        per_completion = calls / sent if sent else 0.0
        sent_figures = {
            "end_to_end_seconds": f"{end_to_end.seconds:.3f}",
            "completions_sent": sent,
            "http_calls": calls,
            "token_calls": tokens,
            "http_calls_per_completion": f"{per_completion:.4f}",
            "second_run_seconds": f"{second.seconds:.3f}",
            "second_run_http_calls": second_calls,
        }
        sent_lines = [
            ("end to end", f"{end_to_end.seconds:.3f} s, {end_to_end.queries} queries"),
            ("HTTP calls", f"{calls} for {sent} completions ({tokens} token calls): {per_completion:.4f} each"),
            ("second run", f"{second.seconds:.3f} s, {second_calls} HTTP calls"),
        ]
    report(
        Report(
            name=f"transmit_{code.lower()}",
            sizes={"enrollments": made, "customers": EnterpriseCustomer.objects.count(), "baseline_sample": sample},
            rows=made,
            measured=selection,
            baseline=baseline,
            extra={
                "channel": code,
                "records_selected": selection.result,
                "cpu_seconds": f"{cpu:.3f}",
                "selection_thread_cpu_seconds": f"{selection_cpu.thread:.3f}",
                **({"database_cpu_seconds": f"{database_cpu:.2f}"} if database_cpu is not None else {}),
                **{f"stage_{label.replace(' ', '_')}_cpu": f"{spent:.3f}" for label, spent in stages.items()},
                **sent_figures,
            },
            table=[
                ("channel", code),
                ("data built in", f"{build_seconds:.1f} s"),
                ("records to send", f"{selection.result} of {made} enrollments"),
                ("selection CPU", cpu_line(cpu, database_cpu)),
                (
                    "stages (CPU s)",
                    ", ".join(f"{label} {spent:.3f}" for label, spent in stages.items())
                    + f" (timed run: {staged.seconds:.3f} s wall)",
                ),
                ("baseline", f"per-row form of the same mapping on {sample} enrollments, scaled"),
                *sent_lines,
            ],
        )
    )
    return 0
