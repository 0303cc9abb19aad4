"""The fake SAP SuccessFactors tenant is strict: what the channel's tests pass, the real service would take."""

from __future__ import annotations

import time

import pytest
import requests

from tests.fakes.sap import COURSES_PATH, EVENTS_PATH, TOKEN_PATH, USER_EVENT_PATH, FakeSAPSuccessFactors

SCOPE = {"userId": "sfadmin", "companyId": "ACME", "userType": "admin", "resourceType": "learning_public_api"}
EVENT = {
    "userID": "sap-1",
    "courseID": "course-v1:A+B+C",
    "providerID": "EDX",
    "courseCompleted": True,
    "completedTimestamp": 1_700_000_000_000,
    "grade": "Pass",
    "totalHours": 0.0,
    "creditHours": 0,
}


@pytest.fixture
def sap():
    with FakeSAPSuccessFactors() as server:
        server.add_tenant("ACME", "client", "secret")
        yield server


def post(sap, path, body, **kwargs):
    return requests.post(sap.base_url.rstrip("/") + path, json=body, timeout=5, **kwargs)


def token(sap, scope=SCOPE):
    answer = post(sap, TOKEN_PATH, {"grant_type": "client_credentials", "scope": scope}, auth=("client", "secret"))
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


@pytest.mark.parametrize(
    ("auth", "body", "status"),
    [
        (("client", "wrong"), {"grant_type": "client_credentials", "scope": SCOPE}, 401),
        (None, {"grant_type": "client_credentials", "scope": SCOPE}, 401),
        (("client", "secret"), {"grant_type": "password", "scope": SCOPE}, 400),
        (("client", "secret"), {"grant_type": "client_credentials", "scope": {**SCOPE, "companyId": "X"}}, 400),
        (("client", "secret"), {"grant_type": "client_credentials", "scope": {**SCOPE, "extra": 1}}, 400),
        (("client", "secret"), {"grant_type": "client_credentials", "scope": {**SCOPE, "userId": "bob"}}, 400),
        (("client", "secret"), {"grant_type": "client_credentials", "scope": SCOPE, "x": 1}, 400),
    ],
)
def test_token_endpoint_checks_basic_auth_and_the_body(sap, auth, body, status):
    assert post(sap, TOKEN_PATH, body, auth=auth).status_code == status


def test_token_answer_carries_access_token_and_expires_in(sap):
    answer = post(sap, TOKEN_PATH, {"grant_type": "client_credentials", "scope": SCOPE}, auth=("client", "secret"))

    assert set(answer.json()) == {"access_token", "token_type", "expires_in"}
    assert answer.json()["expires_in"] == 3600


def test_events_need_a_valid_unexpired_admin_token(sap):
    assert post(sap, EVENTS_PATH, EVENT).status_code == 401
    assert post(sap, EVENTS_PATH, EVENT, headers={"Authorization": "Bearer nope"}).status_code == 401
    user_token = token(sap, {**SCOPE, "userType": "user", "userId": "sap-1"})
    assert post(sap, EVENTS_PATH, EVENT, headers=user_token).status_code == 403
    sap.token_lifetime = 0
    expired = token(sap)
    time.sleep(0.01)
    answer = post(sap, EVENTS_PATH, EVENT, headers=expired)
    assert answer.status_code == 401 and "expired" in answer.json()["error"]["message"]


@pytest.mark.parametrize(
    "change",
    [
        {"courseCompleted": "true"},
        {"completedTimestamp": "1700000000000"},
        {"completedTimestamp": 1_700_000_000},  # seconds, not milliseconds
        {"grade": "0.92"},
        {"grade": "In Progress"},  # with courseCompleted true
        {"totalHours": True},
        {"providerID": "OTHER"},
        {"userID": ""},
        {"unexpected": 1},
    ],
)
def test_admin_events_are_validated_field_by_field(sap, change):
    answer = post(sap, EVENTS_PATH, {**EVENT, **change}, headers=token(sap))

    assert answer.status_code == 400
    assert answer.json()["error"]["message"]
    assert sap.events() == []


