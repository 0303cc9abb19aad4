import pytest

from integrated_channels import testing
from integrated_channels.integrated_channel.models import Run, RunError
from integrated_channels.testing.models import TestChannelConfiguration
from tests.api.conftest import errors_of
from tests.integrated_channels.factories import TestChannelConfigurationFactory, completed_enrollment

BASE = "/integrated_channels/api/v1"
KEY = "k3y-DO-NOT-LEAK"


@pytest.fixture(autouse=True)
def in_process(settings):
    settings.INTEGRATED_CHANNELS = {"USE_CELERY": False}
    testing.outbox.clear()
    yield
    testing.outbox.clear()


@pytest.fixture
def config(customer):
    return TestChannelConfigurationFactory(customer=customer, api_key=KEY)


@pytest.fixture
def foreign_config(other_customer):
    return TestChannelConfigurationFactory(customer=other_customer, api_key=KEY)


@pytest.fixture
def run(config):
    completed_enrollment(config.customer)
    config.refuse_course_ids = ""
    response_run = Run.objects.create(
        configuration=config,
        customer=config.customer,
        channel="TEST",
        status=Run.Status.COMPLETED_WITH_ERRORS,
        started_at="2027-01-01T00:00:00Z",
        heartbeat_at="2027-01-01T00:00:00Z",
        finished_at="2027-01-01T00:01:00Z",
        selected=2,
        sent=1,
        failed=1,
    )
    RunError.objects.create(run=response_run, outcome="failed", username="bob", message="=HYPERLINK(evil)")
    return response_run


def test_configurations_list_without_secrets(api_admin, config, foreign_config, django_assert_max_num_queries):
    with django_assert_max_num_queries(5):
        response = api_admin.get(f"{BASE}/configurations/")
    body = response.json()
    assert [row["id"] for row in body["results"]] == [config.pk]
    row = body["results"][0]
    assert row["channel"] == "TEST" and row["secrets_set"] == ["api_key"] and "api_key" not in row
    assert "records_per_call" in row
    assert KEY not in response.content.decode()


