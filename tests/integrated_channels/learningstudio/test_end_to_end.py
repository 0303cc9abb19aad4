"""transmit_learner_data --channel LEARNINGSTUDIO end to end against the fake LearningStudio service."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from enterprise.services.linking import unlink_users
from integrated_channels.integrated_channel.models import LearnerDataTransmissionAudit, Run, RunError
from integrated_channels.learningstudio.models import LearningStudioJob
from tests.factories import CourseFactory, StaffFactory
from tests.integrated_channels.factories import completed_enrollment

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def staff():
    return StaffFactory(username="staff")


def transmit(**options) -> str:
    out = io.StringIO()
    call_command("transmit_learner_data", api_user="staff", channel=["LEARNINGSTUDIO"], stdout=out, **options)
    return out.getvalue()


def last_run() -> Run:
    return Run.objects.order_by("-id").first()


def audit(enrollment) -> LearnerDataTransmissionAudit:
    return LearnerDataTransmissionAudit.objects.get(enrollment=enrollment)


def test_a_batch_sends_every_enrollment_once_and_keeps_the_job_id(ls_config, fake_ls):
    course = CourseFactory()
    enrollments = [
        completed_enrollment(ls_config.customer, course=course, complete=i == 0) for i in range(3)
    ]  # enrollments are sent whether complete or not

    transmit()

    assert fake_ls.operations() == ["ProcessRequest"]
    sent = sorted(fake_ls.memberships())
    assert sent == sorted((course.course_id, str(e.learner.user_id), "2") for e in enrollments)
    run = last_run()
    assert (run.status, run.selected, run.sent, run.failed) == ("completed", 3, 3, 0)
    job = LearningStudioJob.objects.get()
    assert job.run == run and job.job_id == next(iter(fake_ls.jobs)) and job.memberships == 3
    assert all(audit(e).remote_response == f"queued as job {job.job_id}" for e in enrollments)
    person = audit(enrollments[0]).payload["person"]
    assert person["userid"] == enrollments[0].learner.user.username
    assert "password" not in str(audit(enrollments[0]).payload)

    transmit()

    assert fake_ls.operations() == ["ProcessRequest"]  # nothing changed: nothing sent
    assert last_run().skip_reasons == {"unchanged": 3}


def test_one_enrollment_goes_through_process_single_request(ls_config, fake_ls):
    enrollment = completed_enrollment(ls_config.customer, complete=False)

    transmit()

    assert fake_ls.operations() == ["ProcessSingleRequest"]
    row = audit(enrollment)
    assert row.status == "sent"
    assert row.remote_response == "person: Success 0 User created; membership: Success 0 Course enrollment successful"


def test_up_to_the_batch_threshold_each_record_is_a_single_request(ls_config, fake_ls):
    ls_config.batch_threshold = 3
    ls_config.save()
    course = CourseFactory()
    enrollments = [completed_enrollment(ls_config.customer, course=course) for _ in range(3)]

    transmit()

    assert fake_ls.operations() == ["ProcessSingleRequest"] * 3
    assert all(audit(e).status == "sent" and "queued" not in audit(e).remote_response for e in enrollments)
    assert not LearningStudioJob.objects.exists()

    completed_enrollment(ls_config.customer, course=CourseFactory())
    for enrollment in enrollments:
        unlink_users(customer=ls_config.customer, user_ids=[enrollment.learner.user_id])

    transmit()  # four records (three drops, one new enrollment): above the threshold, one batch

    assert fake_ls.operations()[3:] == ["ProcessRequest"]


def test_an_unlinked_learner_is_dropped_once(ls_config, fake_ls):
    course = CourseFactory()
    kept = completed_enrollment(ls_config.customer, course=course)
    gone = completed_enrollment(ls_config.customer, course=course)
    transmit()

    unlink_users(customer=ls_config.customer, user_ids={gone.learner.user_id})
    transmit()

    assert fake_ls.operations() == ["ProcessRequest", "ProcessSingleRequest"]
    assert fake_ls.memberships()[-1] == (course.course_id, str(gone.learner.user_id), "5")
    assert "Course drop successful" in audit(gone).remote_response
    assert audit(gone).grade == "dropped" and audit(gone).payload["role"] == 5
    run = last_run()
    assert (run.selected, run.sent, run.skip_reasons) == (2, 1, {"unchanged": 1})
    assert audit(kept).payload["role"] == 2

    transmit()
    assert len(fake_ls.operations()) == 2  # the drop is not sent again
    assert last_run().skip_reasons == {"unchanged": 2}


def test_refused_learners_are_reported_and_sent_again_next_run(ls_config, fake_ls):
    enrollment = completed_enrollment(ls_config.customer)
    fake_ls.refuse_person(str(enrollment.learner.user_id), code="-6", message="Invalid e-mail address")

    with pytest.raises(CommandError):
        transmit()

    run = last_run()
    assert (run.status, run.failed) == ("completed_with_errors", 1)
    line = RunError.objects.get(run=run)
    assert line.code == "learningstudio_result" and "-6 Invalid e-mail address" in line.message
    assert audit(enrollment).status == "failed"

    fake_ls.person_errors.clear()
    transmit()
    assert audit(enrollment).status == "sent" and audit(enrollment).attempts == 2  # the same payload, tried twice


def test_refused_credentials_fail_the_run_with_the_fault_string(ls_config, fake_ls):
    ls_config.sis_password = "not-the-password"
    ls_config.save()
    completed_enrollment(ls_config.customer)

    with pytest.raises(CommandError) as info:
        transmit()

    assert info.value.returncode != 0
    run = last_run()
    assert run.status == "failed" and run.error_code == "authentication_failed"
    assert "FailedAuthentication" in run.error_message and "wrong username or password" in run.error_message
    assert fake_ls.requests == []


def test_a_wsdl_that_cannot_be_loaded_fails_the_run(ls_config, fake_ls, caplog):
    ls_config.wsdl_location = "http://127.0.0.1:9/missing.wsdl"  # nothing listens on the discard port
    ls_config.save()
    completed_enrollment(ls_config.customer)

    with pytest.raises(CommandError):
        transmit()

    run = last_run()
    assert (run.status, run.error_code, run.not_attempted) == ("failed", "configuration_error", 1)
    # The customer's administrators read the run: a generic message; the detail is in the server log.
    assert run.error_message.startswith("The WSDL could not be loaded")
    assert "127.0.0.1" not in run.error_message and "missing.wsdl" not in run.error_message
    assert "missing.wsdl could not be loaded" in caplog.text


def test_selection_queries_are_bounded(ls_config, fake_ls, django_assert_max_num_queries):
    from integrated_channels.learningstudio.exporters import LearningStudioLearnerDataExporter

    course = CourseFactory()
    for _ in range(20):
        completed_enrollment(ls_config.customer, course=course)
    exporter = LearningStudioLearnerDataExporter(configuration=ls_config)
    with django_assert_max_num_queries(12):
        selection = exporter.select()
    assert len(selection.records) == 20
    assert connection.vendor in {"sqlite", "postgresql"}
