"""Change tracking (decision 0090): an incremental run considers only what changed, and loses nothing.

Every test runs a first (full) run, changes one input, and checks that the next run is
incremental (``changes_since`` set), considers only the changed enrollment(s) and sends what
changed — and nothing else. The margin is 0 here (except where it is the subject) so that rows
written before a run are strictly older than its watermark.
"""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from consent.services import record_consent
from enterprise.lms.local import models as lms
from enterprise.lms.local.backends import LocalCompletions
from enterprise.services.linking import link_user, unlink_users
from integrated_channels.integrated_channel.models import Run
from integrated_channels.integrated_channel.services.changes import FullReason
from integrated_channels.integrated_channel.services.transmission import transmit_learner_data
from tests.factories import CertificateFactory, CourseFactory, GradeFactory, StaffFactory
from tests.integrated_channels.conftest import FAST
from tests.integrated_channels.factories import RemoteIdentityFactory, completed_enrollment

pytestmark = pytest.mark.django_db


class UntrackedCompletions(LocalCompletions):
    """A completion backend that cannot say what changed (as the Open edX one)."""

    def changed_since(self, *, since, now):
        return None


@pytest.fixture(autouse=True)
def no_margin(settings):
    settings.INTEGRATED_CHANNELS = {**FAST, "CHANGE_TRACKING_MARGIN": 0}


@pytest.fixture
def run(sap_config):
    staff = StaffFactory()

    def run_once(**options) -> Run:
        result = transmit_learner_data(configuration=sap_config, api_user=staff, **options)
        return Run.objects.get(pk=result.run_id)

    return run_once


@pytest.fixture
def first(sap_config, run, fake_sap):
    """Three completions sent by a first, full run."""
    course = CourseFactory()
    enrollments = [completed_enrollment(sap_config.customer, course=course, remote_id=f"sap-{i}") for i in range(3)]
    first_run = run()
    assert (first_run.status, first_run.sent) == ("completed", 3)
    assert first_run.changes_since is None and first_run.full_selection_reason == FullReason.FIRST_RUN
    assert first_run.watermark is not None
    return first_run, enrollments


def incremental(run_row: Run, since: Run) -> bool:
    return run_row.changes_since == since.watermark and run_row.full_selection_reason == ""


def test_nothing_changed_nothing_considered_no_call(first, run, fake_sap):
    first_run, _ = first
    calls = fake_sap.calls()

    second = run()

    assert incremental(second, first_run)
    assert (second.selected, second.sent, second.skipped) == (0, 0, 0)
    assert fake_sap.calls() == calls
    assert second.watermark > first_run.watermark


def test_a_regraded_certificate_is_reconsidered_and_sent_when_its_payload_changed(first, run, fake_sap):
    first_run, enrollments = first
    certificate = lms.Certificate.objects.get(user=enrollments[0].learner.user)
    certificate.grade = "Fail"  # regraded
    certificate.save()

    second = run()

    assert incremental(second, first_run)
    assert (second.selected, second.sent) == (1, 1)
    assert fake_sap.events()[-1]["grade"] == "Fail"
    assert (run().selected, len(fake_sap.events())) == (0, 4)


def test_a_course_end_passing_completes_self_paced_enrollments(sap_config, first, run, fake_sap):
    course = CourseFactory(pacing="self", end=timezone.now() + datetime.timedelta(days=1))
    enrollment = completed_enrollment(sap_config.customer, course=course, remote_id="sap-self", complete=False)
    second = run()
    assert (second.selected, second.sent, second.skip_reasons) == (1, 0, {"not_complete": 1})

    # Time passes: the end, after the second run began, is behind us at the third. The course row is
    # not written (``update`` leaves ``modified`` alone): only the end date says the course is over.
    lms.Course.objects.filter(pk=course.pk).update(end=second.watermark + datetime.timedelta(microseconds=1))
    third = run()

    assert incremental(third, second)
    assert (third.selected, third.sent) == (1, 1)
    event = fake_sap.events()[-1]
    assert (event["userID"], event["courseCompleted"], event["grade"]) == ("sap-self", True, "Fail")
    assert enrollment.learner.user_id


def test_consent_granted_later_is_sent(sap_config, first, run, fake_sap):
    course = CourseFactory()
    enrollment = completed_enrollment(sap_config.customer, course=course, remote_id="sap-late", consent=False)
    second = run()
    assert second.skip_reasons == {"no_consent": 1}

    record_consent(customer=sap_config.customer, user=enrollment.learner.user, course_id=course.course_id, granted=True)
    third = run()

    assert incremental(third, second)
    assert (third.selected, third.sent) == (1, 1)
    assert fake_sap.events()[-1]["userID"] == "sap-late"