def test_secret_is_write_only(api_admin, config):
    response = api_admin.patch(
        f"{BASE}/configurations/{config.pk}/", {"api_key": "new", "records_per_call": 5}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert "api_key" not in response.json()
    config.refresh_from_db()
    assert (config.api_key, config.records_per_call) == ("new", 5)


def test_create_configuration(api_admin, customer, other_customer):
    payload = {"channel": "TEST", "customer": str(customer.uuid), "api_key": "x", "records_per_call": 3}
    response = api_admin.post(f"{BASE}/configurations/", payload, format="json")
    assert response.status_code == 201, response.json()
    assert TestChannelConfiguration.objects.get(customer=customer).api_key == "x"
    assert response.json()["name"] == "default"
    again = api_admin.post(f"{BASE}/configurations/", payload, format="json")
    assert (again.status_code, errors_of(again)[0]["code"], errors_of(again)[0]["field"]) == (400, "unique", "name")
    second = api_admin.post(f"{BASE}/configurations/", {**payload, "name": "second account"}, format="json")
    assert second.status_code == 201 and second.json()["name"] == "second account"
    assert TestChannelConfiguration.objects.filter(customer=customer).count() == 2
    foreign = api_admin.post(
        f"{BASE}/configurations/", {**payload, "customer": str(other_customer.uuid)}, format="json"
    )
    assert (foreign.status_code, errors_of(foreign)[0]["field"]) == (400, "customer")
    assert api_admin.post(f"{BASE}/configurations/", [None], format="json").status_code == 400
    unknown = api_admin.post(f"{BASE}/configurations/", {**payload, "channel": "NOPE"}, format="json")
    assert errors_of(unknown)[0]["field"] == "channel"


def test_run_now_runs_and_lists_the_run(api_admin, config):
    config.active = True
    config.save()
    completed_enrollment(config.customer)
    response = api_admin.post(f"{BASE}/configurations/{config.pk}/run/", {"dry_run": False}, format="json")
    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["queued"] is False
    assert body["runs"][0]["sent"] == 1
    run = Run.objects.get(pk=body["runs"][0]["run_id"])
    assert (run.trigger, run.api_user.username) == ("api", "acme-admin")
    listed = api_admin.get(f"{BASE}/runs/?configuration={config.pk}").json()["results"]
    assert [(r["id"], r["sent"]) for r in listed] == [(run.pk, 1)]


def test_run_now_refuses_inactive(api_admin, config):
    config.active = False
    config.save()
    response = api_admin.post(f"{BASE}/configurations/{config.pk}/run/", {}, format="json")
    assert response.status_code == 409
    assert errors_of(response)[0]["code"] == "inactive"


def test_runs_with_counts_and_error_report(api_admin, run, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        body = api_admin.get(f"{BASE}/runs/").json()
    assert body["results"][0]["failed"] == 1
    response = api_admin.get(body["results"][0]["error_report"])
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode()
    assert "'=HYPERLINK(evil)" in text


@pytest.mark.parametrize("query", ["status=nope", "configuration=x", "customer=x"])
def test_bad_run_filters(api_admin, query):
    assert api_admin.get(f"{BASE}/runs/?{query}").status_code == 400


@pytest.mark.parametrize(
    ("method", "template"),
    [
        ("get", "configurations/{c}/"),
        ("patch", "configurations/{c}/"),
        ("post", "configurations/{c}/run/"),
        ("get", "runs/{r}/"),
        ("get", "runs/{r}/errors/"),
    ],
)
def test_other_customer_and_learner_get_404(api_other, api_learner, config, run, method, template):
    url = f"{BASE}/" + template.format(c=config.pk, r=run.pk)
    for client in (api_other, api_learner):
        response = getattr(client, method)(url, {"api_key": "stolen"}, format="json")
        assert response.status_code == 404
        assert KEY not in response.content.decode()
    config.refresh_from_db()
    assert config.api_key == KEY
    assert Run.objects.count() == 1
    assert api_other.get(f"{BASE}/runs/").json()["results"] == []
    assert api_other.get(f"{BASE}/configurations/").json()["results"] == []


@pytest.mark.parametrize(
    ("method", "template"),
    [
        ("get", "configurations/"),
        ("post", "configurations/"),
        ("get", "configurations/{c}/"),
        ("patch", "configurations/{c}/"),
        ("post", "configurations/{c}/run/"),
        ("get", "runs/"),
        ("get", "runs/{r}/"),
        ("get", "runs/{r}/errors/"),
    ],
)
def test_anonymous_gets_401(api_anon, config, run, method, template):
    response = getattr(api_anon, method)(f"{BASE}/" + template.format(c=config.pk, r=run.pk), {}, format="json")
    assert response.status_code == 401


def test_an_identity_provider_of_another_customer_is_not_found(api_admin, customer, other_customer):
    """A SAP configuration names an identity provider: another customer's answers like a missing one
    (not "belongs to another customer", which would confirm it), and is never attached (decision 0156)."""
    from integrated_channels.sap_success_factors.models import SAPSuccessFactorsConfiguration
    from tests.factories import IdentityProviderFactory
    from tests.integrated_channels.factories import SAPConfigurationFactory

    config = SAPConfigurationFactory(customer=customer)
    foreign = IdentityProviderFactory(customer=other_customer)
    own = IdentityProviderFactory(customer=customer)
    url = f"{BASE}/configurations/{config.pk}/"

    answers = [api_admin.patch(url, {"identity_provider": pk}, format="json") for pk in (foreign.pk, foreign.pk + 1000)]

    assert [response.status_code for response in answers] == [400, 400]
    first, missing = (errors_of(response) for response in answers)
    assert first == [{**missing[0], "message": missing[0]["message"].replace(str(foreign.pk + 1000), str(foreign.pk))}]
    assert SAPSuccessFactorsConfiguration.objects.get(pk=config.pk).identity_provider_id is None
    assert api_admin.patch(url, {"identity_provider": own.pk}, format="json").status_code == 200


def test_an_identity_provider_of_another_administered_customer_is_refused(api_admin, customer, customer_admin):
    """The model's rule (one customer's configuration, that customer's identity provider) holds in the API."""
    from enterprise.models import EnterpriseCustomerAdmin
    from tests.factories import CustomerFactory, IdentityProviderFactory
    from tests.integrated_channels.factories import SAPConfigurationFactory

    second = CustomerFactory()
    EnterpriseCustomerAdmin.objects.create(customer=second, user=customer_admin)
    config = SAPConfigurationFactory(customer=customer)
    response = api_admin.patch(
        f"{BASE}/configurations/{config.pk}/",
        {"identity_provider": IdentityProviderFactory(customer=second).pk},
        format="json",
    )

    assert response.status_code == 400
    assert errors_of(response)[0]["field"] == "identity_provider"


def test_a_sap_user_type_that_does_not_fit_the_completion_mode_is_refused(api_admin, customer):
    """Issue 22 item 7: the model's rule between fields holds in the API, on the configuration as it would be saved."""
    from integrated_channels.sap_success_factors.models import SAPSuccessFactorsConfiguration
    from tests.integrated_channels.factories import SAPConfigurationFactory

    base = "/integrated_channels/api/v1/configurations/"
    payload = {
        "channel": "SAP",
        "customer": str(customer.uuid),
        "base_url": "http://127.0.0.1:9/",
        "company_id": "ACME",
        "client_id": "client",
        "client_secret": "s3cret",
        "sap_user_id": "sfadmin",
        "user_type": "user",
    }
    created = api_admin.post(base, payload, format="json")
    assert created.status_code == 400
    assert [(e["field"], e["code"]) for e in errors_of(created)] == [("user_type", "invalid")]
    assert not SAPSuccessFactorsConfiguration.objects.exists()

    config = SAPConfigurationFactory(customer=customer, completion_mode="user", user_type="user")
    patched = api_admin.patch(f"{base}{config.pk}/", {"completion_mode": "admin"}, format="json")
    assert patched.status_code == 400
    assert errors_of(patched)[0]["field"] == "user_type"
    both = api_admin.patch(f"{base}{config.pk}/", {"completion_mode": "admin", "user_type": "admin"}, format="json")
    assert both.status_code == 200, both.json()


def test_renaming_a_configuration_to_a_taken_name_is_a_400_on_name(api_admin, customer):
    payload = {"channel": "TEST", "customer": str(customer.uuid), "api_key": "x", "records_per_call": 3}
    assert api_admin.post(f"{BASE}/configurations/", payload, format="json").status_code == 201
    second = api_admin.post(f"{BASE}/configurations/", {**payload, "name": "second"}, format="json").json()

    taken = api_admin.patch(f"{BASE}/configurations/{second['id']}/", {"name": "default"}, format="json")
    renamed = api_admin.patch(f"{BASE}/configurations/{second['id']}/", {"name": "third"}, format="json")

    assert (taken.status_code, errors_of(taken)[0]["code"], errors_of(taken)[0]["field"]) == (400, "unique", "name")
    assert (renamed.status_code, renamed.json()["name"]) == (200, "third")
