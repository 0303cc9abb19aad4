"""transmit_* --channel BLACKBOARD against the fake Learn server; its authorization through the admin."""

from __future__ import annotations

import io
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.core.management import CommandError, call_command
from django.urls import reverse

from integrated_channels.blackboard.connection_test import test_connection
from integrated_channels.blackboard.exporters import learn_course_id
from integrated_channels.integrated_channel.models import (
    ContentTransmissionAudit,
    LearnerDataTransmissionAudit,
    RemoteCourse,
    Run,
)
from tests.factories import CourseFactory, StaffFactory
from tests.integrated_channels.factories import SECRET, completed_enrollment

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def staff():
    return StaffFactory(username="staff")


def transmit(command="transmit_learner_data"):
    call_command(command, api_user="staff", channel=["BLACKBOARD"], stdout=io.StringIO())


def last_run() -> Run:
    return Run.objects.order_by("-id").first()


def audit(enrollment) -> LearnerDataTransmissionAudit:
    return LearnerDataTransmissionAudit.objects.get(enrollment=enrollment)


def test_grades_go_to_a_final_grade_column(blackboard_config, fake_blackboard):
    course = CourseFactory()
    learn_course = fake_blackboard.add_course(course.course_id)
    enrollments = [completed_enrollment(blackboard_config.customer, course=course) for _ in range(2)]
    users = [fake_blackboard.add_member(learn_course, e.learner.user.email) for e in enrollments]

    transmit()

    [column] = fake_blackboard.server_state.columns[learn_course]
    assert column["externalId"] == "edx_final_grade" and column["score"] == {"possible": 100}
    assert {fake_blackboard.server_state.grades[(learn_course, column["id"], u)] for u in users} == {91.0}
    assert fake_blackboard.calls("grade") == 2
    assert fake_blackboard.calls("members") == 1  # one listing of the course's members for the run
    assert all(audit(e).status == "sent" for e in enrollments)


def test_members_are_read_page_by_page(blackboard_config, fake_blackboard):
    course = CourseFactory()
    learn_course = fake_blackboard.add_course(course.course_id)
    for index in range(120):
        fake_blackboard.add_member(learn_course, f"other{index}@example.com")
    enrollment = completed_enrollment(blackboard_config.customer, course=course)
    fake_blackboard.add_member(learn_course, enrollment.learner.user.email)

    transmit()

    assert audit(enrollment).status == "sent"
    assert fake_blackboard.calls("members") == 2


def test_the_rotated_refresh_token_is_kept_and_the_old_one_is_dead(blackboard_config, fake_blackboard):
    first = blackboard_config.refresh_token
    course = CourseFactory()
    learn_course = fake_blackboard.add_course(course.course_id)
    enrollment = completed_enrollment(blackboard_config.customer, course=course)
    fake_blackboard.add_member(learn_course, enrollment.learner.user.email)
    transmit()
    blackboard_config.refresh_from_db()
    second = blackboard_config.refresh_token
    assert second != first and second in fake_blackboard.refresh_tokens and first not in fake_blackboard.refresh_tokens

    fake_blackboard.expire_access_tokens()  # the stored access token is refused: one refresh, with the new one
    later = completed_enrollment(blackboard_config.customer, course=course)
    fake_blackboard.add_member(learn_course, later.learner.user.email)
    transmit()

    assert audit(later).status == "sent"
    assert fake_blackboard.calls("token") == 2


def test_a_refused_refresh_token_asks_to_authorize_again(blackboard_config, fake_blackboard):
    fake_blackboard.revoke_tokens()
    enrollment = completed_enrollment(blackboard_config.customer)

    with pytest.raises(CommandError):
        transmit()

    run = last_run()
    assert run.status == "failed" and "authorize the connection again" in run.error_message
    assert not LearnerDataTransmissionAudit.objects.filter(enrollment=enrollment, status="sent").exists()


def test_429_is_retried_after_retry_after(blackboard_config, fake_blackboard, waits):
    course = CourseFactory()
    learn_course = fake_blackboard.add_course(course.course_id)
    enrollment = completed_enrollment(blackboard_config.customer, course=course)
    fake_blackboard.add_member(learn_course, enrollment.learner.user.email)
    fake_blackboard.fail("grade", 429, headers={"Retry-After": "3"}, body={"status": 429, "message": "Too many"})

    transmit()

    assert 3.0 in waits and audit(enrollment).status == "sent"


def test_a_learner_not_in_the_course_fails_alone(blackboard_config, fake_blackboard):
    course = CourseFactory()
    learn_course = fake_blackboard.add_course(course.course_id)
    member = completed_enrollment(blackboard_config.customer, course=course)
    outsider = completed_enrollment(blackboard_config.customer, course=course)
    fake_blackboard.add_member(learn_course, member.learner.user.email)

    with pytest.raises(CommandError):
        transmit()

    assert (audit(member).status, audit(outsider).status) == ("sent", "failed")
    assert "No member of the Blackboard course" in audit(outsider).last_error


