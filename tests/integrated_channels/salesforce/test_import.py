"""The Salesforce connector against the strict fake of an org (tests/fakes/salesforce.py)."""

from __future__ import annotations

import pytest
import requests

from enterprise.models import EnterpriseCustomerUser, PendingEnterpriseCustomerUser
from integrated_channels.integrated_channel.models import PendingLearnerAttributes, Run, RunError
from integrated_channels.integrated_channel.services.connections import test_connection as run_connection_test
from integrated_channels.salesforce.models import SalesforceConfiguration
from integrated_channels.salesforce.operations import import_users
from tests.factories import CustomerFactory, UserFactory
from tests.fakes.salesforce import FakeSalesforce

pytestmark = pytest.mark.django_db

MAPPING = {"email": "Email", "manager": "Manager.Email", "department": "Department", "first_name": "FirstName"}


@pytest.fixture
def org():
    with FakeSalesforce() as fake:
        yield fake


def connection(org, **kwargs) -> SalesforceConfiguration:
    values = {
        "customer": kwargs.pop("customer", None) or CustomerFactory(),
        "active": True,
        "my_domain_url": org.base_url,
        "client_id": org.client_id,
        "client_secret": org.client_secret,
        "attribute_mapping": dict(MAPPING),
        **kwargs,
    }
    return SalesforceConfiguration.objects.create(**values)


def run_import(config) -> Run:
    run = import_users(config, trigger=Run.Trigger.COMMAND)
    run.refresh_from_db()
    return run


def pages(org) -> list[dict]:
    """The query calls that read records (not the COUNT() that chooses between REST and Bulk)."""
    return [c for c in org.calls("query") if not c["params"].get("q", "").startswith("SELECT COUNT()")]


def pending(customer) -> dict[str, dict]:
    emails = PendingEnterpriseCustomerUser.objects.filter(customer=customer).values_list("user_email", flat=True)
    attrs = dict(PendingLearnerAttributes.objects.filter(customer=customer).values_list("email", "attributes"))
    return {email: attrs.get(email, {}) for email in emails}


def test_users_are_read_with_one_soql_query_paged_by_next_records_url(org):
    boss = org.add("User", Email="boss@example.com", Department="Board")
    org.add("User", Email="ann@example.com", ManagerId=boss, FirstName="Ann")
    org.add("User", Email="old@example.com", IsActive=False)
    org.add_users(2100)
    UserFactory(email="boss@example.com")
    config = connection(org)

    run = run_import(config)

    assert run.status == Run.Status.COMPLETED, run.error_message
    assert run.sent == 2102
    queries = pages(org)
    assert len(queries) == 2  # 2,000 a page
    assert queries[0]["params"]["q"] == (
        "SELECT Department, Email, FirstName, Id, Manager.Email FROM User WHERE IsActive = true"
    )
    assert queries[0]["headers"]["Sforce-Query-Options"] == "batchSize=2000"
    assert queries[1]["path"].startswith("/services/data/v62.0/query/01g")
    assert pending(config.customer)["ann@example.com"] == {
        "manager": "boss@example.com",
        "department": "",
        "first_name": "Ann",
    }
    boss_learner = EnterpriseCustomerUser.objects.get(customer=config.customer, user__email="boss@example.com")
    assert boss_learner.attributes["department"] == "Board"
    assert "old@example.com" not in pending(config.customer)
    assert org.token_calls == 1


def test_contacts_by_a_field_and_its_values(org):
    org.add("Contact", Email="a@example.com", LeadSource="Partner O'Neil")
    org.add("Contact", Email="b@example.com", LeadSource="Web")
    org.add("Contact", Email="c@example.com", LeadSource="Event")
    config = connection(
        org,
        records="contacts",
        contacts_column="LeadSource",
        contacts_values="Partner O'Neil\nEvent",
        attribute_mapping={"email": "Email", "manager": "ReportsTo.Email"},
    )
    run = run_import(config)
    assert run.status == Run.Status.COMPLETED, run.error_message
    assert pages(org)[0]["params"]["q"].endswith("FROM Contact WHERE LeadSource IN ('Partner O\\'Neil', 'Event')")
    assert set(pending(config.customer)) == {"a@example.com", "c@example.com"}

    everyone = connection(
        org, customer=config.customer, name="all", records="contacts", attribute_mapping={"email": "Email"}
    )
    assert run_import(everyone).sent == 3


