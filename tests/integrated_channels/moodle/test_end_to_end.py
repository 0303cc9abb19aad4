"""transmit_learner_data / transmit_content_metadata --channel MOODLE against the fake Moodle site."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from integrated_channels.integrated_channel.models import (
    ContentTransmissionAudit,
    LearnerDataTransmissionAudit,
    RemoteCourse,
    Run,
)
from integrated_channels.moodle.connection_test import test_connection
from tests.factories import CourseFactory, GradeFactory, StaffFactory
from tests.integrated_channels.factories import completed_enrollment

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def staff():
    return StaffFactory(username="staff")


def transmit(command="transmit_learner_data"):
    call_command(command, api_user="staff", channel=["MOODLE"], stdout=io.StringIO())


def last_run() -> Run:
    return Run.objects.order_by("-id").first()


def status(enrollment) -> str:
    return LearnerDataTransmissionAudit.objects.get(enrollment=enrollment).status


def test_grades_of_one_course_go_in_one_call(moodle_config, fake_moodle):
    course = CourseFactory()
    moodle_course = fake_moodle.add_course(course.course_id)
    enrollments = [completed_enrollment(moodle_config.customer, course=course) for _ in range(3)]
    users = {fake_moodle.add_user(e.learner.user.email): e for e in enrollments}

    transmit()

    module = fake_moodle.site.modules[moodle_course][0]["id"]
    assert {key[2] for key in fake_moodle.site.grades} == set(users)
    assert set(fake_moodle.site.grades.values()) == {91.0}  # the certificate's grade 0.91, out of 100
    assert all(key[:2] == (moodle_course, module) for key in fake_moodle.site.grades)
    assert fake_moodle.calls_of("core_grades_update_grades") == 1
    assert fake_moodle.calls("token") == 1
    run = last_run()
    assert (run.status, run.sent) == ("completed", 3)
    # token, course search, contents, users, grades: 5 calls for 3 completions
    assert run.remote_calls == 5
    assert RemoteCourse.objects.get(course_id=course.course_id).remote_id == str(moodle_course)

    transmit()
    assert fake_moodle.calls_of("core_grades_update_grades") == 1


def test_in_progress_grades_are_sent_only_when_enabled(moodle_config, fake_moodle):
    course = CourseFactory(pacing="self", end=None)
    fake_moodle.add_course(course.course_id)
    enrollment = completed_enrollment(moodle_config.customer, course=course, complete=False)
    fake_moodle.add_user(enrollment.learner.user.email)

    transmit()
    assert fake_moodle.site.grades == {}
    assert last_run().skip_reasons == {"not_complete": 1}

    moodle_config.send_in_progress = True
    moodle_config.save()
    transmit()
    assert list(fake_moodle.site.grades.values()) == [40.0]  # the grade so far

    GradeFactory._meta.model.objects.filter(user=enrollment.learner.user).update(percent="0.55")
    transmit()
    assert list(fake_moodle.site.grades.values()) == [55.0]
    assert LearnerDataTransmissionAudit.objects.get(enrollment=enrollment).grade == "55"


def test_unknown_learner_and_missing_assignment_fail_per_record(moodle_config, fake_moodle):
    with_assignment, without = CourseFactory(), CourseFactory()
    fake_moodle.add_course(with_assignment.course_id)
    fake_moodle.add_course(without.course_id, with_grade_assignment=None)
    known = completed_enrollment(moodle_config.customer, course=with_assignment)
    stranger = completed_enrollment(moodle_config.customer, course=with_assignment)
    no_module = completed_enrollment(moodle_config.customer, course=without)
    fake_moodle.add_user(known.learner.user.email)
    fake_moodle.add_user(no_module.learner.user.email)

    with pytest.raises(CommandError):
        transmit()

    assert (status(known), status(stranger), status(no_module)) == ("sent", "failed", "failed")
    assert "no user with this e-mail" in LearnerDataTransmissionAudit.objects.get(enrollment=stranger).last_error
    assert "(edX integration) Final Grade" in LearnerDataTransmissionAudit.objects.get(enrollment=no_module).last_error
    assert (last_run().sent, last_run().failed) == (1, 2)


def test_a_revoked_token_is_replaced_once_with_the_login(moodle_config, fake_moodle):
    course = CourseFactory()
    fake_moodle.add_course(course.course_id)
    first = completed_enrollment(moodle_config.customer, course=course)
    fake_moodle.add_user(first.learner.user.email)
    transmit()
    fake_moodle.revoke_tokens()
    second = completed_enrollment(moodle_config.customer, course=course)
    fake_moodle.add_user(second.learner.user.email)

    transmit()

    assert fake_moodle.calls("token") == 2
    assert status(second) == "sent"


def test_a_refused_static_token_stops_the_run_asking_for_a_new_one(moodle_config, fake_moodle):
    moodle_config.token = "not-a-token"
    moodle_config.save()
    course = CourseFactory()
    fake_moodle.add_course(course.course_id)
    enrollment = completed_enrollment(moodle_config.customer, course=course)
    fake_moodle.add_user(enrollment.learner.user.email)

    with pytest.raises(CommandError):
        transmit()

    run = last_run()
    assert run.status == "failed" and "enter a new web service token" in run.error_message
    assert "not-a-token" not in run.error_message
    assert not LearnerDataTransmissionAudit.objects.filter(status="sent").exists()
    assert fake_moodle.calls("token") == 0


def test_wrong_password_fails_the_run_without_echoing_it(moodle_config, fake_moodle):
    fake_moodle.site.password = "changed"
    enrollment = completed_enrollment(moodle_config.customer)
    fake_moodle.add_course(enrollment.course_id)

    with pytest.raises(CommandError):
        transmit()

    run = last_run()
    assert run.status == "failed" and "Invalid login" in run.error_message
    assert "ws-pass-SECRET" not in run.error_message


def test_courses_are_created_in_the_category_updated_and_hidden(moodle_config, fake_moodle):
    moodle_config.category_id = 7
    moodle_config.save()
    fake_moodle.site.categories.add(7)
    courses = [CourseFactory(title=f"Moodle {i}", description="Learn <b>things</b>") for i in range(3)]
    for course in courses:
        completed_enrollment(moodle_config.customer, course=course)

    transmit("transmit_content_metadata")

    created = {c["shortname"]: c for c in fake_moodle.site.courses.values()}
    assert set(created) == {c.course_id for c in courses}
    assert {c["categoryid"] for c in created.values()} == {7}
    assert "&lt;b&gt;things&lt;/b&gt;" in created[courses[0].course_id]["summary"]
    assert f"/courses/{courses[0].course_id}/about" in created[courses[0].course_id]["summary"]
    assert fake_moodle.calls_of("core_course_create_courses") == 1  # three courses, one call

    courses[0].title = "Renamed"
    courses[0].save()
    courses[1].delete()
    transmit("transmit_content_metadata")

    assert created[courses[0].course_id]["fullname"] == "Renamed"
    assert created[courses[1].course_id]["visible"] == "0"  # hidden, never deleted (its grades stay)
    assert fake_moodle.calls_of("core_course_update_courses") == 1
    assert fake_moodle.calls_of("core_course_get_courses_by_field") == 0  # the ids were kept
    audit = ContentTransmissionAudit.objects.get(course_id=courses[1].course_id)
    assert (audit.status, audit.content_status) == ("sent", "inactive")


def test_one_refused_course_does_not_fail_the_others(moodle_config, fake_moodle):
    good, clash = CourseFactory(title="Good"), CourseFactory(title="Clash")
    completed_enrollment(moodle_config.customer, course=good)
    completed_enrollment(moodle_config.customer, course=clash)
    fake_moodle.site.courses[5] = {"id": 5, "shortname": "other", "fullname": "Other", "idnumber": clash.course_id}

    with pytest.raises(CommandError):
        transmit("transmit_content_metadata")

    assert ContentTransmissionAudit.objects.get(course_id=good.course_id).status == "sent"
    refused = ContentTransmissionAudit.objects.get(course_id=clash.course_id)
    assert refused.status == "failed" and "courseidnumbertaken" in refused.last_error
    assert not RemoteCourse.objects.filter(course_id=clash.course_id).exists()


def test_a_course_moodle_already_has_is_updated(moodle_config, fake_moodle):
    course = CourseFactory(title="New title")
    completed_enrollment(moodle_config.customer, course=course)
    existing = fake_moodle.add_course(course.course_id)

    transmit("transmit_content_metadata")

    assert fake_moodle.site.courses[existing]["fullname"] == "New title"
    assert RemoteCourse.objects.get(course_id=course.course_id).remote_id == str(existing)


def test_connection_test_names_functions_the_service_lacks(moodle_config, fake_moodle):
    assert test_connection(moodle_config).ok
    fake_moodle.site.functions.discard("core_grades_update_grades")
    result = test_connection(moodle_config)
    assert not result.ok and "core_grades_update_grades" in result.message


def test_a_configuration_needs_a_token_or_a_login(moodle_config):
    moodle_config.username = ""
    with pytest.raises(ValidationError):
        moodle_config.clean()


def test_a_batch_looks_its_learners_up_once_for_all_its_courses(moodle_config, fake_moodle):
    courses = [CourseFactory() for _ in range(3)]
    for course in courses:
        fake_moodle.add_course(course.course_id)
        for _ in range(2):
            fake_moodle.add_user(completed_enrollment(moodle_config.customer, course=course).learner.user.email)

    transmit()

    assert last_run().sent == 6
    assert fake_moodle.calls_of("core_user_get_users_by_field") == 1  # not one per course
    assert fake_moodle.calls_of("core_grades_update_grades") == 3  # one per course
    # token, then per course its search and contents (3 x 2), one user look-up, 3 grade updates
    assert last_run().remote_calls == 1 + 6 + 1 + 3


def test_calls_stay_within_phps_max_input_vars(moodle_config, fake_moodle, monkeypatch):
    """Decision 0425: PHP drops a request's fields past max_input_vars (1,000 by default), so the
    look-ups and grade updates are cut to fit; here with the limits scaled down (a form of 14 fields)."""
    from integrated_channels.moodle import client as moodle_client
    from tests.fakes import moodle as moodle_fake

    monkeypatch.setattr(moodle_fake, "MAX_INPUT_VARS", 14)
    monkeypatch.setattr(moodle_client, "EMAILS_PER_CALL", 4)  # 3 + field + 4 values = 8 fields
    monkeypatch.setattr(moodle_client, "GRADES_PER_CALL", 3)  # 3 + 5 + 2 x 3 = 14 fields
    monkeypatch.setattr(moodle_client, "LEARNERS_PER_BATCH", 10)
    course = CourseFactory()
    fake_moodle.add_course(course.course_id)
    for _ in range(12):
        fake_moodle.add_user(completed_enrollment(moodle_config.customer, course=course).learner.user.email)

    transmit()

    run = last_run()
    assert (run.status, run.sent, len(fake_moodle.site.grades)) == ("completed", 12, 12)
    # batches of 10 and 2: look-ups 4 + 4 + 2 and 2; grade updates 3 + 3 + 3 + 1 and 2
    assert fake_moodle.calls_of("core_user_get_users_by_field") == 4
    assert fake_moodle.calls_of("core_grades_update_grades") == 5
    assert run.remote_calls == 1 + 2 + 4 + 5  # token, course search and contents


def test_the_fake_refuses_a_form_past_max_input_vars(fake_moodle):
    import requests

    token = fake_moodle.issue_token()
    form = {"wstoken": token, "wsfunction": "core_user_get_users_by_field", "moodlewsrestformat": "json"}
    form |= {"field": "email", **{f"values[{i}]": f"u{i}@example.com" for i in range(997)}}  # 1,001 fields

    answer = requests.post(f"{fake_moodle.base_url}/webservice/rest/server.php", data=form, timeout=10).json()

    assert answer["errorcode"] == "invalidparameter"
    del form["values[996]"]
    assert isinstance(
        requests.post(f"{fake_moodle.base_url}/webservice/rest/server.php", data=form, timeout=10).json(), list
    )
