"""The roles' matrix of the API (docs/api/roles.md): every endpoint group for seven kinds of caller.

Staff act through Django's model permissions as in the admin (decision 0155): without them every
endpoint but the catalog answers 403, view-only staff read and write nothing, staff with the add and
change permissions do what the matching admin page does. Customer administrators and learners are
scoped as before. A refused request changes nothing.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from consent.models import DataSharingConsent
from enterprise.models import EnterpriseCustomerAdmin
from integrated_channels import testing
from integrated_channels.classroom.models import Session
from integrated_channels.integrated_channel.models import Run
from tests.api.conftest import client_for
from tests.factories import (
    ConsentFactory,
    CourseFactory,
    CustomerFactory,
    EnrollmentFactory,
    LearnerFactory,
    StaffFactory,
    UserFactory,
)
from tests.integrated_channels.factories import TestChannelConfigurationFactory
from tests.reliability.walk import database_state

pytestmark = pytest.mark.django_db

COURSE = "course-v1:Org+Roles+1"


def _staff(name, *prefixes):
    user = UserFactory(username=name, is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(codename__regex=rf"^({'|'.join(prefixes)})_") if prefixes else []
    )
    return user


ROLES = {
    "anonymous": lambda world: None,
    "learner": lambda world: world["learner"].user,
    "customer admin": lambda world: world["admin"],
    "staff without permissions": lambda world: _staff("bare"),
    "staff with view": lambda world: _staff("viewer", "view"),
    "staff with add and change": lambda world: _staff("changer", "view", "add", "change"),
    "superuser": lambda world: StaffFactory(username="root"),
}


@pytest.fixture
def world(settings):
    settings.INTEGRATED_CHANNELS = {"USE_CELERY": False}
    testing.outbox.clear()
    customer = CustomerFactory(name="Acme", slug="acme")
    second = CustomerFactory(name="Acme Two", slug="acme-two")  # where a new configuration is created
    admin = UserFactory(username="acme-admin")
    for administered in (customer, second):
        EnterpriseCustomerAdmin.objects.create(customer=administered, user=admin)
    CourseFactory(course_id=COURSE)
    learner = LearnerFactory(customer=customer, user=UserFactory(username="alice", email="alice@example.com"))
    EnrollmentFactory(learner=learner, course_id=COURSE)
    ConsentFactory(customer=customer, user=learner.user, course_id=COURSE)
    bob = LearnerFactory(customer=customer, user=UserFactory(username="bob", email="bob@example.com"))
    ConsentFactory(customer=customer, user=bob.user, course_id=COURSE)
    config = TestChannelConfigurationFactory(customer=customer)
    run = Run.objects.create(
        configuration=config,
        customer=customer,
        channel="TEST",
        status=Run.Status.COMPLETED,
        started_at="2027-01-01T00:00:00Z",
        heartbeat_at="2027-01-01T00:00:00Z",
        finished_at="2027-01-01T00:01:00Z",
        selected=1,
        sent=1,
    )
    session = Session.objects.create(
        customer=customer,
        course_id=COURSE,
        title="Live session",
        start="2099-01-01T09:00:00Z",
        end="2099-01-01T10:00:00Z",
        min_attendance_percent=75,
    )
    yield {
        "session": session,
        "customer": customer,
        "second": second,
        "admin": admin,
        "learner": learner,
        "bob": bob,
        "config": config,
        "run": run,
    }
    testing.outbox.clear()


E, C, CH, CL = "/enterprise/api/v1", "/consent/api/v1", "/integrated_channels/api/v1", "/classroom/api/v1"

# name: (method, url, body); {c} customer uuid, {s} second customer, {k} configuration, {r} run,
# {u} the id of alice (the learner role), {b} of bob (another learner of the customer), {v} a session
OPERATIONS = {
    "customers: list": ("get", E + "/customers/", None),
    "customers: read": ("get", E + "/customers/{c}/", None),
    "customers: change": ("patch", E + "/customers/{c}/", {"name": "Renamed"}),
    "learners: list": ("get", E + "/customers/{c}/learners/", None),
    "learners: link": ("post", E + "/customers/{c}/learners/link/", {"emails": ["new@example.com"]}),
    "learners: enroll": (
        "post",
        E + "/customers/{c}/learners/enroll/",
        {"emails": ["new@example.com"], "course_id": COURSE, "mode": "audit"},
    ),
    "learners: unenroll": (
        "post",
        E + "/customers/{c}/learners/unenroll/",
        {"emails": ["alice@example.com"], "course_id": COURSE},
    ),
    "learners: unlink": ("post", E + "/customers/{c}/learners/unlink/", {"emails": ["alice@example.com"]}),
    "learners: SAP user ids": (
        "post",
        E + "/customers/{c}/learners/sap-user-ids/",
        {"learners": [{"email": "bob@example.com", "sap_user_id": "SAP-B"}]},
    ),
    "enrollments: list": ("get", E + "/enrollments/", None),
    "catalog: courses": ("get", E + "/catalog/courses/", None),
    "completions: certificate": (
        "post",
        E + "/completions/certificates/",
        {"user_id": "{u}", "course_id": COURSE, "grade": "0.9", "issued_at": "2027-01-02T00:00:00Z"},
    ),
    "completions: grade": (
        "post",
        E + "/completions/grades/",
        {"user_id": "{u}", "course_id": COURSE, "percent": "0.9"},
    ),
    "consents: list": ("get", C + "/consents/", None),
    "consents: grant (own)": ("post", C + "/consents/grant/", {"customer": "{c}", "course_id": "course-v1:Other+1"}),
    "consents: revoke (for another learner)": (
        "post",
        C + "/consents/revoke/",
        {"customer": "{c}", "course_id": COURSE, "user_id": "{b}"},
    ),
    "configurations: list": ("get", CH + "/configurations/", None),
    "configurations: read": ("get", CH + "/configurations/{k}/", None),
    "configurations: create": ("post", CH + "/configurations/", {"channel": "TEST", "customer": "{s}"}),
    "configurations: change": ("patch", CH + "/configurations/{k}/", {"send_in_progress": True}),
    "configurations: run now": ("post", CH + "/configurations/{k}/run/", {"dry_run": True}),
    "runs: list": ("get", CH + "/runs/", None),
    "runs: error report": ("get", CH + "/runs/{r}/errors/", None),
    "sessions: list": ("get", CL + "/customers/{c}/sessions/", None),
    "sessions: create": (
        "post",
        CL + "/customers/{c}/sessions/",
        {
            "course_id": COURSE,
            "title": "New session",
            "start": "2099-02-01T09:00:00Z",
            "end": "2099-02-01T10:00:00Z",
            "min_attendance_percent": "80",
        },
    ),
    "sessions: change": ("patch", CL + "/customers/{c}/sessions/{v}/", {"title": "Renamed session"}),
    "sessions: attendance": ("get", CL + "/customers/{c}/sessions/{v}/attendance/", None),
    "sessions: correct attendance": (
        "post",
        CL + "/customers/{c}/sessions/{v}/attendance/",
        {"user_id": "{b}", "minutes": "50", "note": "Attended from a meeting room"},
    ),
    "schema": ("get", "/api/schema/", None),
}

_OK = {"get": 200, "patch": 200, "post": 200}
_DONE = {
    **{name: _OK[method] for name, (method, _url, _body) in OPERATIONS.items()},
    "completions: certificate": 201,
    "completions: grade": 201,
    "configurations: create": 201,
    "configurations: run now": 202,
    "sessions: create": 201,
    "sessions: correct attendance": 201,
}
_READS = {name for name, (method, _url, _body) in OPERATIONS.items() if method == "get"}


def _expected(role: str) -> dict[str, int]:
    if role == "anonymous":  # the schema is public (it is docs/api/openapi.yaml)
        return {**dict.fromkeys(OPERATIONS, 401), "schema": 200}
    if role in ("staff with add and change", "superuser"):
        return dict(_DONE)
    if role == "staff with view":
        return {name: _DONE[name] if name in _READS else 403 for name in OPERATIONS}
    if role == "staff without permissions":
        return {name: 200 if name in ("catalog: courses", "schema") else 403 for name in OPERATIONS}
    scoped = {
        "completions: certificate": 403,
        "completions: grade": 403,
        "consents: revoke (for another learner)": 403,  # only staff answer for someone else (decision 0052)
    }
    if role == "customer admin":  # not a learner of Acme: their own answer is not found
        return {**_DONE, **scoped, "consents: grant (own)": 404}
    customer_resources = [
        name for name in OPERATIONS if name.startswith(("customers: read", "customers: change", "learners", "sessions"))
    ]
    configuration = ["configurations: read", "configurations: change", "configurations: run now", "runs: error report"]
    return {
        **_DONE,
        **scoped,
        **dict.fromkeys(customer_resources + configuration, 404),
        "configurations: create": 400,  # "No such customer." (the second customer is not theirs)
    }


def _fill(value, world):
    values = {
        "c": world["customer"].uuid,
        "s": world["second"].uuid,
        "k": world["config"].pk,
        "r": world["run"].pk,
        "u": world["learner"].user_id,
        "b": world["bob"].user_id,
        "v": world["session"].pk,
    }
    if isinstance(value, str):
        filled = value.format(**values)
        return int(filled) if value in ("{u}", "{b}") else filled
    if isinstance(value, list):
        return [_fill(item, world) for item in value]
    if isinstance(value, dict):
        return {key: _fill(item, world) for key, item in value.items()}
    return value


@pytest.mark.parametrize("role", list(ROLES))
def test_the_roles_matrix(world, role):
    client = client_for(ROLES[role](world))
    expected = _expected(role)
    found = {}
    for name, (method, url, body) in OPERATIONS.items():
        before = database_state() if expected[name] >= 400 else None
        response = getattr(client, method)(_fill(url, world), _fill(body, world), format="json")
        found[name] = response.status_code
        if before is not None and database_state() != before:
            found[name] = (response.status_code, "changed data")
    assert found == expected


def test_a_staff_member_is_told_which_permission_is_missing(world):
    client = client_for(_staff("viewer", "view"))

    response = client.patch(f"{E}/customers/{world['customer'].uuid}/", {"name": "X"}, format="json")

    assert response.status_code == 403
    assert response.json()["errors"][0]["message"] == (
        "Your account lacks the permission enterprise.change_enterprisecustomer."
    )


def test_the_change_permission_also_reads_as_in_the_admin(world):
    user = UserFactory(username="changer", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename="change_enterprisecustomer"))

    assert client_for(user).get(f"{E}/customers/{world['customer'].uuid}/").status_code == 200


def test_channel_permissions_are_per_channel_as_in_each_channels_admin(world):
    """Staff who may change the test channel's configurations only: the others are not listed."""
    from integrated_channels.sap_success_factors.models import SAPSuccessFactorsConfiguration
    from tests.integrated_channels.factories import SAPConfigurationFactory

    sap = SAPConfigurationFactory(customer=world["second"])
    opts = type(world["config"])._meta
    user = UserFactory(username="test-channel-operator", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label=opts.app_label, codename=f"change_{opts.model_name}")
    )
    client = client_for(user)

    listed = [row["id"] for row in client.get(f"{CH}/configurations/").json()["results"]]
    assert listed == [world["config"].pk]
    assert client.get(f"{CH}/configurations/{sap.pk}/").status_code == 404
    assert (
        client.patch(f"{CH}/configurations/{world['config'].pk}/", {"active": False}, format="json").status_code == 200
    )
    refused = client.post(
        f"{CH}/configurations/", {"channel": "TEST", "customer": str(world["second"].uuid)}, format="json"
    )
    assert refused.status_code == 403
    assert "add permission" in refused.json()["errors"][0]["message"]
    assert SAPSuccessFactorsConfiguration.objects.get().active == sap.active


