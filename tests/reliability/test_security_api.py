"""Every operation of the REST API (from the OpenAPI schema, itself checked against the URLconf):
anonymous → 401, an administrator of another customer → 403/404 or a page without a trace of the
customer, and nothing changes either way."""

from __future__ import annotations

import json

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from consent.models import DataSharingConsent
from enterprise.api.v1.views import ApiNotFound
from tests.factories import ProgramFactory
from tests.reliability.walk import database_state, fill_path, resolver_api_views, schema_operations

pytestmark = pytest.mark.django_db


def _values(world) -> dict:
    config = next(iter(world.configurations.values()))
    return {
        ("customers", "uuid"): world.customer.uuid,
        ("customers", "customer_uuid"): world.customer.uuid,
        ("enrollments", "id"): world.enrollment.pk,
        ("catalog", "course_id"): world.enrollment.course_id,
        ("catalog", "program_id"): ProgramFactory().pk,
        ("consents", "id"): DataSharingConsent.objects.get(customer=world.customer).pk,
        ("configurations", "id"): config.pk,
        ("connections", "id"): config.pk,
        ("connections", "code"): config.get_channel().all_operations()[0].code,
        ("runs", "id"): world.runs[0].pk,
    }


def _body(world) -> dict:
    """A write that would reach customer A's data if it were allowed."""
    return {
        "customer": str(world.customer.uuid),
        "customer_id": str(world.customer.uuid),
        "customer_uuid": str(world.customer.uuid),
        "course_id": world.enrollment.course_id,
        "user_id": world.learner.user_id,
        "emails": [world.learner.user.email, "intruder@example.com"],
        "usernames": [world.learner.user.username],
        "name": "Hacked",
        "slug": "hacked",
        "channel": "TEST",
        "active": False,
        "dry_run": False,
        "mode": "audit",
        "granted": True,
        "certificates": [{"user_id": world.learner.user_id, "course_id": world.enrollment.course_id, "grade": "1"}],
        "grades": [{"user_id": world.learner.user_id, "course_id": world.enrollment.course_id, "percent": "1"}],
    }


def _client(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        token, _created = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def test_the_schema_covers_every_api_view_of_the_urlconf():
    operations, schema_views = schema_operations()
    missing = resolver_api_views() - schema_views - {ApiNotFound}
    assert missing == set()
    assert len(operations) >= 25


def test_every_operation_refuses_anonymous_and_other_customers(world):
    operations, _views = schema_operations()
    values, body = _values(world), _body(world)
    anonymous, other = _client(), _client(world.other_admin)
    problems = []
    for method, path in operations:
        url = fill_path(path, values)
        for who, client in (("anonymous", anonymous), ("other customer's admin", other)):
            before = database_state()
            response = client.generic(method, url, json.dumps(body), content_type="application/json")
            text = response.content.decode()
            leaked = [marker for marker in world.markers() if marker in text]
            expected = {401} if who == "anonymous" else {403, 404}
            if response.status_code not in expected and not (who != "anonymous" and _allowed(response)):
                problems.append((who, method, url, response.status_code, text[:200]))
            if leaked or database_state() != before:
                problems.append((who, method, url, response.status_code, "leaked" if leaked else "changed", leaked))
    assert problems == []


def _allowed(response) -> bool:
    """A page of the client's own data (checked for leaks by the caller), or a write refused
    because customer A does not exist for this client."""
    if response.status_code == 200:
        return True
    if response.status_code == 400:
        return any(e["code"] in {"does_not_exist", "not_found"} for e in response.json().get("errors", []))
    return False


def test_the_other_customers_admin_sees_its_own_customer(world):
    """The same client is not refused everything: its own customer is there (the test can fail)."""
    other = _client(world.other_admin)
    response = other.get(f"/enterprise/api/v1/customers/{world.other_customer.uuid}/")
    assert response.status_code == 200
    assert response.json()["name"] == "Globex"
