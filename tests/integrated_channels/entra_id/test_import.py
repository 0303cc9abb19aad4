"""The Entra ID connector against the strict fake of Microsoft Graph (tests/fakes/graph.py)."""

from __future__ import annotations

import json

import pytest

from enterprise.models import EnterpriseCustomerUser, PendingEnterpriseCustomerUser
from integrated_channels.entra_id.attributes import ATTRIBUTES, COMPLEX, USER_PROPERTIES
from integrated_channels.entra_id.models import EntraDeltaState, EntraIDConfiguration
from integrated_channels.entra_id.operations import import_users
from integrated_channels.integrated_channel.models import PendingLearnerAttributes, Run, RunError
from integrated_channels.integrated_channel.services.connections import test_connection as run_connection_test
from tests.factories import CustomerFactory, LearnerFactory, UserFactory
from tests.fakes import graph as fake_module
from tests.fakes.graph import FakeGraph

pytestmark = pytest.mark.django_db

MAPPING = {"email": "mail", "manager": "manager.mail", "department": "department", "job_title": "jobTitle"}


@pytest.fixture
def graph():
    with FakeGraph() as fake:
        yield fake


def connection(graph, **kwargs) -> EntraIDConfiguration:
    values = {
        "customer": kwargs.pop("customer", None) or CustomerFactory(),
        "active": True,
        "tenant_id": graph.tenant_id,
        "client_id": graph.client_id,
        "client_secret": graph.client_secret,
        "login_url": graph.base_url,
        "graph_url": graph.base_url,
        "attribute_mapping": dict(MAPPING),
        **kwargs,
    }
    return EntraIDConfiguration.objects.create(**values)


def run_import(config) -> Run:
    run = import_users(config, trigger=Run.Trigger.COMMAND)
    run.refresh_from_db()
    return run


def pending(customer) -> dict[str, dict]:
    emails = PendingEnterpriseCustomerUser.objects.filter(customer=customer).values_list("user_email", flat=True)
    attributes = dict(PendingLearnerAttributes.objects.filter(customer=customer).values_list("email", "attributes"))
    return {email: attributes.get(email, {}) for email in emails}


def test_full_import_selects_the_mapped_properties_pages_by_999_and_expands_the_manager(graph):
    boss = graph.add_user(mail="boss@example.com", department="Board", jobTitle="CEO")
    worker = graph.add_user(mail="Ann@Example.com", department="Sales")
    graph.set_manager(worker, boss)
    graph.add_users(2000)
    known = UserFactory(email="boss@example.com")
    config = connection(graph)

    run = run_import(config)

    assert run.status == Run.Status.COMPLETED, run.error_message
    assert (run.selected, run.sent, run.failed) == (2002, 2002, 0)
    pages = graph.calls("/v1.0/users")
    assert len(pages) == 3  # ceil(2002 / 999)
    first = pages[0]["params"]
    assert first["$select"] == ["accountEnabled,department,id,jobTitle,mail,userPrincipalName"]
    assert first["$top"] == ["999"]
    assert first["$expand"] == ["manager($select=id,mail,userPrincipalName,displayName,employeeId)"]
    assert set(pages[1]["params"]) == {"$select", "$top", "$expand", "$skiptoken"}  # the nextLink, verbatim
    learner = EnterpriseCustomerUser.objects.get(customer=config.customer, user=known)
    assert learner.attributes == {"manager": "", "department": "Board", "job_title": "CEO"}
    assert pending(config.customer)["ann@example.com"] == {
        "manager": "boss@example.com",
        "department": "Sales",
        "job_title": "",  # absent on the user: an empty value, not a failure
    }
    assert graph.token_calls == 1
    token = graph.requests[0]
    assert token["path"] == f"/{graph.tenant_id}/oauth2/v2.0/token"
    assert EntraDeltaState.objects.get(configuration=config).delta_link.startswith(graph.base_url)


def test_test_connection_fills_the_primary_domain(graph):
    config = connection(graph)
    result = run_connection_test(config)
    assert result.ok, result.message
    assert "contoso.example" in result.message
    config.refresh_from_db()
    assert config.primary_domain == "contoso.example"
    assert "manager.mail" in result.found