def test_contact_values_with_a_backslash_or_a_quote_are_escaped_in_the_query(org):
    org.add("Contact", Email="a@example.com", LeadSource="C:\\leads\\")
    org.add("Contact", Email="b@example.com", LeadSource="it's")
    org.add("Contact", Email="c@example.com", LeadSource="C:leads")
    config = connection(
        org,
        records="contacts",
        contacts_column="LeadSource",
        contacts_values="C:\\leads\\\nit's",
        attribute_mapping={"email": "Email"},
    )
    run = run_import(config)
    assert run.status == Run.Status.COMPLETED, run.error_message
    assert pages(org)[0]["params"]["q"].endswith("WHERE LeadSource IN ('C:\\\\leads\\\\', 'it\\'s')")
    assert set(pending(config.customer)) == {"a@example.com", "b@example.com"}


def test_an_unknown_field_is_the_orgs_invalid_field_error(org):
    org.add("User", Email="a@example.com")
    config = connection(org, attribute_mapping={"email": "Email", "department": "Nope__c"})
    run = run_import(config)
    assert run.status == Run.Status.FAILED
    assert "INVALID_FIELD" in run.error_message and "Nope__c" in run.error_message


def test_an_expired_session_is_renewed_once(org):
    org.add("User", Email="a@example.com")
    config = connection(org)
    assert run_import(config).status == Run.Status.COMPLETED
    org.revoke_tokens()
    assert run_import(config).status == Run.Status.COMPLETED
    assert org.token_calls == 2


def test_the_request_limit_fails_the_run_without_retrying(org):
    org.add("User", Email="a@example.com")
    config = connection(org)
    org.limit_exceeded()
    run = run_import(config)
    assert run.status == Run.Status.FAILED
    assert "REQUEST_LIMIT_EXCEEDED" in run.error_message
    assert len(org.calls("query")) == 1


def test_a_page_failing_mid_import_applies_nothing(org):
    org.add_users(2500)
    config = connection(org)
    org.fail(times=10, after=2)  # the count, the first page, then the second fails
    failed = run_import(config)
    assert failed.status == Run.Status.FAILED
    assert PendingEnterpriseCustomerUser.objects.count() == 0
    org.faults.clear()
    assert run_import(config).sent == 2500


def test_manager_hierarchy_and_duplicates(org):
    top = org.add("User", Email="top@example.com")
    mid = org.add("User", Email="mid@example.com", ManagerId=top)
    org.add("User", Email="low@example.com", ManagerId=mid)
    org.add("User", Email="twin@example.com", ManagerId=mid)
    org.add("User", Email="twin@example.com", ManagerId=mid)
    org.add("User", Email="other@example.com")
    config = connection(org, import_under_managers="top@example.com")
    run = run_import(config)
    assert run.status == Run.Status.COMPLETED_WITH_ERRORS
    assert set(pending(config.customer)) == {"mid@example.com", "low@example.com"}
    assert RunError.objects.filter(run=run, message__contains="appears several times").count() == 2


def test_test_connection_counts_and_a_wrong_secret_is_not_echoed(org):
    org.add("User", Email="a@example.com")
    assert "1 users to import" in run_connection_test(connection(org)).message
    bad = connection(org, client_secret="wrong-secret-value")
    result = run_connection_test(bad)
    assert (not result.ok and "invalid_client" in result.message) or "invalid client" in result.message
    assert "wrong-secret-value" not in result.message


def test_the_fake_refuses_malformed_soql(org):
    config = connection(org)
    from integrated_channels.salesforce.client import SalesforceClient

    token = SalesforceClient(config).token().value
    headers = {"Authorization": f"Bearer {token}"}

    def query(q, **extra):
        return requests.get(
            f"{org.base_url}/services/data/v62.0/query", params={"q": q}, headers={**headers, **extra}, timeout=5
        )

    assert query("SELECT Email FROM User WHERE Email = unquoted").json()[0]["errorCode"] == "MALFORMED_QUERY"
    assert query("SELECT Boss.Email FROM User").json()[0]["errorCode"] == "INVALID_FIELD"
    assert query("SELECT Email FROM Lead").json()[0]["errorCode"] == "INVALID_TYPE"
    assert query("SELECT Email FROM User", **{"Sforce-Query-Options": "batchSize=5000"}).status_code == 400
    assert requests.get(f"{org.base_url}/services/data/v62.0/query", params={"q": "x"}, timeout=5).status_code == 401


def test_above_the_threshold_a_bulk_query_job_reads_the_records(org):
    boss = org.add("User", Email="boss@example.com")
    org.add("User", Email="ann@example.com", ManagerId=boss, FirstName="Ann")
    org.add_users(5)
    config = connection(org, bulk_threshold=3)
    run = run_import(config)
    assert run.status == Run.Status.COMPLETED, run.error_message
    assert run.sent == 7
    jobs = org.calls("job")
    assert [c["path"].rsplit("/", 1)[-1] for c in jobs][-1] == "results"
    assert pending(config.customer)["ann@example.com"] == {
        "manager": "boss@example.com",
        "department": "",
        "first_name": "Ann",
    }
    assert pages(org) == []  # no REST page: the count, then the job
