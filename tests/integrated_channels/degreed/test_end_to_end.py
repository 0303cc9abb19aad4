"""transmit_learner_data / transmit_content_metadata --channel DEGREED2 against the fake Degreed."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from integrated_channels.degreed.connection_test import test_connection
from integrated_channels.integrated_channel.models import (
    ContentTransmissionAudit,
    LearnerDataTransmissionAudit,
    RemoteCourse,
    Run,
)
from integrated_channels.integrated_channel.services.error_report import report_rows
from tests.factories import CourseFactory, StaffFactory
from tests.integrated_channels.factories import SECRET, completed_enrollment

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def staff():
    return StaffFactory(username="staff")


def transmit(command="transmit_learner_data"):
    out = io.StringIO()
    call_command(command, api_user="staff", channel=["DEGREED2"], stdout=out)
    return out.getvalue()


def last_run() -> Run:
    return Run.objects.order_by("-id").first()


def test_completions_are_posted_once_by_email(degreed_config, fake_degreed):
    course = CourseFactory()
    enrollments = [completed_enrollment(degreed_config.customer, course=course) for _ in range(2)]
    emails = [e.learner.user.email for e in enrollments]
    fake_degreed.organisation.users.update(email.lower() for email in emails)

    transmit()

    completions = fake_degreed.organisation.completions
    assert sorted(c["user-id"] for c in completions) == sorted(email.lower() for email in emails)
    assert {c["content-id"] for c in completions} == {course.course_id}
    assert {c["content-id-type"] for c in completions} == {"ExternalId"}
    assert fake_degreed.calls("token") == 1
    assert fake_degreed.calls("completion") == 2  # one call per completion: the API takes no arrays
    run = last_run()
    assert (run.status, run.sent, run.failed, run.remote_calls) == ("completed", 2, 0, 3)

    transmit()
    assert fake_degreed.calls("completion") == 2  # unchanged: nothing sent again
    assert last_run().skip_reasons == {"unchanged": 2}


def test_a_learner_degreed_does_not_know_fails_alone_and_is_reported(degreed_config, fake_degreed):
    known = completed_enrollment(degreed_config.customer)
    unknown = completed_enrollment(degreed_config.customer)
    fake_degreed.organisation.users.add(known.learner.user.email.lower())

    with pytest.raises(CommandError):
        transmit()

    run = last_run()
    assert (run.status, run.sent, run.failed) == ("completed_with_errors", 1, 1)
    assert LearnerDataTransmissionAudit.objects.get(enrollment=unknown).status == "failed"
    assert LearnerDataTransmissionAudit.objects.get(enrollment=known).status == "sent"
    rows = list(report_rows(run))
    assert any("User not found" in " ".join(map(str, row)) for row in rows)


def test_learners_without_consent_are_not_sent(degreed_config, fake_degreed):
    enrollment = completed_enrollment(degreed_config.customer, consent=False)
    fake_degreed.organisation.users.add(enrollment.learner.user.email.lower())

    transmit()

    assert fake_degreed.calls("completion") == 0
    assert last_run().skip_reasons == {"no_consent": 1}


def test_a_completion_degreed_already_holds_is_accepted(degreed_config, fake_degreed):
    enrollment = completed_enrollment(degreed_config.customer)
    email = enrollment.learner.user.email.lower()
    fake_degreed.organisation.users.add(email)
    fake_degreed.organisation.completions.append({"user-id": email, "content-id": enrollment.course_id})

    transmit()

    assert LearnerDataTransmissionAudit.objects.get(enrollment=enrollment).status == "sent"
    assert LearnerDataTransmissionAudit.objects.get(enrollment=enrollment).remote_status == 409


def test_refused_credentials_stop_the_run_and_leave_nothing_sent(degreed_config, fake_degreed):
    fake_degreed.setup("acme", "another-secret")
    enrollment = completed_enrollment(degreed_config.customer)

    with pytest.raises(CommandError):
        transmit()

    run = last_run()
    assert run.status == "failed"
    assert "invalid_client" in run.error_message or "401" in run.error_message
    assert SECRET not in run.error_message
    assert not LearnerDataTransmissionAudit.objects.filter(enrollment=enrollment, status="sent").exists()


def test_a_429_is_retried_after_retry_after(degreed_config, fake_degreed, waits):
    enrollment = completed_enrollment(degreed_config.customer)
    fake_degreed.organisation.users.add(enrollment.learner.user.email.lower())
    fake_degreed.fail("completion", 429, headers={"Retry-After": "7"})

    transmit()

    assert 7.0 in waits
    assert LearnerDataTransmissionAudit.objects.get(enrollment=enrollment).status == "sent"


def test_a_revoked_token_is_replaced_once(degreed_config, fake_degreed):
    first, second = completed_enrollment(degreed_config.customer), completed_enrollment(degreed_config.customer)
    fake_degreed.organisation.users.update({first.learner.user.email.lower(), second.learner.user.email.lower()})
    transmit()
    fake_degreed.revoke_tokens()
    CourseFactory(course_id=first.course_id, title="Renamed")  # nothing learner-facing changes
    third = completed_enrollment(degreed_config.customer)
    fake_degreed.organisation.users.add(third.learner.user.email.lower())

    transmit()

    assert fake_degreed.calls("token") == 2
    assert LearnerDataTransmissionAudit.objects.get(enrollment=third).status == "sent"


def test_skills_are_not_sent_unless_turned_on(degreed_config, fake_degreed):
    """The skills relationship is not in Degreed's public reference: off by default (decision 0424)."""
    assert degreed_config.send_skills is False
    completed_enrollment(degreed_config.customer, course=CourseFactory(title="Python", skills=["Python"]))

    transmit("transmit_content_metadata")

    assert (fake_degreed.calls("create"), fake_degreed.calls("skills")) == (1, 0)
    assert fake_degreed.organisation.skills == {}