def test_a_wrong_secret_fails_the_test_and_the_run_without_echoing_it(graph):
    config = connection(graph, client_secret="not-the-secret")
    result = run_connection_test(config)
    assert not result.ok
    assert "AADSTS7000215" in result.message
    assert "not-the-secret" not in result.message
    run = run_import(config)
    assert run.status == Run.Status.FAILED
    assert run.error_code == "token_request_failed"
    assert PendingEnterpriseCustomerUser.objects.count() == 0


def test_daily_sync_reads_only_the_changes(graph):
    ids = {name: graph.add_user(mail=f"{name}@example.com", department="Ops") for name in ("a", "b", "c", "d")}
    config = connection(graph, unlink_disabled=True)
    users = {name: UserFactory(email=f"{name}@example.com") for name in ids}
    assert run_import(config).status == Run.Status.COMPLETED
    assert EnterpriseCustomerUser.objects.filter(customer=config.customer, linked=True).count() == 4

    graph.update_user(ids["a"], department="Sales")
    graph.update_user(ids["b"], accountEnabled=False)
    graph.delete_user(ids["c"])
    graph.update_user(ids["d"], officeLocation="Paris")  # not mapped: not a change the delta tracks
    before = len(graph.requests)

    run = run_import(config)

    assert run.status == Run.Status.COMPLETED, run.error_message
    calls = graph.requests[before:]
    assert [call["path"] for call in calls] == ["/v1.0/users/delta", "/v1.0/users"]
    assert calls[1]["params"]["$filter"] == [f"id in ('{ids['a']}','{ids['b']}')"]
    linked = dict(EnterpriseCustomerUser.objects.filter(customer=config.customer).values_list("user__email", "linked"))
    assert linked == {"a@example.com": True, "b@example.com": False, "c@example.com": False, "d@example.com": True}
    a = EnterpriseCustomerUser.objects.get(customer=config.customer, user=users["a"])
    assert a.attributes["department"] == "Sales"
    assert run.learners_unlinked == 2
    assert run.skip_reasons == {"account_disabled": 1}

    before = len(graph.requests)
    quiet = run_import(config)
    assert quiet.status == Run.Status.COMPLETED
    assert [call["path"] for call in graph.requests[before:]] == ["/v1.0/users/delta"]  # no change: one call
    assert quiet.remote_calls == 1


def test_throttling_is_honoured(graph, waits):
    graph.add_user(mail="a@example.com")
    config = connection(graph, use_delta=False)
    graph.throttle(1, retry_after=7, path="/v1.0/users")
    run = run_import(config)
    assert run.status == Run.Status.COMPLETED, run.error_message
    assert 7 in waits
    assert len(graph.calls("/v1.0/users")) == 2


def test_a_page_failing_mid_import_applies_nothing_and_the_next_run_resumes(graph):
    graph.add_users(1500)
    config = connection(graph)
    graph.fail(times=10, status=503, path="/v1.0/users", after=1)  # page 2 fails after every retry

    failed = run_import(config)

    assert failed.status == Run.Status.FAILED
    assert "503" in failed.error_message
    assert PendingEnterpriseCustomerUser.objects.count() == 0
    assert not EntraDeltaState.objects.filter(configuration=config).exists()
    graph.faults.clear()
    again = run_import(config)
    assert again.status == Run.Status.COMPLETED
    assert again.sent == 1500


def test_a_forgotten_delta_token_reads_everyone_again(graph):
    graph.add_user(mail="a@example.com")
    config = connection(graph)
    run_import(config)
    graph.add_user(mail="b@example.com")
    graph.forget_before = graph.version + 1
    before = len(graph.requests)
    run = run_import(config)
    assert run.status == Run.Status.COMPLETED
    paths = [call["path"] for call in graph.requests[before:]]
    assert paths == ["/v1.0/users/delta", "/v1.0/users/delta", "/v1.0/users"]  # 410, a new start, everyone
    assert set(pending(config.customer)) == {"a@example.com", "b@example.com"}


def test_duplicate_emails_are_reported_per_person(graph):
    graph.add_user(mail="twin@example.com", userPrincipalName="one@example.com")
    graph.add_user(mail="twin@example.com", userPrincipalName="two@example.com")
    graph.add_user(mail="ok@example.com")
    graph.add_user(mail="not-an-email")
    config = connection(graph)
    run = run_import(config)
    assert run.status == Run.Status.COMPLETED_WITH_ERRORS
    messages = list(RunError.objects.filter(run=run).values_list("message", flat=True))
    assert len([m for m in messages if "appears several times" in m]) == 2
    assert any("one@example.com" in m for m in messages) and any("two@example.com" in m for m in messages)
    assert set(pending(config.customer)) == {"ok@example.com"}