def test_a_remote_id_added_later_is_sent(sap_config, first, run, fake_sap):
    enrollment = completed_enrollment(sap_config.customer, remote_id=None)
    second = run()
    assert second.skip_reasons == {"no_remote_id": 1}

    RemoteIdentityFactory(
        identity_provider=sap_config.customer.identity_providers.first(),
        user=enrollment.learner.user,
        remote_id="sap-signed-in",
    )
    third = run()

    assert incremental(third, second)
    assert (third.selected, third.sent) == (1, 1)
    assert fake_sap.events()[-1]["userID"] == "sap-signed-in"


def test_a_learner_linked_again_is_sent(sap_config, first, run, fake_sap):
    enrollment = completed_enrollment(sap_config.customer, remote_id="sap-relinked")
    unlink_users(customer=sap_config.customer, user_ids=[enrollment.learner.user_id])
    second = run()
    assert second.selected == 0

    link_user(customer=sap_config.customer, user=enrollment.learner.user)
    third = run()

    assert incremental(third, second)
    assert (third.selected, third.sent) == (1, 1)
    assert fake_sap.events()[-1]["userID"] == "sap-relinked"


def test_a_failed_record_is_retried_by_the_next_incremental_run(sap_config, run, fake_sap):
    completed_enrollment(sap_config.customer, remote_id="sap-ok")
    completed_enrollment(sap_config.customer, remote_id="sap-refused")
    fake_sap.fail("events", status=400, body='{"error": "refused"}')  # the first event sent
    first_run = run()
    assert (first_run.status, first_run.sent, first_run.failed) == ("completed_with_errors", 1, 1)
    assert first_run.watermark is not None  # record errors do not hold the watermark back

    second = run()

    assert incremental(second, first_run)
    assert (second.selected, second.sent, second.failed) == (1, 1, 0)
    assert run().selected == 0


def test_a_changed_configuration_selects_everything_again(sap_config, first, run, fake_sap):
    fake_sap.tenants["ACME"].provider_id = "ACME-LMS"  # the tenant renamed our provider id
    sap_config.provider_id = "ACME-LMS"
    sap_config.save()

    second = run()

    assert second.changes_since is None
    assert second.full_selection_reason == FullReason.CONFIGURATION_CHANGED
    assert (second.selected, second.sent, second.skip_reasons, second.error_message) == (3, 3, {}, "")
    assert {e["providerID"] for e in fake_sap.events()[-3:]} == {"ACME-LMS"}
    third = run()
    assert incremental(third, second) and third.selected == 0


def test_a_changed_customer_selects_everything_again(sap_config, first, run):
    sap_config.customer.enable_data_sharing_consent = False
    sap_config.customer.save()

    second = run()

    assert second.full_selection_reason == FullReason.CONFIGURATION_CHANGED
    assert second.selected == 3


def test_a_failed_run_records_no_watermark_and_the_next_run_loses_nothing(sap_config, first, run, fake_sap):
    first_run, _ = first
    completed_enrollment(sap_config.customer, remote_id="sap-new")
    fake_sap.revoke_tokens()
    fake_sap.fail("token", status=401, times=5)  # the run stops: the record is not attempted
    second = run()
    assert (second.status, second.not_attempted, second.watermark) == ("failed", 1, None)
    with fake_sap.lock:
        fake_sap.scripted.clear()  # the tenant is back

    third = run()

    assert third.changes_since == first_run.watermark  # from the last successful run, not the failed one
    assert (third.status, third.sent) == ("completed", 1)
    assert fake_sap.events()[-1]["userID"] == "sap-new"


def test_full_on_demand(first, run):
    second = run(full=True)
    assert (second.changes_since, second.full_selection_reason) == (None, FullReason.REQUESTED)
    assert (second.selected, second.sent, second.skip_reasons) == (3, 0, {"unchanged": 3})
    assert second.watermark is not None


def test_a_dry_run_selects_as_the_next_run_would_and_records_no_watermark(sap_config, first, run, fake_sap):
    first_run, _ = first
    completed_enrollment(sap_config.customer, remote_id="sap-new")

    dry = run(dry_run=True)

    assert incremental(dry, first_run)
    assert (dry.selected, dry.skip_reasons, dry.watermark) == (1, {"dry_run": 1}, None)
    real = run()
    assert incremental(real, first_run) and (real.selected, real.sent) == (1, 1)