def test_courses_are_created_updated_with_skills_and_deleted(degreed_config, fake_degreed):
    degreed_config.send_skills = True
    degreed_config.save()
    course = CourseFactory(title="Python", skills=["Python", ("SQL", "Beginner")])
    completed_enrollment(degreed_config.customer, course=course)

    transmit("transmit_content_metadata")

    org = fake_degreed.organisation
    [(remote_id, attributes)] = org.courses.items()
    assert attributes["external-id"] == course.course_id and attributes["title"] == "Python"
    assert attributes["url"].endswith(f"/courses/{course.course_id}/about")
    assert org.skills[remote_id] == ["Python", "SQL"]
    assert RemoteCourse.objects.get(course_id=course.course_id).remote_id == remote_id
    assert (fake_degreed.calls("create"), fake_degreed.calls("skills")) == (1, 1)

    transmit("transmit_content_metadata")
    assert fake_degreed.calls("create") + fake_degreed.calls("update") == 1  # unchanged: no call

    course.title = "Python 2"
    course.save()
    transmit("transmit_content_metadata")
    assert org.courses[remote_id]["title"] == "Python 2"
    assert fake_degreed.calls("update") == 1 and fake_degreed.calls("search") == 0  # the stored id is used

    course.delete()
    transmit("transmit_content_metadata")
    assert org.courses == {}
    assert not RemoteCourse.objects.filter(course_id=course.course_id).exists()
    audit = ContentTransmissionAudit.objects.get(course_id=course.course_id)
    assert (audit.status, audit.content_status) == ("sent", "inactive")


def test_a_course_degreed_already_has_is_found_and_updated(degreed_config, fake_degreed):
    course = CourseFactory(title="Existing")
    completed_enrollment(degreed_config.customer, course=course)
    fake_degreed.organisation.courses["dgc-old"] = {"external-id": course.course_id, "title": "Old", "url": "http://x"}

    transmit("transmit_content_metadata")

    assert fake_degreed.organisation.courses["dgc-old"]["title"] == "Existing"
    assert RemoteCourse.objects.get(course_id=course.course_id).remote_id == "dgc-old"
    assert (fake_degreed.calls("create"), fake_degreed.calls("search"), fake_degreed.calls("update")) == (1, 1, 1)


def test_a_course_degreed_refuses_is_reported_per_record(degreed_config, fake_degreed):
    good, bad = CourseFactory(title="Good"), CourseFactory(title="Forbidden")
    completed_enrollment(degreed_config.customer, course=good)
    completed_enrollment(degreed_config.customer, course=bad)
    fake_degreed.organisation.refused_titles.add("Forbidden")

    with pytest.raises(CommandError):
        transmit("transmit_content_metadata")

    run = last_run()
    assert (run.sent, run.failed) == (1, 1)
    failed = ContentTransmissionAudit.objects.get(course_id=bad.course_id)
    assert failed.status == "failed" and "not allowed" in failed.last_error
    assert not RemoteCourse.objects.filter(course_id=bad.course_id).exists()


def test_connection_test_reports_token_and_catalog(degreed_config, fake_degreed):
    assert test_connection(degreed_config).ok
    fake_degreed.setup("acme", "changed")
    result = test_connection(degreed_config)
    assert not result.ok and SECRET not in result.message