def test_manager_filter_reads_everyone_each_time(graph):
    boss = graph.add_user(mail="boss@example.com")
    report = graph.add_user(mail="report@example.com")
    graph.set_manager(report, boss)
    graph.add_user(mail="other@example.com")
    config = connection(graph, import_under_managers="boss@example.com")
    run = run_import(config)
    assert run.status == Run.Status.COMPLETED
    assert set(pending(config.customer)) == {"report@example.com"}
    before = len(graph.requests)
    run_import(config)
    assert "/v1.0/users" in [call["path"] for call in graph.requests[before:]]


def test_the_fake_refuses_what_graph_refuses(graph):
    import requests

    config = connection(graph)
    from integrated_channels.entra_id.client import GraphClient

    client = GraphClient(config)
    token = client.token().value
    headers = {"Authorization": f"Bearer {token}"}

    def get(query):
        return requests.get(f"{graph.base_url}/v1.0/users?{query}", headers=headers, timeout=5)

    assert get("$select=mail,nosuch").json()["error"]["code"] == "Request_BadRequest"
    assert get("$select=skills").json()["error"]["code"] == "Request_UnsupportedQuery"
    assert "not supported" in get("$skip=10").json()["error"]["message"]
    assert get("$top=1000").status_code == 400
    assert get("$filter=startswith(mail,'a')").status_code == 400
    many = ",".join(f"'{n}'" for n in range(16))
    assert get(f"$filter=id in ({many})").status_code == 400
    assert requests.get(f"{graph.base_url}/v1.0/users", timeout=5).status_code == 401
    assert get("$select=mail").status_code == 200


def test_every_offered_attribute_is_a_user_property_of_the_csdl():
    properties = fake_module.load_properties()["user"]
    for name in USER_PROPERTIES:
        assert name in properties, name
        assert name not in fake_module.SINGLE_USER_ONLY
    for name in COMPLEX:
        assert name in properties
    assert all(column.split(".")[0] in {*USER_PROPERTIES, *COMPLEX, "manager"} for column in ATTRIBUTES)


def test_the_committed_property_extract_matches_the_csdl():
    path = fake_module.csdl_path()
    if path is None:
        pytest.skip("../shared/data/msgraph is not on this machine")
    extract = json.loads(fake_module.DATA.read_text())
    csdl = fake_module.properties_from_csdl(path)
    for entity in ("user", "organization", "employeeOrgData", "onPremisesExtensionAttributes"):
        assert extract[entity] == csdl[entity]
    for part in COMPLEX["employeeOrgData"]:
        assert part in csdl["employeeOrgData"]


def test_a_learner_linked_by_other_means_keeps_its_link_when_a_disabled_account_is_not_theirs(graph):
    other = LearnerFactory()
    graph.add_user(mail="gone@example.com", accountEnabled=False)
    config = connection(graph, customer=other.customer)
    run = run_import(config)
    assert run.status == Run.Status.COMPLETED
    other.refresh_from_db()
    assert other.linked
    assert run.skip_reasons == {"account_disabled": 1}


def test_a_token_refused_mid_import_is_replaced_once(graph):
    graph.add_users(1200)
    config = connection(graph)
    assert run_import(config).status == Run.Status.COMPLETED
    graph.expire_tokens()
    graph.update_user(next(iter(graph.users)), department="Changed")
    run = run_import(config)
    assert run.status == Run.Status.COMPLETED, run.error_message
    assert graph.token_calls == 2


def test_the_queries_do_not_grow_with_the_people(graph):
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    def queries_for(count, domain):
        fake_ids = graph.add_users(count, domain=domain, start=len(graph.users))
        config = connection(graph, use_delta=False)
        with CaptureQueriesContext(db) as captured:
            run = run_import(config)
        assert run.sent == len(graph.users), run.error_message
        for object_id in fake_ids:
            graph.delete_user(object_id)
        return len(captured)

    small = queries_for(10, "small.example.com")
    large = queries_for(1500, "large.example.com")  # two pages
    # 1,500 people: the bulk inserts' second batch of 1,000 and a second page of object ids; nothing per person.
    assert large <= small + 5
