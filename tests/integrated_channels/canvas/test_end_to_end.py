"""transmit_* --channel CANVAS against the fake Canvas: courses, grades, pagination, throttling, re-authorization."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from integrated_channels.canvas.connection_test import test_connection
from integrated_channels.integrated_channel.models import (
    ContentTransmissionAudit,
    LearnerDataTransmissionAudit,
    RemoteCourse,
    Run,
)
from tests.factories import CourseFactory, StaffFactory
from tests.fakes.canvas import RATE_LIMITED
from tests.integrated_channels.factories import SECRET, completed_enrollment

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def staff():
    return StaffFactory(username="staff")


def transmit(command="transmit_learner_data"):
    call_command(command, api_user="staff", channel=["CANVAS"], stdout=io.StringIO())


def last_run() -> Run:
    return Run.objects.order_by("-id").first()


def audit(enrollment) -> LearnerDataTransmissionAudit:
    return LearnerDataTransmissionAudit.objects.get(enrollment=enrollment)


def canvas_learner(fake_canvas, enrollment, canvas_course) -> int:
    user = fake_canvas.add_user(enrollment.learner.user.email)
    fake_canvas.enroll(canvas_course, user)
    return user


def test_grades_go_to_an_assignment_created_once(canvas_config, fake_canvas):
    course = CourseFactory()
    canvas_course = fake_canvas.add_course(course.course_id, integration_id=course.course_id)
    enrollments = [completed_enrollment(canvas_config.customer, course=course) for _ in range(2)]
    users = [canvas_learner(fake_canvas, e, canvas_course) for e in enrollments]

    transmit()

    [assignment] = fake_canvas.account.assignments[canvas_course]
    assert assignment["integration_id"] == course.course_id and assignment["points_possible"] == 100
    assert {fake_canvas.account.grades[(canvas_course, assignment["id"], u)] for u in users} == {"91%"}
    assert fake_canvas.calls("create_assignment") == 1
    # the two grades of one assignment: one bulk update job, one poll of its progress (decision 0425)
    assert (fake_canvas.calls("update_grades"), fake_canvas.calls("progress"), fake_canvas.calls("grade")) == (1, 1, 0)
    assert fake_canvas.calls("course_users") == 1  # the course's students, once for the run
    assert fake_canvas.calls("token") == 1
    assert all(audit(e).status == "sent" and audit(e).grade == "91%" for e in enrollments)


def test_course_students_are_read_following_link_header_pages(canvas_config, fake_canvas):
    course = CourseFactory()
    canvas_course = fake_canvas.add_course(course.course_id, integration_id=course.course_id)
    enrollment = completed_enrollment(canvas_config.customer, course=course)
    for index in range(150):  # 150 students listed before the learner: the match is on page 2
        fake_canvas.enroll(canvas_course, fake_canvas.add_user(f"a{index:03}@example.com"))
    user = canvas_learner(fake_canvas, enrollment, canvas_course)

    transmit()

    assert audit(enrollment).status == "sent"
    assert fake_canvas.calls("course_users") == 2
    assert any(key[2] == user for key in fake_canvas.account.grades)


def test_learners_canvas_cannot_grade_fail_alone(canvas_config, fake_canvas):
    course = CourseFactory()
    canvas_course = fake_canvas.add_course(course.course_id, integration_id=course.course_id)
    graded = completed_enrollment(canvas_config.customer, course=course)
    canvas_learner(fake_canvas, graded, canvas_course)
    not_enrolled = completed_enrollment(canvas_config.customer, course=course)
    fake_canvas.add_user(not_enrolled.learner.user.email)
    stranger = completed_enrollment(canvas_config.customer, course=course)

    with pytest.raises(CommandError):
        transmit()

    assert (audit(graded).status, audit(not_enrolled).status, audit(stranger).status) == ("sent", "failed", "failed")
    assert "No student of the Canvas course" in audit(not_enrolled).last_error
    assert "No student of the Canvas course" in audit(stranger).last_error


def test_403_rate_limit_exceeded_is_waited_for_not_taken_for_refused_credentials(canvas_config, fake_canvas, waits):
    course = CourseFactory()
    canvas_course = fake_canvas.add_course(course.course_id, integration_id=course.course_id)
    enrollment = completed_enrollment(canvas_config.customer, course=course)
    canvas_learner(fake_canvas, enrollment, canvas_course)
    fake_canvas.fail("grade", 403, raw=RATE_LIMITED, times=2)

    transmit()

    assert audit(enrollment).status == "sent"
    assert waits.count(5.0) == 2
    assert last_run().status == "completed"


def test_an_expired_refresh_token_fails_the_run_asking_to_authorize_again(canvas_config, fake_canvas):
    fake_canvas.revoke_refresh_tokens()
    enrollment = completed_enrollment(canvas_config.customer)

    with pytest.raises(CommandError):
        transmit()

    run = last_run()
    assert run.status == "failed"
    assert "authorize the connection again" in run.error_message
    assert canvas_config.refresh_token not in run.error_message
    assert not LearnerDataTransmissionAudit.objects.filter(enrollment=enrollment, status="sent").exists()


def test_a_connection_never_authorized_says_so(canvas_config, fake_canvas):
    canvas_config.refresh_token = ""
    canvas_config.save()
    completed_enrollment(canvas_config.customer)

    with pytest.raises(CommandError):
        transmit()

    assert "not authorized yet" in last_run().error_message
    assert fake_canvas.calls("token") == 0


def test_changing_the_developer_key_forgets_the_refresh_token(canvas_config):
    canvas_config.name = "renamed"
    canvas_config.save()
    assert canvas_config.authorized
    canvas_config.client_id = "20000000000002"
    canvas_config.save()
    canvas_config.refresh_from_db()
    assert not canvas_config.authorized


def test_courses_created_with_a_link_updated_and_concluded(canvas_config, fake_canvas):
    course = CourseFactory(title="Data <Science>", description="Learn & grow")
    completed_enrollment(canvas_config.customer, course=course)

    transmit("transmit_content_metadata")

    [created] = fake_canvas.account.courses.values()
    assert created["integration_id"] == course.course_id and created["course_code"] == course.course_id
    assert created["name"] == "Data <Science>" and created["workflow_state"] == "available"
    assert f"/courses/{course.course_id}/about" in created["syllabus_body"]
    assert "Learn &amp; grow" in created["syllabus_body"]
    assert RemoteCourse.objects.get(course_id=course.course_id).remote_id == str(created["id"])

    course.title = "Data Science"
    course.save()
    transmit("transmit_content_metadata")
    assert created["name"] == "Data Science"
    # one search, before the creation (a course made earlier in the account is taken over); then the kept id
    assert fake_canvas.calls("courses") == 1

    course.delete()
    transmit("transmit_content_metadata")
    assert created["workflow_state"] == "completed"  # concluded: its grades stay
    audit_row = ContentTransmissionAudit.objects.get(course_id=course.course_id)
    assert (audit_row.status, audit_row.content_status) == ("sent", "inactive")


def test_a_course_canvas_refuses_is_reported_per_record(canvas_config, fake_canvas):
    good, taken = CourseFactory(), CourseFactory()
    completed_enrollment(canvas_config.customer, course=good)
    completed_enrollment(canvas_config.customer, course=taken)
    fake_canvas.add_course("other-code", integration_id=taken.course_id)

    with pytest.raises(CommandError):
        transmit("transmit_content_metadata")

    assert ContentTransmissionAudit.objects.get(course_id=good.course_id).status == "sent"
    refused = ContentTransmissionAudit.objects.get(course_id=taken.course_id)
    assert refused.status == "failed" and "integration_id is already in use" in refused.last_error


def test_connection_test(canvas_config, fake_canvas):
    result = test_connection(canvas_config)
    assert result.ok and "Acme University" in result.message
    fake_canvas.revoke_refresh_tokens()
    result = test_connection(canvas_config)
    assert not result.ok and "authorize the connection again" in result.message
    assert SECRET not in result.message


def _course_of(canvas_config, fake_canvas, learners: int):
    course = CourseFactory()
    canvas_course = fake_canvas.add_course(course.course_id, integration_id=course.course_id)
    enrollments = [completed_enrollment(canvas_config.customer, course=course) for _ in range(learners)]
    return canvas_course, enrollments, [canvas_learner(fake_canvas, e, canvas_course) for e in enrollments]


def test_grades_of_a_batch_go_in_one_job_per_assignment(canvas_config, fake_canvas):
    _first, first_enrollments, _users = _course_of(canvas_config, fake_canvas, 3)
    _second, second_enrollments, _users = _course_of(canvas_config, fake_canvas, 2)

    transmit()

    assert len(fake_canvas.account.grades) == 5
    assert (fake_canvas.calls("update_grades"), fake_canvas.calls("progress"), fake_canvas.calls("grade")) == (2, 2, 0)
    assert all(audit(e).status == "sent" for e in first_enrollments + second_enrollments)
    run = Run.objects.order_by("-id").first()
    # token, per course: its search (none known here), students, assignments, assignment created; 2 jobs, 2 polls
    assert run.remote_calls == 1 + 2 * 4 + 2 + 2


def test_a_failed_job_is_redone_one_grade_at_a_time(canvas_config, fake_canvas):
    _canvas_course, enrollments, _users = _course_of(canvas_config, fake_canvas, 3)
    fake_canvas.failing_jobs = 1  # Canvas says the job failed, not which grade

    transmit()

    assert fake_canvas.calls("update_grades") == 1 and fake_canvas.calls("grade") == 3
    assert all(audit(e).status == "sent" for e in enrollments)


def test_nothing_is_marked_sent_before_the_job_completes(canvas_config, fake_canvas, monkeypatch):
    from integrated_channels.canvas import client as canvas_client

    monkeypatch.setattr(canvas_client, "PROGRESS_WAITS", (0.01, 0.01))
    _course, enrollments, _users = _course_of(canvas_config, fake_canvas, 2)
    fake_canvas.polls_to_finish = 10  # still running after the client's last poll

    with pytest.raises(CommandError):
        transmit()

    assert all(audit(e).status == "failed" and "had not finished" in audit(e).last_error for e in enrollments)
    assert not fake_canvas.account.grades and fake_canvas.calls("progress") == 3
    fake_canvas.polls_to_finish = 1
    transmit()
    assert all(audit(e).status == "sent" for e in enrollments) and len(fake_canvas.account.grades) == 2


def test_a_list_longer_than_the_page_guard_fails_instead_of_being_cut(canvas_config, fake_canvas, monkeypatch):
    """Students past the last page read were reported "not a student" when the listing stopped at 50
    pages (5,000 students): now the guard is 200,000 and reaching it fails the course's records."""
    from integrated_channels.canvas import client as canvas_client

    monkeypatch.setattr(canvas_client, "MAX_PAGES", 1)
    course = CourseFactory()
    canvas_course = fake_canvas.add_course(course.course_id, integration_id=course.course_id)
    enrollment = completed_enrollment(canvas_config.customer, course=course)
    for index in range(150):
        fake_canvas.enroll(canvas_course, fake_canvas.add_user(f"a{index:03}@example.com"))
    canvas_learner(fake_canvas, enrollment, canvas_course)

    with pytest.raises(CommandError):
        transmit()

    assert audit(enrollment).status == "failed" and "past 1 pages" in audit(enrollment).last_error
