"""Issue 22 item 4: the role comes from the enrollment, with the learner's role attribute as the default — a
learner who teaches one course and studies another is sent with both roles."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from enterprise.models import EnterpriseCourseEnrollment
from tests.factories import CourseFactory, LearnerFactory, StaffFactory
from tests.integrated_channels.factories import completed_enrollment

pytestmark = pytest.mark.django_db


def test_a_learner_teaches_one_course_and_studies_another(ls_config, fake_ls):
    StaffFactory(username="staff")
    ls_config.batch_threshold = 5
    ls_config.save()
    taught, studied, assisted = CourseFactory(), CourseFactory(), CourseFactory()
    learner = LearnerFactory(customer=ls_config.customer, attributes={"learningstudio_role": "teaching_assistant"})
    for course, role in ((taught, "professor"), (studied, "student"), (assisted, "")):
        enrollment = completed_enrollment(ls_config.customer, course=course, learner=learner)
        EnterpriseCourseEnrollment.objects.filter(pk=enrollment.pk).update(role=role)

    call_command("transmit_learner_data", api_user="staff", channel=["LEARNINGSTUDIO"], stdout=io.StringIO())

    person = str(learner.user_id)
    assert sorted(fake_ls.memberships()) == sorted(
        [(taught.course_id, person, "1"), (studied.course_id, person, "2"), (assisted.course_id, person, "9")]
    )


def test_the_role_is_editable_with_the_learners_enrollments(staff_client):
    from django.urls import reverse

    enrollment = completed_enrollment(LearnerFactory().customer)
    page = staff_client.get(reverse("admin:enterprise_enterprisecustomeruser_change", args=[enrollment.learner_id]))

    assert 'name="enrollments-0-role"' in page.content.decode()