def test_a_run_with_a_start_date_is_full_and_records_no_watermark(first, run):
    second = run(start_date=timezone.now() - datetime.timedelta(days=30))
    assert (second.changes_since, second.full_selection_reason, second.watermark) == (
        None,
        FullReason.START_DATE,
        None,
    )
    assert second.selected == 3


def test_a_backend_that_cannot_say_what_changed_means_a_full_selection(settings, first, run):
    settings.ENTERPRISE = {
        **getattr(settings, "ENTERPRISE", {}),
        "COMPLETION_BACKEND": "tests.integrated_channels.test_change_tracking.UntrackedCompletions",
    }
    second = run()
    assert (second.changes_since, second.full_selection_reason) == (None, FullReason.BACKEND)
    assert (second.selected, second.sent) == (3, 0)


def test_a_periodic_full_selection(settings, first, run):
    settings.INTEGRATED_CHANNELS = {**FAST, "CHANGE_TRACKING_MARGIN": 0, "FULL_SELECTION_INTERVAL": 0.000001}
    second = run()
    assert second.full_selection_reason == FullReason.PERIODIC and second.selected == 3
    settings.INTEGRATED_CHANNELS = {**FAST, "CHANGE_TRACKING_MARGIN": 0, "FULL_SELECTION_INTERVAL": 3600}
    assert run().full_selection_reason == ""


def test_change_tracking_can_be_turned_off(settings, first, run):
    settings.INTEGRATED_CHANNELS = {**FAST, "CHANGE_TRACKING": False}
    second = run()
    assert (second.full_selection_reason, second.selected) == (FullReason.DISABLED, 3)


def test_the_margin_covers_a_change_stamped_before_the_watermark(settings, first, run, fake_sap, sap_config):
    """A transaction that set its timestamp before a run started but committed after its selection."""
    settings.INTEGRATED_CHANNELS = {**FAST, "CHANGE_TRACKING_MARGIN": 60}
    an_hour_ago = timezone.now() - datetime.timedelta(hours=1)
    type(sap_config).objects.filter(pk=sap_config.pk).update(modified=an_hour_ago)
    type(sap_config.customer).objects.filter(pk=sap_config.customer_id).update(modified=an_hour_ago)
    sap_config.refresh_from_db()
    second = run()  # watermark: its start minus 60 s
    enrollment = completed_enrollment(sap_config.customer, remote_id="sap-late-commit")
    stamp = second.watermark + datetime.timedelta(seconds=50)  # before the second run started
    for model in (lms.Certificate, type(enrollment)):
        model.objects.filter(pk__in=model.objects.order_by("-pk").values("pk")[:1]).update(modified=stamp)
    type(enrollment.learner).objects.filter(pk=enrollment.learner_id).update(modified=stamp)
    for related in (enrollment.learner.user.data_sharing_consents, enrollment.learner.user.remote_identities):
        related.update(modified=stamp)

    third = run()

    assert third.changes_since == second.watermark
    assert third.sent == 1 and fake_sap.events()[-1]["userID"] == "sap-late-commit"


def test_a_grade_passed_after_the_watermark_completes_a_self_paced_course(sap_config, first, run, fake_sap):
    """A pass dated in the future (recorded ahead of time) completes the course once its date is reached."""
    course = CourseFactory(pacing="self", end=None)
    enrollment = completed_enrollment(sap_config.customer, course=course, remote_id="sap-pass", complete=False)
    second = run()
    assert second.skip_reasons == {"not_complete": 1}
    lms.Grade.objects.filter(user=enrollment.learner.user).update(
        percent="0.9", passed_at=second.watermark + datetime.timedelta(microseconds=1)
    )

    third = run()

    assert incremental(third, second)
    assert (third.selected, third.sent) == (1, 1)
    assert fake_sap.events()[-1]["grade"] == "Pass"


def test_an_incremental_run_costs_the_same_queries_for_3_or_40_changes(sap_config, first, run, fake_sap):
    def changed(count: int) -> int:
        course = CourseFactory()
        for i in range(count):
            completed_enrollment(sap_config.customer, course=course, remote_id=f"sap-{count}-{i}")
        with CaptureQueriesContext(connection) as context:
            result = run()
        assert incremental(result, Run.objects.exclude(pk=result.pk).order_by("-watermark").first())
        assert result.sent == count
        return len(context.captured_queries)

    assert changed(3) == changed(40)


def test_an_incremental_run_with_nothing_to_send_is_a_handful_of_queries(first, run, django_assert_max_num_queries):
    # lock (insert in a savepoint: 3), plan (the configuration with its watermarks: 1), changed courses,
    # changed completions, the candidates, the end of the run, and the test reading the run back
    with django_assert_max_num_queries(9):
        second = run()
    assert second.selected == 0


