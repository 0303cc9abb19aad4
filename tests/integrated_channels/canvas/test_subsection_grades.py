"""transmit_subsection_learner_data --channel CANVAS: a grade per graded subsection, each a course assignment."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from consent.models import DataSharingConsent
from enterprise.lms.local.models import SubsectionGrade
from integrated_channels.canvas.exporters import CanvasSubsectionGradeExporter
from integrated_channels.integrated_channel.models import Run, SubsectionGradeTransmissionAudit
from integrated_channels.integrated_channel.registry import SUBSECTION_GRADES, registry
from tests.factories import CourseFactory, StaffFactory, SubsectionGradeFactory
from tests.integrated_channels.canvas.conftest import CanvasConfigurationFactory
from tests.integrated_channels.factories import completed_enrollment

pytestmark = pytest.mark.django_db

QUIZ = "block-v1:Acme+CS101+2027+type@sequential+block@quiz1"
EXAM = "block-v1:Acme+CS101+2027+type@sequential+block@final"


@pytest.fixture(autouse=True)
def staff():
    return StaffFactory(username="staff")


def transmit():
    call_command("transmit_subsection_learner_data", api_user="staff", channel=["CANVAS"], stdout=io.StringIO())


def last_run() -> Run:
    return Run.objects.order_by("-id").first()


GRADES = ((QUIZ, "Quiz 1", "0.875"), (EXAM, "Final", "1"))


def graded_learner(config, fake_canvas, course, canvas_course, grades=GRADES):
    enrollment = completed_enrollment(config.customer, course=course, complete=False)
    user = enrollment.learner.user
    for position, (subsection_id, title, percent) in enumerate(grades):
        SubsectionGradeFactory(
            user=user, course=course, subsection_id=subsection_id, title=title, position=position, percent=percent
        )
    canvas_user = fake_canvas.add_user(user.email)
    fake_canvas.enroll(canvas_course, canvas_user)
    return enrollment, canvas_user


def assignments_by_integration(fake_canvas, canvas_course):
    return {a["integration_id"]: a for a in fake_canvas.account.assignments[canvas_course]}


def test_the_operation_is_declared_for_canvas():
    channel = registry.get("CANVAS")
    assert channel.exports_subsection_grades
    assert channel.get_operation(SUBSECTION_GRADES).runner.endswith("send_subsection_grades")


def test_each_subsection_is_an_assignment_created_once_and_each_grade_posted(canvas_config, fake_canvas):
    course = CourseFactory()
    canvas_course = fake_canvas.add_course(course.course_id, integration_id=course.course_id)
    learners = [graded_learner(canvas_config, fake_canvas, course, canvas_course) for _ in range(2)]

    transmit()

    assignments = assignments_by_integration(fake_canvas, canvas_course)
    assert set(assignments) == {QUIZ, EXAM}
    assert assignments[QUIZ]["name"] == "Quiz 1" and assignments[EXAM]["name"] == "Final"
    assert assignments[QUIZ]["points_possible"] == 100 and assignments[QUIZ]["grading_type"] == "percent"
    for _enrollment, user in learners:
        assert fake_canvas.account.grades[(canvas_course, assignments[QUIZ]["id"], user)] == "87.5%"
        assert fake_canvas.account.grades[(canvas_course, assignments[EXAM]["id"], user)] == "100%"
    assert fake_canvas.calls("create_assignment") == 2  # once per subsection, not per learner
    assert fake_canvas.calls("assignments") == 1  # the course's assignments listed once for the run
    # the two learners' grades of each subsection: one bulk job per assignment (decision 0425)
    assert (fake_canvas.calls("update_grades"), fake_canvas.calls("grade")) == (2, 0)
    run = last_run()
    assert (run.kind, run.status, run.selected, run.sent) == (SUBSECTION_GRADES, "completed", 4, 4)
    audits = SubsectionGradeTransmissionAudit.objects.filter(configuration=canvas_config)
    assert sorted(audits.values_list("subsection_id", "status", "grade")) == sorted(
        [(QUIZ, "sent", "87.5%"), (EXAM, "sent", "100%")] * 2
    )


def test_only_changed_grades_are_sent_again(canvas_config, fake_canvas):
    course = CourseFactory()
    canvas_course = fake_canvas.add_course(course.course_id, integration_id=course.course_id)
    _enrollment, user = graded_learner(canvas_config, fake_canvas, course, canvas_course)
    transmit()
    assert fake_canvas.calls("grade") == 2

    transmit()  # nothing changed
    assert fake_canvas.calls("grade") == 2
    assert last_run().skip_reasons == {"unchanged": 2}

    SubsectionGrade.objects.filter(subsection_id=QUIZ).update(percent=Decimal("0.5"))
    transmit()
    assert fake_canvas.calls("grade") == 3
    quiz = assignments_by_integration(fake_canvas, canvas_course)[QUIZ]
    assert fake_canvas.account.grades[(canvas_course, quiz["id"], user)] == "50%"
    assert (last_run().sent, last_run().skip_reasons) == (1, {"unchanged": 1})


def test_without_consent_nothing_is_sent(canvas_config, fake_canvas):
    course = CourseFactory()
    canvas_course = fake_canvas.add_course(course.course_id, integration_id=course.course_id)
    enrollment, _user = graded_learner(canvas_config, fake_canvas, course, canvas_course)
    DataSharingConsent.objects.filter(user=enrollment.learner.user).update(granted=False)

    transmit()

    assert fake_canvas.calls("grade") == 0 and fake_canvas.calls("token") == 0
    assert last_run().skip_reasons == {"no_consent": 1}
    assert not SubsectionGradeTransmissionAudit.objects.exists()


def test_a_grade_canvas_refuses_is_not_marked_sent_and_is_retried(canvas_config, fake_canvas):
    course = CourseFactory()
    canvas_course = fake_canvas.add_course(course.course_id, integration_id=course.course_id)
    graded_learner(canvas_config, fake_canvas, course, canvas_course)
    fake_canvas.fail("grade", 400, body={"errors": [{"message": "posted_grade is not a grade"}]}, times=1)

    with pytest.raises(CommandError):
        transmit()

    statuses = dict(SubsectionGradeTransmissionAudit.objects.values_list("subsection_id", "status"))
    assert statuses == {QUIZ: "failed", EXAM: "sent"}
    run = last_run()
    assert (run.status, run.failed, run.sent) == ("completed_with_errors", 1, 1)
    error = run.errors.get()
    assert "posted_grade is not a grade" in error.message and error.course_id == course.course_id

    transmit()  # the failed grade only
    assert fake_canvas.calls("grade") == 3
    assert set(SubsectionGradeTransmissionAudit.objects.values_list("status", flat=True)) == {"sent"}


def test_a_learner_without_subsection_grades_is_skipped(canvas_config, fake_canvas):
    course = CourseFactory()
    fake_canvas.add_course(course.course_id, integration_id=course.course_id)
    completed_enrollment(canvas_config.customer, course=course)

    transmit()

    assert last_run().skip_reasons == {"no_subsection_grades": 1}
    assert fake_canvas.calls("grade") == 0


def test_selection_costs_the_same_for_2_or_30_enrollments(fake_canvas):
    def build(count):
        config = CanvasConfigurationFactory(base_url=fake_canvas.base_url, customer__enable_data_sharing_consent=True)
        course = CourseFactory()
        for _ in range(count):
            enrollment = completed_enrollment(config.customer, course=course, complete=False)
            for position, subsection in enumerate((QUIZ, EXAM)):
                SubsectionGradeFactory(
                    user=enrollment.learner.user, course=course, subsection_id=subsection, position=position
                )
        return config

    small, large = build(2), build(30)

    def count(config):
        with CaptureQueriesContext(connection) as context:
            selection = CanvasSubsectionGradeExporter(configuration=config).select()
        return len(context.captured_queries), len(selection.records)

    assert count(small) == (4, 4)
    # enrollments, consents, the audit, the subsection grades: four queries, whatever the size
    assert count(large) == (4, 60)


def test_the_audit_is_listed_read_only_in_the_admin(canvas_config, fake_canvas, admin_client):
    course = CourseFactory()
    canvas_course = fake_canvas.add_course(course.course_id, integration_id=course.course_id)
    graded_learner(canvas_config, fake_canvas, course, canvas_course)
    transmit()
    audit = SubsectionGradeTransmissionAudit.objects.get(subsection_id=QUIZ)

    listing = admin_client.get(reverse("admin:integrated_channel_subsectiongradetransmissionaudit_changelist"))
    detail = admin_client.get(
        reverse("admin:integrated_channel_subsectiongradetransmissionaudit_change", args=[audit.pk])
    )

    assert listing.status_code == 200 and QUIZ in listing.content.decode()
    assert detail.status_code == 200 and "87.5%" in detail.content.decode()
    assert b'name="_save"' not in detail.content


def test_only_canvas_and_blackboard_report_assessment_grades():
    assert {c.code for c in registry.all() if c.exports_subsection_grades} == {"BLACKBOARD", "CANVAS"}


def test_a_dry_run_selects_and_sends_nothing(canvas_config, fake_canvas):
    course = CourseFactory()
    canvas_course = fake_canvas.add_course(course.course_id, integration_id=course.course_id)
    graded_learner(canvas_config, fake_canvas, course, canvas_course)

    call_command(
        "transmit_subsection_learner_data", api_user="staff", channel=["CANVAS"], dry_run=True, stdout=io.StringIO()
    )

    assert last_run().skip_reasons == {"dry_run": 2}
    assert fake_canvas.calls("grade") == 0 and not SubsectionGradeTransmissionAudit.objects.exists()
