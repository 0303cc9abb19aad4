"""Fixtures of the API tests: two customers, their administrators, a learner, token clients."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from enterprise.models import EnterpriseCustomerAdmin
from tests.factories import CustomerFactory, LearnerFactory, StaffFactory, UserFactory


def client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def customer(db):
    return CustomerFactory(name="Acme", slug="acme")


@pytest.fixture
def other_customer(db):
    return CustomerFactory(name="Globex", slug="globex")


@pytest.fixture
def customer_admin(customer):
    user = UserFactory(username="acme-admin")
    EnterpriseCustomerAdmin.objects.create(customer=customer, user=user)
    return user


@pytest.fixture
def other_admin(other_customer):
    user = UserFactory(username="globex-admin")
    EnterpriseCustomerAdmin.objects.create(customer=other_customer, user=user)
    return user


@pytest.fixture
def learner(customer):
    return LearnerFactory(customer=customer, user=UserFactory(username="alice"))


@pytest.fixture
def api_staff(db):
    return client_for(StaffFactory(username="api-staff"))


@pytest.fixture
def api_admin(customer_admin):
    return client_for(customer_admin)


@pytest.fixture
def api_other(other_admin):
    return client_for(other_admin)


@pytest.fixture
def api_learner(learner):
    return client_for(learner.user)


@pytest.fixture
def api_anon():
    return client_for(None)


def errors_of(response) -> list[dict]:
    body = response.json()
    assert set(body) == {"errors"}, body
    for entry in body["errors"]:
        assert set(entry) == {"field", "row", "code", "message"}, entry
    return body["errors"]