def test_staff_record_consent_only_with_the_consent_permissions(world):
    consent = DataSharingConsent.objects.get(user=world["learner"].user)
    for user, code in ((_staff("viewer", "view"), 403), (StaffFactory(username="root"), 200)):
        response = client_for(user).post(
            f"{C}/consents/revoke/",
            {"customer": str(world["customer"].uuid), "course_id": COURSE, "user_id": world["learner"].user_id},
            format="json",
        )
        assert response.status_code == code
    consent.refresh_from_db()
    assert consent.granted is False


@pytest.mark.parametrize("role", ["staff without permissions", "staff with view", "customer admin", "learner"])
def test_no_method_of_any_endpoint_answers_a_server_error(world, role):
    """Methods the schema does not list (OPTIONS, HEAD, DELETE …) go through the same permission check."""
    client = client_for(ROLES[role](world))
    before = database_state()
    errors = []
    for _method, url, _body in OPERATIONS.values():
        for method in ("options", "head", "get", "post", "put", "patch", "delete"):
            response = getattr(client, method)(_fill(url, world), {}, format="json")
            if response.status_code >= 500:
                errors.append((method, url, response.status_code))
    assert errors == []
    if role.startswith("staff"):  # they write nothing (a customer's administrator may write to its own)
        assert database_state() == before
