"""The miniOrange connector against the strict fake of its admin user API (tests/fakes/miniorange.py)."""

from __future__ import annotations

import pytest

from enterprise.models import PendingEnterpriseCustomerUser
from integrated_channels.integrated_channel.models import PendingLearnerAttributes, Run, RunError
from integrated_channels.integrated_channel.services.connections import test_connection as run_connection_test
from integrated_channels.miniorange.models import MiniOrangeConfiguration
from integrated_channels.miniorange.operations import import_users
from tests.factories import CustomerFactory
from tests.fakes.miniorange import FakeMiniOrange

pytestmark = pytest.mark.django_db

MAPPING = {"email": "email", "first_name": "firstName", "manager": "customAttributes.manager"}


@pytest.fixture
def account():
    with FakeMiniOrange() as fake:
        yield fake


def connection(account, **kwargs) -> MiniOrangeConfiguration:
    values = {
        "customer": kwargs.pop("customer", None) or CustomerFactory(),
        "active": True,
        "base_url": account.base_url,
        "customer_key": account.customer_key,
        "api_key": account.api_key,
        "attribute_mapping": dict(MAPPING),
        **kwargs,
    }
    return MiniOrangeConfiguration.objects.create(**values)


def run_import(config) -> Run:
    run = import_users(config, trigger=Run.Trigger.COMMAND)
    run.refresh_from_db()
    return run


def pending(customer) -> dict[str, dict]:
    emails = PendingEnterpriseCustomerUser.objects.filter(customer=customer).values_list("user_email", flat=True)
    attrs = dict(PendingLearnerAttributes.objects.filter(customer=customer).values_list("email", "attributes"))
    return {email: attrs.get(email, {}) for email in emails}


def test_users_are_read_batch_by_batch_with_signed_headers(account):
    account.add(email="boss@example.com", firstName="Bea")
    account.add(email="ann@example.com", firstName="Ann", customAttributes={"manager": "boss@example.com"})
    account.add(email="other@example.com")
    config = connection(account, batch_size=2, import_under_managers="boss@example.com")
    run = run_import(config)
    assert run.status == Run.Status.COMPLETED, run.error_message
    assert [body["batchNo"] for body in account.requests] == [1, 2]
    assert pending(config.customer) == {"ann@example.com": {"first_name": "Ann", "manager": "boss@example.com"}}


def test_a_wrong_api_key_is_refused_and_not_echoed(account):
    config = connection(account, api_key="not-the-api-key")
    result = run_connection_test(config)
    assert not result.ok
    assert "Authentication failed" in result.message
    assert "not-the-api-key" not in result.message
    assert run_connection_test(connection(account, name="good")).ok


def test_a_batch_failing_mid_import_applies_nothing(account):
    for n in range(5):
        account.add(email=f"u{n}@example.com")
    config = connection(account, batch_size=2)
    account.fail(times=10, after=1)
    assert run_import(config).status == Run.Status.FAILED
    assert PendingEnterpriseCustomerUser.objects.count() == 0
    account.faults.clear()
    assert run_import(config).sent == 5


def test_duplicates_and_missing_attributes(account):
    account.add(email="twin@example.com", username="a")
    account.add(email="twin@example.com", username="b")
    account.add(email="solo@example.com")
    run = run_import(connection(account))
    assert run.status == Run.Status.COMPLETED_WITH_ERRORS
    assert RunError.objects.filter(run=run, message__contains="appears several times").count() == 2
    assert next(iter(pending(run.configuration.specific().customer).values())) == {"first_name": "", "manager": ""}


def test_the_mapping_accepts_custom_attributes_only_in_their_form():
    config = MiniOrangeConfiguration(customer=CustomerFactory(), customer_key="1", attribute_mapping={"email": "mail"})
    assert "attribute_mapping" in config.import_errors()
    config.attribute_mapping = {"email": "email", "department": "customAttributes.Department"}
    assert "attribute_mapping" not in config.import_errors()


def test_an_answer_without_the_users_list_fails_the_run_naming_the_keys_it_holds(account, monkeypatch):
    from integrated_channels.miniorange.client import MiniOrangeClient

    config = connection(account)
    monkeypatch.setattr(
        MiniOrangeClient, "post", lambda self, path, body, what: {"status": "SUCCESS", "userList": [], "count": 0}
    )
    run = run_import(config)
    assert run.status == Run.Status.FAILED
    assert "without a list of users under 'users' (keys: count, status, userList)" in run.error_message
    assert PendingEnterpriseCustomerUser.objects.count() == 0
