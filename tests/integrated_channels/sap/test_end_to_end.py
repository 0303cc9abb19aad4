"""transmit_learner_data end to end against the fake SAP SuccessFactors tenant."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from enterprise.models import EnterpriseCustomerUser
from integrated_channels.integrated_channel.models import LearnerDataTransmissionAudit, Run, RunError
from integrated_channels.integrated_channel.services.error_report import report_rows
from tests.factories import CertificateFactory, CourseFactory, StaffFactory
from tests.integrated_channels.factories import completed_enrollment

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return StaffFactory(username="staff")


def transmit(**options):
    out = io.StringIO()
    call_command("transmit_learner_data", api_user="staff", channel=["SAP"], stdout=out, **options)
    return out.getvalue()


def transmit_expecting(returncode: int, **options) -> CommandError:
    with pytest.raises(CommandError) as info:
        transmit(**options)
    assert info.value.returncode == returncode, info.value
    return info.value


def last_run() -> Run:
    return Run.objects.order_by("-id").first()


def audit(enrollment) -> LearnerDataTransmissionAudit:
    return LearnerDataTransmissionAudit.objects.get(enrollment=enrollment)


def test_first_run_sends_each_completion_once_then_nothing(staff, sap_config, fake_sap):
    course = CourseFactory()
    enrollments = [completed_enrollment(sap_config.customer, course=course, remote_id=f"sap-{i}") for i in range(3)]

    output = transmit()

    events = fake_sap.events("ACME")
    assert sorted(e["userID"] for e in events) == ["sap-0", "sap-1", "sap-2"]
    assert {e["courseCompleted"] for e in events} == {True}
    assert {e["grade"] for e in events} == {"Pass"}
    assert fake_sap.calls("token") == 1
    assert fake_sap.calls("events") == 3  # one call per completion
    run = last_run()
    assert (run.status, run.selected, run.sent, run.skipped, run.failed) == ("completed", 3, 3, 0, 0)
    assert run.remote_calls == 4
    assert all(audit(e).status == "sent" and audit(e).attempts == 1 for e in enrollments)
    assert "completed" in output and "ACME" not in output  # the summary names customers, not tenants

    transmit()

    assert fake_sap.calls("events") == 3  # nothing changed: nothing sent
    assert fake_sap.calls("token") == 1  # and no token fetched
    run = last_run()
    assert (run.sent, run.skipped, run.skip_reasons) == (0, 3, {"unchanged": 3})


def test_a_changed_grade_is_sent_again_once(staff, sap_config, fake_sap):
    course = CourseFactory(pacing="self", end=None)
    enrollment = completed_enrollment(sap_config.customer, course=course, remote_id="sap-1", complete=False)
    sap_config.send_in_progress = True
    sap_config.save()

    transmit()
    assert [e["grade"] for e in fake_sap.events()] == ["In Progress"]
    assert fake_sap.events()[0]["courseCompleted"] is False

    from enterprise.lms.local.models import Grade

    Grade.objects.filter(user=enrollment.learner.user).update(passed_at=enrollment.created, percent="0.9")
    transmit()
    transmit()

    assert [e["grade"] for e in fake_sap.events()] == ["In Progress", "Pass"]
    assert audit(enrollment).grade == "Pass"
    assert audit(enrollment).attempts == 1


def test_learners_without_sap_id_or_consent_are_skipped_and_counted(staff, sap_config, fake_sap):
    customer = sap_config.customer
    completed_enrollment(customer, remote_id="sap-ok")
    completed_enrollment(customer, remote_id=None)
    completed_enrollment(customer, remote_id="sap-declined", consent=False)
    completed_enrollment(customer, remote_id="sap-unasked", consent=None)
    completed_enrollment(customer, remote_id="sap-busy", complete=False)

    transmit()

    assert [e["userID"] for e in fake_sap.events()] == ["sap-ok"]
    run = last_run()
    assert run.skip_reasons == {"no_consent": 2, "no_remote_id": 1, "not_complete": 1}
    assert (run.selected, run.sent, run.skipped) == (5, 1, 4)
    assert not RunError.objects.filter(run=run).exists()  # skips are counted, not listed as errors


def test_without_consent_enabled_every_learner_is_sent(staff, sap_config, fake_sap):
    customer = sap_config.customer
    customer.enable_data_sharing_consent = False
    customer.save()
    completed_enrollment(customer, remote_id="sap-1", consent=None)
    completed_enrollment(customer, remote_id="sap-2", consent=False)

    transmit()

    assert sorted(e["userID"] for e in fake_sap.events()) == ["sap-1", "sap-2"]


def test_inactive_sap_user_is_unlinked_with_a_logged_reason(staff, sap_config, fake_sap, caplog):
    fake_sap.tenants["ACME"].inactive_users.add("sap-gone")
    gone = completed_enrollment(sap_config.customer, remote_id="sap-gone")
    kept = completed_enrollment(sap_config.customer, remote_id="sap-here")

    transmit_expecting(3)

    learner = EnterpriseCustomerUser.objects.get(pk=gone.learner_id)
    assert learner.linked is False and learner.unlinked_at is not None
    assert EnterpriseCustomerUser.objects.get(pk=kept.learner_id).linked is True
    run = last_run()
    assert (run.status, run.sent, run.failed, run.learners_unlinked) == ("completed_with_errors", 1, 1, 1)
    line = RunError.objects.get(run=run, outcome="failed")
    assert line.learner_unlinked and line.code == "inactive_learner" and line.status_code == 400
    assert "user account is inactive" in line.message
    assert any("Unlinked learner" in r.message and "inactive" in r.message for r in caplog.records)

    transmit()  # the unlinked learner is no longer selected
    assert last_run().selected == 1


def test_429_with_retry_after_is_honoured_and_nothing_is_lost(staff, sap_config, fake_sap, waits):
    fake_sap.fail("events", 429, headers={"Retry-After": "7"})
    enrollment = completed_enrollment(sap_config.customer, remote_id="sap-1")

    transmit()

    assert 7.0 in waits
    assert fake_sap.calls("events") == 2 and len(fake_sap.events()) == 1
    assert audit(enrollment).status == "sent"


def test_429_without_retry_after_waits_sap_default_300s_unless_capped(
    staff, sap_config, fake_sap, waits, channel_settings
):
    channel_settings.INTEGRATED_CHANNELS = {**channel_settings.INTEGRATED_CHANNELS, "MAX_RETRY_WAIT": 300}
    fake_sap.fail("events", 429)
    completed_enrollment(sap_config.customer, remote_id="sap-1")

    transmit()

    assert waits == [300.0]
    assert len(fake_sap.events()) == 1


def test_a_retry_after_beyond_the_cap_fails_the_record_for_the_next_run(staff, sap_config, fake_sap, waits):
    fake_sap.fail("events", 429, headers={"Retry-After": "3600"})
    enrollment = completed_enrollment(sap_config.customer, remote_id="sap-1")

    transmit_expecting(3)

    assert waits == []  # not waited for
    record = audit(enrollment)
    assert (record.status, record.error_code, record.remote_status) == ("failed", "rate_limited", 429)
    transmit()  # the next run sends it
    assert audit(enrollment).status == "sent" and audit(enrollment).attempts == 2
    assert len(fake_sap.events()) == 1


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_are_retried_with_backoff(staff, sap_config, fake_sap, waits, status):
    fake_sap.fail("events", status, times=2)
    enrollment = completed_enrollment(sap_config.customer, remote_id="sap-1")

    transmit()

    assert len(waits) == 2 and waits[1] > waits[0]  # exponential
    assert audit(enrollment).status == "sent"


def test_server_errors_beyond_the_retries_fail_the_record_with_sap_message(staff, sap_config, fake_sap):
    fake_sap.fail("events", 503, times=3, body='{"error": {"code": "MAINT", "message": "Down for maintenance"}}')
    enrollment = completed_enrollment(sap_config.customer, remote_id="sap-1")

    transmit_expecting(3)

    record = audit(enrollment)
    assert (record.status, record.remote_status, record.error_code) == ("failed", 503, "server_error")
    assert "Down for maintenance" in record.last_error
    rows = list(report_rows(last_run()))
    assert rows[1][1] == "Failed" and rows[1][2] == enrollment.learner.user.username
    assert rows[1][7] == "503" and "Down for maintenance" in rows[1][8] and rows[1][9] == "yes"


def test_slow_answers_time_out_and_fail_the_record(staff, sap_config, fake_sap, channel_settings):
    channel_settings.INTEGRATED_CHANNELS = {**channel_settings.INTEGRATED_CHANNELS, "READ_TIMEOUT": 0.2}
    fake_sap.delay("events", 1.0, times=3)
    enrollment = completed_enrollment(sap_config.customer, remote_id="sap-1")

    transmit_expecting(3)

    record = audit(enrollment)
    assert (record.status, record.error_code, record.remote_status) == ("failed", "timeout", None)
    assert "did not answer in time" in record.last_error


def test_a_malformed_answer_fails_the_record(staff, sap_config, fake_sap):
    fake_sap.malformed("events")
    enrollment = completed_enrollment(sap_config.customer, remote_id="sap-1")

    transmit_expecting(3)

    assert audit(enrollment).error_code == "malformed_response"
    transmit()
    assert audit(enrollment).status == "sent"


def test_a_malformed_token_answer_fails_the_run_and_lists_every_record(staff, sap_config, fake_sap):
    fake_sap.malformed("token")
    enrollments = [completed_enrollment(sap_config.customer, remote_id=f"sap-{i}") for i in range(2)]

    transmit_expecting(1)

    run = last_run()
    assert (run.status, run.not_attempted, run.sent, run.error_code) == ("failed", 2, 0, "token_request_failed")
    lines = RunError.objects.filter(run=run)
    assert lines.filter(outcome="run").count() == 1
    assert {line.enrollment_id for line in lines.filter(outcome="not_attempted")} == {e.pk for e in enrollments}
    assert not LearnerDataTransmissionAudit.objects.exists()
    transmit()  # nothing lost: the next run sends them
    assert len(fake_sap.events()) == 2


def test_wrong_client_secret_fails_the_run_with_sap_message(staff, sap_config, fake_sap):
    fake_sap.tenants["ACME"].client_secret = "another"
    completed_enrollment(sap_config.customer, remote_id="sap-1")

    error = transmit_expecting(1)

    run = last_run()
    assert run.status == "failed" and "401" in run.error_message and "Client authentication failed" in run.error_message
    assert "failed" in str(error)


def test_an_expired_token_is_replaced_once(staff, sap_config, fake_sap):
    completed_enrollment(sap_config.customer, remote_id="sap-1")
    transmit()
    fake_sap.revoke_tokens()
    CertificateFactory(user=completed_enrollment(sap_config.customer, remote_id="sap-2").learner.user)

    transmit()

    assert fake_sap.calls("token") == 2
    assert len(fake_sap.events()) == 2
    assert last_run().status == "completed"


def test_many_consecutive_transient_failures_stop_the_run(staff, sap_config, fake_sap, channel_settings):
    channel_settings.INTEGRATED_CHANNELS = {
        **channel_settings.INTEGRATED_CHANNELS,
        "MAX_RETRIES": 0,
        "MAX_CONSECUTIVE_FAILURES": 2,
    }
    fake_sap.fail("events", 500, times=100)
    for i in range(5):
        completed_enrollment(sap_config.customer, remote_id=f"sap-{i}")

    transmit_expecting(1)

    run = last_run()
    assert (run.status, run.failed, run.not_attempted, run.error_code) == ("failed", 2, 3, "too_many_failures")
    assert fake_sap.calls("events") == 2


def test_unenrolled_enrollments_are_not_sent(staff, sap_config, fake_sap):
    from enterprise.services.unenrollment import unenroll_enrollments

    course = CourseFactory()
    kept = completed_enrollment(sap_config.customer, course=course, remote_id="sap-kept")
    gone = completed_enrollment(sap_config.customer, course=course, remote_id="sap-gone")
    unenroll_enrollments(enrollment_ids=[gone.pk])

    transmit()

    assert [e["userID"] for e in fake_sap.events("ACME")] == ["sap-kept"]
    assert audit(kept).status == "sent"
    assert not LearnerDataTransmissionAudit.objects.filter(enrollment=gone).exists()
    assert last_run().selected == 1


def test_total_and_credit_hours_come_from_the_course_effort(staff, sap_config, fake_sap):
    long_course = CourseFactory(effort_hours="12.50")
    unknown = CourseFactory(effort_hours=None)
    completed_enrollment(sap_config.customer, course=long_course, remote_id="sap-long")
    completed_enrollment(sap_config.customer, course=unknown, remote_id="sap-unknown")

    transmit()

    hours = {e["userID"]: (e["totalHours"], e["creditHours"]) for e in fake_sap.events()}
    assert hours == {"sap-long": (12.5, 12.5), "sap-unknown": (0.0, 0.0)}


def test_credit_hours_can_be_none_per_configuration(staff, sap_config, fake_sap):
    sap_config.credit_hours = sap_config.CreditHours.NONE
    sap_config.save()
    completed_enrollment(sap_config.customer, course=CourseFactory(effort_hours=8), remote_id="sap-1")

    transmit()

    (event,) = fake_sap.events()
    assert (event["totalHours"], event["creditHours"]) == (8.0, 0.0)
