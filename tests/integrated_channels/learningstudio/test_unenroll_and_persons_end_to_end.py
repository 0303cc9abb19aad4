"""transmit_learner_data --channel LEARNINGSTUDIO against the fake: unenrolled enrollments dropped once,
persons with demographics/tel/adr/properties, course roles, bad attributes reported per learner."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from enterprise.models import EnterpriseCustomerUser
from enterprise.services.manage_learners import link_learner
from enterprise.services.unenrollment import unenroll_enrollments, unenroll_users
from integrated_channels.integrated_channel.models import LearnerDataTransmissionAudit, Run, RunError
from integrated_channels.learningstudio.models import LearningStudioJob
from tests.factories import CourseFactory, StaffFactory
from tests.integrated_channels.factories import completed_enrollment

pytestmark = pytest.mark.django_db

ATTRIBUTES = {
    "gender": "female",
    "birth_date": "1980-02-29",
    "disability": "low vision",
    "phone": "303-555-1234",
    "street_line_1": "10 Hereville Lane",
    "street_line_2": "Apt 2",
    "city": "Denver",
    "region": "CO",
    "postal_code": "80000",
    "department": "Sales",
}


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


def set_attributes(enrollment, **attributes):
    EnterpriseCustomerUser.objects.filter(pk=enrollment.learner_id).update(attributes=attributes)


def test_an_unenrolled_enrollment_is_dropped_once_and_enrolling_again_sends_the_student_role(ls_config, fake_ls):
    course = CourseFactory(modes=["audit"])
    kept = completed_enrollment(ls_config.customer, course=course)
    gone = completed_enrollment(ls_config.customer, course=course)
    transmit()  # a batch of two

    unenroll_users(customer=ls_config.customer, user_ids=[gone.learner.user_id], course_id=course.course_id)
    transmit()

    assert fake_ls.operations() == ["ProcessRequest", "ProcessSingleRequest"]
    assert fake_ls.memberships()[-1] == (course.course_id, str(gone.learner.user_id), "5")
    assert "Course drop successful" in audit(gone).remote_response
    assert (audit(gone).grade, audit(gone).payload["role"]) == ("dropped", 5)
    run = last_run()
    assert (run.selected, run.sent, run.skip_reasons) == (2, 1, {"unchanged": 1})
    assert audit(kept).payload["role"] == 2

    transmit()
    assert len(fake_ls.operations()) == 2  # the drop is sent exactly once
    assert last_run().skip_reasons == {"unchanged": 2}

    link_learner(
        customer=ls_config.customer, identifier=gone.learner.user.username, course_id=course.course_id, mode="audit"
    )
    transmit()
    assert fake_ls.memberships()[-1] == (course.course_id, str(gone.learner.user_id), "2")
    assert audit(gone).payload["role"] == 2


def test_many_unenrolled_enrollments_are_dropped_in_one_batch_job(ls_config, fake_ls):
    course = CourseFactory()
    enrollments = [completed_enrollment(ls_config.customer, course=course) for _ in range(4)]
    transmit()

    unenroll_enrollments(enrollment_ids=[e.pk for e in enrollments[:3]])
    transmit()

    assert fake_ls.operations() == ["ProcessRequest", "ProcessRequest"]
    dropped = sorted(m for m in fake_ls.requests[-1].memberships)
    assert dropped == sorted((course.course_id, str(e.learner.user_id), "5") for e in enrollments[:3])
    job = LearningStudioJob.objects.order_by("-id").first()
    assert job.run == last_run() and job.memberships == 3
    assert all(audit(e).remote_response == f"queued as job {job.job_id}" for e in enrollments[:3])

    transmit()
    assert len(fake_ls.operations()) == 2


def test_the_admin_unenroll_action_keeps_what_the_drop_needs(ls_config, fake_ls, staff_client):
    enrollment = completed_enrollment(ls_config.customer)
    transmit()
    changelist = reverse("admin:enterprise_enterprisecourseenrollment_changelist")
    staff_client.post(changelist, {"action": "unenroll", "_selected_action": [enrollment.pk]})
    delete = reverse("admin:enterprise_enterprisecourseenrollment_delete", args=[enrollment.pk])
    assert staff_client.post(delete, {"post": "yes"}).status_code == 403  # never deleted: the audit stays

    transmit()

    assert fake_ls.memberships()[-1][2] == "5"


@pytest.mark.parametrize("learners", [1, 3], ids=["single", "batch"])
def test_persons_carry_demographics_tel_adr_and_configured_properties(ls_config, fake_ls, learners):
    ls_config.person_properties = "department"
    ls_config.save()
    course = CourseFactory()
    for _ in range(learners):
        set_attributes(completed_enrollment(ls_config.customer, course=course), **ATTRIBUTES)

    transmit()

    assert fake_ls.operations() == ["ProcessSingleRequest" if learners == 1 else "ProcessRequest"]
    persons = fake_ls.persons_received()
    assert len(persons) == learners
    person = persons[0]
    assert person["demographics"] == {"gender": "female", "bday": "1980-02-29", "disability": "low vision"}
    assert person["tel"] == [("Voice", "303-555-1234")]
    assert person["adr"] == [
        ("street", "10 Hereville Lane"),
        ("street", "Apt 2"),
        ("locality", "Denver"),
        ("region", "CO"),
        ("pcode", "80000"),
    ]
    assert person["properties"] == [("department", "Sales")]
    assert last_run().status == "completed"

    transmit()
    assert len(fake_ls.operations()) == 1  # unchanged attributes: nothing sent again


def test_a_changed_attribute_sends_the_person_again(ls_config, fake_ls):
    enrollment = completed_enrollment(ls_config.customer)
    transmit()
    set_attributes(enrollment, phone="555-0100")
    transmit()
    assert fake_ls.operations() == ["ProcessSingleRequest", "ProcessSingleRequest"]
    assert fake_ls.persons_received()[-1]["tel"] == [("Voice", "555-0100")]


def test_a_bad_attribute_is_reported_for_that_learner_and_the_others_are_sent(ls_config, fake_ls):
    course = CourseFactory()
    bad = completed_enrollment(ls_config.customer, course=course)
    good = [completed_enrollment(ls_config.customer, course=course) for _ in range(2)]
    set_attributes(bad, gender="M", birth_date="10/12/1979")

    with pytest.raises(CommandError):
        transmit()

    run = last_run()
    assert (run.status, run.sent, run.failed) == ("completed_with_errors", 2, 1)
    error = RunError.objects.get(run=run)
    assert error.code == "invalid_learner_data"
    username = bad.learner.user.username
    assert error.message == (
        f"Not sent: {username}: gender: 'M' is not male or female. "
        "birth_date: '10/12/1979' is not a date in YYYY-MM-DD format."
    )
    assert sorted(p for _c, p, _r in fake_ls.memberships()) == sorted(str(e.learner.user_id) for e in good)
    assert audit(bad).status == "failed"

    set_attributes(bad, gender="male", birth_date="1979-10-12")
    transmit()
    assert audit(bad).status == "sent"
    assert fake_ls.persons_received()[-1]["demographics"] == {"gender": "male", "bday": "1979-10-12"}


def test_course_roles_come_from_the_configured_learner_attribute(ls_config, fake_ls):
    course = CourseFactory()
    professor, assistant, student = (completed_enrollment(ls_config.customer, course=course) for _ in range(3))
    set_attributes(professor, learningstudio_role="professor")
    set_attributes(assistant, learningstudio_role="Teaching Assistant")

    transmit()

    roles = {person: role for _course, person, role in fake_ls.memberships()}
    assert roles == {
        str(professor.learner.user_id): "1",
        str(assistant.learner.user_id): "9",
        str(student.learner.user_id): "2",
    }

    unenroll_enrollments(enrollment_ids=[professor.pk])
    transmit()
    assert fake_ls.memberships()[-1] == (course.course_id, str(professor.learner.user_id), "5")


def test_a_dropped_learner_whose_attributes_turned_bad_is_still_dropped(ls_config, fake_ls):
    enrollment = completed_enrollment(ls_config.customer)
    transmit()
    set_attributes(enrollment, gender="unknown")
    with pytest.raises(CommandError):
        transmit()
    assert audit(enrollment).status == "failed"

    unenroll_enrollments(enrollment_ids=[enrollment.pk])
    transmit()

    assert fake_ls.memberships()[-1][2] == "5"
    assert audit(enrollment).status == "sent" and "errors" not in audit(enrollment).payload


def test_an_enrollment_unenrolled_before_it_was_ever_sent_sends_nothing(ls_config, fake_ls):
    enrollment = completed_enrollment(ls_config.customer)
    unenroll_enrollments(enrollment_ids=[enrollment.pk])

    transmit()

    assert fake_ls.requests == []
    assert last_run().selected == 0
