"""The transmission engine with the shipped test channel: audit, counts, error report, batching, dry run."""

from __future__ import annotations

import datetime
from unittest import mock

import pytest
from django.utils import timezone

from integrated_channels import testing
from integrated_channels.integrated_channel.models import (
    ContentTransmissionAudit,
    LearnerDataTransmissionAudit,
    Run,
    RunError,
)
from integrated_channels.integrated_channel.services.transmission import (
    transmit_content_metadata,
    transmit_learner_data,
)
from integrated_channels.testing.client import TestChannelClient
from tests.factories import CourseFactory, StaffFactory
from tests.integrated_channels.factories import TestChannelConfigurationFactory, completed_enrollment

pytestmark = pytest.mark.django_db


@pytest.fixture
def config():
    return TestChannelConfigurationFactory(customer__enable_data_sharing_consent=True)


def payloads(kind="learner_data"):
    return [p for call in testing.outbox if call.kind == kind for p in call.payloads]


def test_counts_add_up_and_each_record_is_audited(config):
    course = CourseFactory()
    sent = [completed_enrollment(config.customer, course=course) for _ in range(3)]
    completed_enrollment(config.customer, consent=False)
    completed_enrollment(config.customer, complete=False)

    result = transmit_learner_data(configuration=config)

    assert (result.status, result.selected, result.sent, result.skipped, result.failed) == ("completed", 5, 3, 2, 0)
    assert result.skip_reasons == {"no_consent": 1, "not_complete": 1}
    run = Run.objects.get(pk=result.run_id)
    assert (run.selected, run.sent, run.skipped, run.finished_at is not None) == (5, 3, 2, True)
    audits = LearnerDataTransmissionAudit.objects.filter(configuration=config)
    assert {a.enrollment_id for a in audits} == {e.pk for e in sent}
    assert {(a.status, a.completed, a.attempts, a.run_id) for a in audits} == {("sent", True, 1, run.pk)}
    assert sorted(p["user"] for p in payloads()) == sorted(e.learner.user.username for e in sent)


def test_refused_records_fail_are_reported_and_are_retried_next_run(config):
    refused_course = CourseFactory()
    config.refuse_course_ids = refused_course.course_id
    config.save()
    refused = completed_enrollment(config.customer, course=refused_course)
    completed_enrollment(config.customer)

    first = transmit_learner_data(configuration=config)

    assert (first.status, first.sent, first.failed) == ("completed_with_errors", 1, 1)
    line = RunError.objects.get(run_id=first.run_id)
    assert (line.outcome, line.enrollment_id, line.status_code, line.code) == ("failed", refused.pk, 400, "rejected")
    assert line.username == refused.learner.user.username and line.course_id == refused_course.course_id

    second = transmit_learner_data(configuration=config)
    assert (second.sent, second.failed, second.skipped) == (0, 1, 1)  # the failure is tried again
    audit = LearnerDataTransmissionAudit.objects.get(enrollment=refused)
    assert (audit.status, audit.attempts) == ("failed", 2)

    config.refuse_course_ids = ""
    config.save()
    third = transmit_learner_data(configuration=config)
    assert (third.sent, third.failed) == (1, 0)
    audit.refresh_from_db()
    assert (audit.status, audit.attempts, audit.last_error) == ("sent", 3, "")


def test_records_per_call_batches_records(config):
    config.records_per_call = 4
    config.save()
    for _ in range(9):
        completed_enrollment(config.customer)

    result = transmit_learner_data(configuration=config)

    assert [len(call.payloads) for call in testing.outbox] == [4, 4, 1]
    assert result.remote_calls == 3


def test_dry_run_sends_and_audits_nothing(config):
    completed_enrollment(config.customer)

    result = transmit_learner_data(configuration=config, dry_run=True)

    assert testing.outbox == []
    assert not LearnerDataTransmissionAudit.objects.exists()
    assert result.skip_reasons == {"dry_run": 1} and result.status == "completed"
    assert Run.objects.get().dry_run is True


def test_start_date_keeps_only_later_completions(config):
    completed_enrollment(config.customer)  # certificate issued two days ago

    result = transmit_learner_data(configuration=config, start_date=timezone.now() - datetime.timedelta(days=1))

    assert result.skip_reasons == {"before_start_date": 1}
    assert Run.objects.get().start_date is not None