def test_certificates_grades_and_courses_changed_since(django_assert_num_queries):
    course = CourseFactory(end=timezone.now() - datetime.timedelta(days=1))
    before = timezone.now()
    certificate = CertificateFactory(course=course)
    grade = GradeFactory(course=CourseFactory(pacing="self"))
    backend = LocalCompletions()
    with django_assert_num_queries(1):
        pairs = backend.changed_since(since=before, now=timezone.now())
    assert pairs == {
        (certificate.user_id, course.course_id),
        (grade.user_id, grade.course.course_id),
    }
    from enterprise.lms.local.backends import LocalCatalog

    later = timezone.now()
    ending = CourseFactory(end=later + datetime.timedelta(hours=1))
    lms.Course.objects.filter(pk=ending.pk).update(modified=before - datetime.timedelta(days=1))
    assert LocalCatalog().courses_changed_since(since=later, now=later + datetime.timedelta(hours=2)) == {
        ending.course_id
    }
    assert LocalCatalog().courses_changed_since(since=later, now=later) == set()


def test_the_run_page_shows_how_the_run_selected(first, run, admin_client):
    first_run, _ = first
    second = run()

    page = admin_client.get(f"/admin/integrated_channel/run/{first_run.pk}/change/").content.decode()
    assert "No earlier run of this operation succeeded, so every enrollment was considered" in page
    assert FullReason.FIRST_RUN not in page  # a sentence, not the code (issue 23 item 8)
    page = admin_client.get(f"/admin/integrated_channel/run/{second.pk}/change/").content.decode()
    assert "Only what changed since" in page and "Watermark" in page


def test_a_certificate_reissued_through_the_completions_service_is_sent(first, run, fake_sap):
    from enterprise.services.completions import record_certificate

    first_run, enrollments = first
    certificate = lms.Certificate.objects.select_related("course").get(user=enrollments[1].learner.user)
    issued = timezone.now() - datetime.timedelta(hours=1)
    record_certificate(user_id=certificate.user_id, course=certificate.course, grade="0.99", issued_at=issued)

    second = run()

    assert incremental(second, first_run)
    assert (second.selected, second.sent) == (1, 1)
    assert fake_sap.events()[-1]["completedTimestamp"] == int(issued.timestamp() * 1000)


def test_the_command_takes_full_and_says_how_many_runs_were_incremental(first, fake_sap):
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("transmit_learner_data", api_user=StaffFactory(username="ops").username, stdout=out)
    assert "1 considered only what changed since their last successful run" in out.getvalue()

    call_command("transmit_learner_data", "--full", api_user="ops", stdout=io.StringIO())
    latest = Run.objects.order_by("-id").first()
    assert (latest.full_selection_reason, latest.selected) == (FullReason.REQUESTED, 3)


def test_many_candidates_read_the_whole_configuration_the_same_way(monkeypatch, sap_config, first, run, fake_sap):
    from integrated_channels.integrated_channel.exporters import learner_data

    monkeypatch.setattr(learner_data, "IN_LIST_LIMIT", 0)  # every candidate set counts as "many"
    first_run, _ = first
    completed_enrollment(sap_config.customer, remote_id="sap-many", consent=True)

    second = run()

    assert incremental(second, first_run)
    assert (second.selected, second.sent) == (1, 1)
    assert fake_sap.events()[-1]["userID"] == "sap-many"


def test_too_many_changed_learners_mean_a_full_selection(monkeypatch, first, run):
    from integrated_channels.integrated_channel.exporters import learner_data

    _first_run, enrollments = first
    monkeypatch.setattr(learner_data, "MAX_CHANGED_LEARNERS", 0)
    lms.Certificate.objects.filter(user=enrollments[0].learner.user).update(modified=timezone.now())

    second = run()

    assert (second.changes_since, second.full_selection_reason, second.selected) == (
        None,
        FullReason.TOO_MANY_CHANGES,
        3,
    )


def test_a_channel_whose_payload_reads_user_names_always_selects_in_full():
    from tests.integrated_channels.factories import TestChannelConfigurationFactory

    config = TestChannelConfigurationFactory(customer__enable_data_sharing_consent=False)
    completed_enrollment(config.customer)
    transmit_learner_data(configuration=config)
    result = transmit_learner_data(configuration=config)  # the user's e-mail address may have changed

    second = Run.objects.get(pk=result.run_id)
    assert (second.changes_since, second.full_selection_reason, second.selected) == (None, FullReason.CHANNEL, 1)
    assert second.watermark is not None