def test_a_missing_field_is_refused(sap):
    event = dict(EVENT)
    del event["grade"]

    assert post(sap, EVENTS_PATH, event, headers=token(sap)).status_code == 400


def test_arrays_only_for_tenants_that_accept_them_and_at_most_ten(sap):
    headers = token(sap)
    assert post(sap, EVENTS_PATH, [EVENT, EVENT], headers=headers).status_code == 400
    sap.tenants["ACME"].accepts_arrays = True
    assert post(sap, EVENTS_PATH, [EVENT] * 11, headers=headers).status_code == 400
    assert post(sap, EVENTS_PATH, [EVENT] * 10, headers=headers).status_code == 200
    assert len(sap.events()) == 10


def test_user_mode_takes_string_booleans_from_the_learner_themself(sap):
    headers = token(sap, {**SCOPE, "userType": "user", "userId": "sap-1"})
    assert post(sap, USER_EVENT_PATH, EVENT, headers=headers).status_code == 400  # JSON boolean refused
    assert (
        post(sap, USER_EVENT_PATH, {**EVENT, "courseCompleted": "true", "userID": "sap-2"}, headers=headers).status_code
        == 403
    )
    assert post(sap, USER_EVENT_PATH, {**EVENT, "courseCompleted": "true"}, headers=headers).status_code == 200


def test_inactive_users_are_refused_with_sap_message(sap):
    sap.tenants["ACME"].inactive_users.add("sap-1")

    answer = post(sap, EVENTS_PATH, EVENT, headers=token(sap))

    assert answer.status_code == 400 and "user account is inactive" in answer.json()["error"]["message"].lower()


def test_courses_are_validated(sap):
    course = {
        "courseID": "c1",
        "providerID": "EDX",
        "status": "ACTIVE",
        "title": [{"locale": "English", "value": "T"}],
        "description": [{"locale": "English", "value": "D"}],
        "content": [
            {
                "providerID": "EDX",
                "launchURL": "https://lms/c1",
                "contentTitle": "T",
                "contentID": "c1",
                "launchType": 3,
                "mobileEnabled": False,
            }
        ],
        "schedule": [{"startDate": 1, "active": True}],
        "price": [],
        "revisionNumber": 1,
    }
    headers = token(sap)
    assert post(sap, COURSES_PATH, {"ocnCourses": [course]}, headers=headers).status_code == 200
    assert post(sap, COURSES_PATH, [course], headers=headers).status_code == 400
    assert post(sap, COURSES_PATH, {"ocnCourses": [{**course, "status": "GONE"}]}, headers=headers).status_code == 400
    assert post(sap, COURSES_PATH, {"ocnCourses": [{**course, "title": "T"}]}, headers=headers).status_code == 400
    bad_url = [{**course["content"][0], "launchURL": "/relative"}]
    assert post(sap, COURSES_PATH, {"ocnCourses": [{**course, "content": bad_url}]}, headers=headers).status_code == 400
    assert [c["courseID"] for c in sap.courses()] == ["c1"]


def test_scripted_answers(sap):
    sap.fail("events", 429, headers={"Retry-After": "7"})
    sap.malformed("events")
    headers = token(sap)

    first = post(sap, EVENTS_PATH, EVENT, headers=headers)
    second = post(sap, EVENTS_PATH, EVENT, headers=headers)
    third = post(sap, EVENTS_PATH, EVENT, headers=headers)

    assert (first.status_code, first.headers["Retry-After"]) == (429, "7")
    assert second.status_code == 200
    with pytest.raises(ValueError):
        second.json()
    assert third.status_code == 200 and len(sap.events()) == 1


def test_json_content_type_is_required(sap):
    answer = requests.post(sap.base_url.rstrip("/") + EVENTS_PATH, data="x", timeout=5, headers=token(sap))

    assert answer.status_code == 415