def test_send_in_progress_sends_unfinished_enrollments_too(config):
    config.send_in_progress = True
    config.save()
    completed_enrollment(config.customer, complete=False)

    transmit_learner_data(configuration=config)

    assert [(p["completed"], p["grade"]) for p in payloads()] == [(False, "In Progress")]


def test_unlinked_and_inactive_learners_are_not_selected(config):
    unlinked = completed_enrollment(config.customer)
    unlinked.learner.unlink()
    inactive = completed_enrollment(config.customer)
    inactive.learner.active = False
    inactive.learner.save()

    result = transmit_learner_data(configuration=config)

    assert result.selected == 0 and testing.outbox == []


def test_an_unknown_course_is_skipped_and_counted(config):
    config.customer.enable_data_sharing_consent = False
    config.customer.save()
    enrollment = completed_enrollment(config.customer)
    enrollment.course_id = "course-v1:Gone+X+1"
    enrollment.save()

    result = transmit_learner_data(configuration=config)

    assert result.skip_reasons == {"course_not_found": 1}
    assert not RunError.objects.exists()


def test_an_unexpected_error_fails_the_run_and_lists_what_was_not_sent(config, caplog):
    for _ in range(3):
        completed_enrollment(config.customer)
    original, calls = TestChannelClient.send_learner_data, []

    def explode(self, records):
        calls.append(records)
        if len(calls) == 2:
            raise RuntimeError("boom")
        return original(self, records)

    with mock.patch.object(TestChannelClient, "send_learner_data", explode):
        result = transmit_learner_data(configuration=config)

    assert (result.status, result.sent, result.not_attempted) == ("failed", 1, 2)
    assert "RuntimeError: boom" in result.error
    run = Run.objects.get()
    assert run.selected == run.sent + run.skipped + run.failed + run.not_attempted
    assert RunError.objects.filter(run=run, outcome="not_attempted").count() == 2
    assert RunError.objects.filter(run=run, outcome="run").count() == 1
    assert "unexpected error" in caplog.text


def test_content_metadata_with_the_test_channel(config):
    course = CourseFactory(title="One")
    completed_enrollment(config.customer, course=course)

    first = transmit_content_metadata(configuration=config)
    second = transmit_content_metadata(configuration=config)

    assert payloads("content_metadata") == [{"course": course.course_id, "title": "One", "status": "active"}]
    assert (first.sent, second.sent, second.skip_reasons) == (1, 0, {"unchanged": 1})
    assert ContentTransmissionAudit.objects.get().content_status == "active"


def test_a_run_of_an_inactive_configuration_is_still_possible_through_the_service(config):
    """The service runs what it is given; choosing active configurations is the dispatcher's job."""
    config.active = False
    config.save()
    completed_enrollment(config.customer)

    assert transmit_learner_data(configuration=config).sent == 1


def test_staff_api_user_is_recorded_on_the_run(config):
    user = StaffFactory()

    transmit_learner_data(configuration=config, api_user=user, trigger=Run.Trigger.ADMIN)

    run = Run.objects.get()
    assert (run.api_user, run.trigger) == (user, "admin")


def test_audit_rows_are_written_in_batches(config, settings):
    settings.INTEGRATED_CHANNELS = {**settings.INTEGRATED_CHANNELS, "AUDIT_FLUSH_RECORDS": 3}
    for _ in range(7):
        completed_enrollment(config.customer)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as context:
        result = transmit_learner_data(configuration=config)

    upserts = [q for q in context.captured_queries if q["sql"].startswith('INSERT INTO "integrated_channel_learner')]
    assert result.sent == 7 and result.remote_calls == 7
    assert len(upserts) == 3  # 3 + 3 + 1 records


def test_what_was_sent_is_recorded_before_a_long_wait(config, monkeypatch):
    from integrated_channels.integrated_channel.transports import base

    for _ in range(3):
        completed_enrollment(config.customer)
    original, seen = TestChannelClient.send_learner_data, []

    def send_and_wait_before_the_second_call(self, records):
        if self.calls == 1:
            self.wait(5)  # as a Retry-After or the rate limit would
        return original(self, records)

    monkeypatch.setattr(base, "pause", lambda seconds: seen.append(LearnerDataTransmissionAudit.objects.count()))
    with mock.patch.object(TestChannelClient, "send_learner_data", send_and_wait_before_the_second_call):
        result = transmit_learner_data(configuration=config)

    assert result.sent == 3
    assert seen == [1]  # the first record's audit row was written before waiting