def test_courses_created_with_a_link_updated_and_made_unavailable(blackboard_config, fake_blackboard):
    course = CourseFactory(course_id="course-v1:Org+Intro+2027", title="Intro")
    completed_enrollment(blackboard_config.customer, course=course)

    transmit("transmit_content_metadata")

    [(remote_id, created)] = fake_blackboard.server_state.courses.items()
    assert created["externalId"] == course.course_id
    assert created["courseId"] == learn_course_id(course.course_id)
    [link] = fake_blackboard.server_state.contents[remote_id]
    assert link["contentHandler"]["url"].endswith(f"/courses/{course.course_id}/about")
    assert RemoteCourse.objects.get(course_id=course.course_id).remote_id == remote_id

    course.title = "Intro 2"
    course.save()
    transmit("transmit_content_metadata")
    assert created["name"] == "Intro 2"
    assert [c["title"] for c in fake_blackboard.server_state.contents[remote_id]] == ["Intro 2"]  # updated, not added

    course.delete()
    transmit("transmit_content_metadata")
    assert created["availability"] == {"available": "No"}
    row = ContentTransmissionAudit.objects.get(course_id=course.course_id)
    assert (row.status, row.content_status) == ("sent", "inactive")


def test_a_course_learn_already_has_is_updated(blackboard_config, fake_blackboard):
    course = CourseFactory(title="Taken over")
    completed_enrollment(blackboard_config.customer, course=course)
    existing = fake_blackboard.add_course(course.course_id, name="Old")

    transmit("transmit_content_metadata")

    assert fake_blackboard.server_state.courses[existing]["name"] == "Taken over"
    assert len(fake_blackboard.server_state.courses) == 1


def test_authorize_in_blackboard_through_the_admin(admin_client, blackboard_config, fake_blackboard):
    blackboard_config.refresh_token = ""
    blackboard_config.save()
    response = admin_client.post(
        reverse("admin:blackboard_blackboardconfiguration_authorize", args=[blackboard_config.pk])
    )
    learn_url = response["Location"]
    assert "offline" in parse_qs(urlsplit(learn_url).query)["scope"][0]
    back = urlsplit(requests.get(learn_url, allow_redirects=False, timeout=5).headers["Location"])

    done = admin_client.get(f"{back.path}?{back.query}")

    assert done.status_code == 302
    blackboard_config.refresh_from_db()
    assert blackboard_config.refresh_token in fake_blackboard.refresh_tokens
    assert test_connection(blackboard_config).ok


def test_connection_test_never_echoes_secrets(blackboard_config, fake_blackboard):
    assert "3900.80.0" in test_connection(blackboard_config).message
    fake_blackboard.setup("bb-app-key", "changed")
    result = test_connection(blackboard_config)
    assert not result.ok and SECRET not in result.message


def _code_for(fake, redirect_uri):
    learn = f"{fake.base_url}/learn/api/public/v1/oauth2/authorizationcode"
    query = {"client_id": "bb-app-key", "response_type": "code", "scope": "read write offline"}
    back = requests.get(learn, params={**query, "redirect_uri": redirect_uri}, allow_redirects=False, timeout=5)
    return parse_qs(urlsplit(back.headers["Location"]).query)["code"][0]


@pytest.mark.parametrize("placement", ["query", "body"])
def test_the_fake_takes_the_code_where_learn_reads_it(fake_blackboard, placement):
    """Learn's 3LO page puts code and redirect_uri in the query string, RFC 6749 clients in the form body
    (decision 0423): both are accepted, with the redirect URI the code was issued for, once."""
    token_url = f"{fake_blackboard.base_url}/learn/api/public/v1/oauth2/token"
    redirect_uri = "https://platform.example.com/back"
    fields = {"code": _code_for(fake_blackboard, redirect_uri), "redirect_uri": redirect_uri}
    query, body = (fields, {}) if placement == "query" else ({}, fields)

    answer = requests.post(
        token_url,
        params=query,
        data={"grant_type": "authorization_code", **body},
        auth=("bb-app-key", SECRET),
        timeout=5,
    )

    assert answer.status_code == 200 and answer.json()["refresh_token"]
    again = requests.post(
        token_url,
        params=query,
        data={"grant_type": "authorization_code", **body},
        auth=("bb-app-key", SECRET),
        timeout=5,
    )
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"  # a code works once


def test_the_fake_refuses_a_code_exchange_that_learn_refuses(fake_blackboard):
    token_url = f"{fake_blackboard.base_url}/learn/api/public/v1/oauth2/token"
    redirect_uri = "https://platform.example.com/back"
    code = _code_for(fake_blackboard, redirect_uri)

    def post(query, form, auth=("bb-app-key", SECRET)):
        return requests.post(
            token_url, params=query, data={"grant_type": "authorization_code", **form}, auth=auth, timeout=5
        )

    assert post({}, {"code": code, "redirect_uri": redirect_uri}, auth=("bb-app-key", "wrong")).status_code == 401
    assert post({"code": "other"}, {"code": code, "redirect_uri": redirect_uri}).status_code == 400  # two codes
    assert post({}, {"code": code}).status_code == 400  # no redirect URI
    assert post({}, {"code": code, "redirect_uri": "https://elsewhere.example.com/"}).json()["error"] == "invalid_grant"


def test_the_code_exchange_sends_the_code_in_the_form_body(admin_client, blackboard_config, fake_blackboard):
    blackboard_config.refresh_token = ""
    blackboard_config.save()
    learn_url = admin_client.post(
        reverse("admin:blackboard_blackboardconfiguration_authorize", args=[blackboard_config.pk])
    )["Location"]
    back = urlsplit(requests.get(learn_url, allow_redirects=False, timeout=5).headers["Location"])

    admin_client.get(f"{back.path}?{back.query}")

    (exchange,) = [r for r in fake_blackboard.received("token") if "authorization_code" in r.body]
    assert exchange.status == 200  # HTTP Basic with the application's key and secret, or the fake says 401
    assert set(parse_qs(exchange.body)) == {"grant_type", "code", "redirect_uri"} and not exchange.query
