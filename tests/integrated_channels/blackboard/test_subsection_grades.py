"""transmit_subsection_learner_data --channel BLACKBOARD: a gradebook column per graded subsection."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from consent.models import DataSharingConsent
from enterprise.lms.local.models import SubsectionGrade
from integrated_channels.blackboard.exporters import subsection_column_id
from integrated_channels.integrated_channel.models import Run, SubsectionGradeTransmissionAudit
from integrated_channels.integrated_channel.registry import SUBSECTION_GRADES
from tests.factories import CourseFactory, StaffFactory, SubsectionGradeFactory
from tests.integrated_channels.factories import completed_enrollment

pytestmark = pytest.mark.django_db

QUIZ = "block-v1:Acme+CS101+2027+type@sequential+block@quiz1"
EXAM = "block-v1:Acme+CS101+2027+type@sequential+block@final"


@pytest.fixture(autouse=True)
def staff():
    return StaffFactory(username="staff")


def transmit():
    call_command("transmit_subsection_learner_data", api_user="staff", channel=["BLACKBOARD"], stdout=io.StringIO())


def last_run() -> Run:
    return Run.objects.order_by("-id").first()


def graded_learner(config, fake_blackboard, course, learn_course):
    enrollment = completed_enrollment(config.customer, course=course, complete=False)
    user = enrollment.learner.user
    SubsectionGradeFactory(user=user, course=course, subsection_id=QUIZ, title="Quiz 1", position=1, percent="0.875")
    SubsectionGradeFactory(user=user, course=course, subsection_id=EXAM, title="Final", position=2, percent="1")
    return enrollment, fake_blackboard.add_member(learn_course, user.email)


def columns(fake_blackboard, learn_course):
    return {c["externalId"]: c for c in fake_blackboard.server_state.columns[learn_course]}


def test_each_subsection_is_a_column_created_once_and_each_score_written(blackboard_config, fake_blackboard):
    course = CourseFactory()
    learn_course = fake_blackboard.add_course(course.course_id)
    users = [graded_learner(blackboard_config, fake_blackboard, course, learn_course)[1] for _ in range(2)]

    transmit()

    found = columns(fake_blackboard, learn_course)
    quiz, exam = found[subsection_column_id(QUIZ)], found[subsection_column_id(EXAM)]
    assert set(found) == {subsection_column_id(QUIZ), subsection_column_id(EXAM)}  # no final-grade column
    assert (quiz["name"], quiz["score"], exam["name"]) == ("Quiz 1", {"possible": 100}, "Final")
    grades = fake_blackboard.server_state.grades
    assert {grades[(learn_course, quiz["id"], u)] for u in users} == {87.5}
    assert {grades[(learn_course, exam["id"], u)] for u in users} == {100.0}
    assert fake_blackboard.calls("create_column") == 2 and fake_blackboard.calls("columns") == 1
    assert fake_blackboard.calls("grade") == 4
    run = last_run()
    assert (run.kind, run.status, run.sent) == (SUBSECTION_GRADES, "completed", 4)
    assert set(SubsectionGradeTransmissionAudit.objects.values_list("status", "grade")) == {
        ("sent", "87.5"),
        ("sent", "100"),
    }


def test_columns_made_by_an_earlier_run_are_reused_and_only_changes_sent(blackboard_config, fake_blackboard):
    course = CourseFactory()
    learn_course = fake_blackboard.add_course(course.course_id)
    _enrollment, user = graded_learner(blackboard_config, fake_blackboard, course, learn_course)
    transmit()
    SubsectionGrade.objects.filter(subsection_id=EXAM).update(percent=Decimal("0.6"))

    transmit()

    assert fake_blackboard.calls("create_column") == 2  # the second run found them in the listing
    assert fake_blackboard.calls("grade") == 3
    exam = columns(fake_blackboard, learn_course)[subsection_column_id(EXAM)]
    assert fake_blackboard.server_state.grades[(learn_course, exam["id"], user)] == 60.0
    assert (last_run().sent, last_run().skip_reasons) == (1, {"unchanged": 1})


def test_without_consent_nothing_is_sent(blackboard_config, fake_blackboard):
    course = CourseFactory()
    learn_course = fake_blackboard.add_course(course.course_id)
    enrollment, _user = graded_learner(blackboard_config, fake_blackboard, course, learn_course)
    DataSharingConsent.objects.filter(user=enrollment.learner.user).update(granted=False)

    transmit()

    assert fake_blackboard.calls("grade") == 0
    assert last_run().skip_reasons == {"no_consent": 1}


def test_a_learner_not_in_the_learn_course_fails_and_nothing_is_marked_sent(blackboard_config, fake_blackboard):
    course = CourseFactory()
    fake_blackboard.add_course(course.course_id)
    enrollment = completed_enrollment(blackboard_config.customer, course=course, complete=False)
    SubsectionGradeFactory(user=enrollment.learner.user, course=course, subsection_id=QUIZ)

    with pytest.raises(CommandError):
        transmit()

    audit = SubsectionGradeTransmissionAudit.objects.get()
    assert (audit.status, audit.sent_at) == ("failed", None)
    assert "No member of the Blackboard course" in audit.last_error
    assert last_run().status == "completed_with_errors"
