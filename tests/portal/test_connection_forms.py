"""The portal's connection forms: create and edit a connection with the admin's own form (mapping,
filters, write-only secrets), Test connection from the form, the customer scope, CSRF and the audit log."""

import re

import pytest
from django.test import Client

from enterprise.models import EnterpriseCustomerIdentityProvider, PortalAction
from integrated_channels.integrated_channel.admin.connection_forms import connection_form
from integrated_channels.integrated_channel.models import ChannelConfiguration, PortalConnector
from integrated_channels.sap_success_factors.models import SAPSuccessFactorsConfiguration
from integrated_channels.sftp.models import SFTPConfiguration
from tests.factories import CustomerFactory, UserFactory
from tests.portal.support import administrator, url
from tests.testconnector import REMOTE
from tests.testconnector.models import EchoConnection

pytestmark = pytest.mark.django_db

TOKEN = "open-sesame"
SFTP_PASSWORD = "sftp-secret-93b1"
FINGERPRINT = "SHA256:" + "A" * 43


@pytest.fixture(autouse=True)
def remote():
    REMOTE["rows"], REMOTE["exported"] = [], []


@pytest.fixture
def acme():
    customer = CustomerFactory(name="Acme Corp", slug="acme")
    PortalConnector.objects.create(customer=customer, channel="ECHO")
    PortalConnector.objects.create(customer=customer, channel="SFTP")
    return customer


@pytest.fixture
def globex():
    customer = CustomerFactory(name="Globex", slug="globex")
    PortalConnector.objects.create(customer=customer, channel="ECHO")
    PortalConnector.objects.create(customer=customer, channel="SFTP")
    return customer


@pytest.fixture
def echo(acme):
    return EchoConnection.objects.create(customer=acme, name="main", active=True, token=TOKEN)


def echo_data(**overrides):
    data = {"name": "main", "active": "on", "endpoint": "memory://echo", "token": "", "notify_when": "never"}
    data.update(overrides)
    return data


def actions():
    return list(PortalAction.objects.order_by("pk").values_list("action", "counts", "status_code"))


def test_tiles_link_to_a_new_connection_and_to_each_connections_form(admin_client, acme, echo):
    page = admin_client.get(url("connectors", acme)).content.decode()
    assert url("connection_create", acme, channel_code="ECHO") in page
    assert url("connection_create", acme, channel_code="SFTP") in page
    assert url("connection_edit", acme, configuration_id=echo.pk) in page


def test_create_a_connection_the_customer_is_the_pages_and_the_secret_is_never_shown(admin_client, acme):
    page = admin_client.get(url("connection_create", acme, channel_code="ECHO"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="customer"' not in html and 'name="name"' in html and 'type="password"' in html
    response = admin_client.post(url("connection_create", acme, channel_code="ECHO"), echo_data(token=TOKEN))
    created = EchoConnection.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("connection_edit", acme, configuration_id=created.pk)
    assert (created.customer_id, created.channel, created.name, created.token) == (acme.pk, "ECHO", "main", TOKEN)
    html = admin_client.get(response["Location"]).content.decode()
    assert TOKEN not in html and "main saved." in html and "leave blank to keep the stored value" in html
    assert actions() == [("connections:create", {"saved": 1}, 302)]


def test_a_blank_secret_keeps_the_stored_one_a_typed_one_replaces_it(admin_client, acme, echo):
    target = url("connection_edit", acme, configuration_id=echo.pk)
    assert admin_client.post(target, echo_data(endpoint="memory://other")).status_code == 302
    echo.refresh_from_db()
    assert (echo.endpoint, echo.token) == ("memory://other", TOKEN)
    assert admin_client.post(target, echo_data(token="new-token-5c2e")).status_code == 302
    echo.refresh_from_db()
    assert echo.token == "new-token-5c2e"
    assert [row[0] for row in actions()] == ["connections:change", "connections:change"]


def test_a_refused_form_changes_nothing_and_does_not_echo_the_secret_typed(admin_client, acme, echo):
    response = admin_client.post(
        url("connection_create", acme, channel_code="ECHO"), echo_data(token="typed-secret-0d4c")
    )  # the name "main" is taken: the unique (customer, connector, name) check runs without a customer field
    assert response.status_code == 400
    html = response.content.decode()
    assert "already has a connection of this connector with this name" in html
    assert "typed-secret-0d4c" not in html and TOKEN not in html
    assert EchoConnection.objects.count() == 1
    assert actions() == [("connections:create", {"refused": 1}, 400)]


def test_an_sftp_connection_with_its_mapping_and_filters(admin_client, acme):
    data = {
        "name": "hr-files",
        "protocol": "sftp",
        "host": "127.0.0.1",
        "port": "22",
        "username": "acme",
        "password": SFTP_PASSWORD,
        "host_key_fingerprint": FINGERPRINT,
        "base_path": ".",
        "box_auth": "ccg",
        "box_subject_type": "enterprise",
        "notify_when": "never",
        "attribute_mapping__email": "Email",
        "attribute_mapping__department": "-",
        "import_conditions": "rows",
        "import_conditions-1-column": "Dept",
        "import_conditions-1-op": "in",
        "import_conditions-1-value": "Sales, Ops",
    }
    page = admin_client.get(url("connection_create", acme, channel_code="SFTP")).content.decode()
    assert 'id="id_attribute_mapping__email"' in page and "Add a filter" in page and 'name="sample_file"' in page
    response = admin_client.post(url("connection_create", acme, channel_code="SFTP"), data)
    assert response.status_code == 302
    created = SFTPConfiguration.objects.get()
    assert created.customer_id == acme.pk and created.password == SFTP_PASSWORD
    assert created.attribute_mapping == {"email": "Email", "department": None}
    assert created.import_conditions == [{"column": "Dept", "op": "in", "value": ["Sales", "Ops"]}]
    html = admin_client.get(response["Location"]).content.decode()
    assert SFTP_PASSWORD not in html
    assert re.search(r'<option value="Email" selected>Email</option>', html)  # the mapping's drop-down
    assert 'id="id_import_conditions-1-column"' in html


def test_test_connection_from_the_form_comes_back_to_it(admin_client, acme, echo):
    response = admin_client.post(url("connector_test", acme, configuration_id=echo.pk), {"next": "edit"})
    assert response["Location"] == url("connection_edit", acme, configuration_id=echo.pk)
    assert "main: Connected. Columns: email, name." in admin_client.get(response["Location"]).content.decode()
    response = admin_client.post(url("connector_test", acme, configuration_id=echo.pk), {"next": "//evil.test"})
    assert response["Location"] == url("connectors", acme)
    assert actions()[0][:2] == ("connections:test", {"ok": 1})


def test_only_allowed_connectors_are_offered(admin_client, acme, echo):
    PortalConnector.objects.filter(customer=acme, channel="ECHO").delete()
    assert admin_client.get(url("connection_create", acme, channel_code="ECHO")).status_code == 404
    assert admin_client.get(url("connection_edit", acme, configuration_id=echo.pk)).status_code == 404
    assert admin_client.post(url("connection_edit", acme, configuration_id=echo.pk), echo_data()).status_code == 404
    assert admin_client.get(url("connection_create", acme, channel_code="XAPI")).status_code == 404
    assert admin_client.get(url("connection_create", acme, channel_code="NOPE")).status_code == 404


def test_a_second_customers_administrator_gets_404_on_the_first_ones_connection_by_any_url(acme, globex, echo):
    client = Client()
    client.force_login(administrator(globex, "gus"))
    gets = [
        url("connection_edit", acme, configuration_id=echo.pk),
        url("connection_create", acme, channel_code="ECHO"),
        url("connection_edit", globex, configuration_id=echo.pk),  # their own customer, Acme's connection
        url("connector_operation", globex, configuration_id=echo.pk, code="echo_import"),
    ]
    for target in gets:
        response = client.get(target)
        assert response.status_code == 404, target
        assert b"main" not in response.content and TOKEN.encode() not in response.content
    posts = [
        (url("connection_edit", acme, configuration_id=echo.pk), echo_data(name="taken", token="x")),
        (url("connection_edit", globex, configuration_id=echo.pk), echo_data(name="taken", token="x")),
        (url("connection_create", acme, channel_code="ECHO"), echo_data(name="planted")),
        (url("connector_test", globex, configuration_id=echo.pk), {"next": "edit"}),
    ]
    for target, data in posts:
        assert client.post(target, data).status_code == 404, target
    echo.refresh_from_db()
    assert (echo.name, echo.token) == ("main", TOKEN)
    assert list(ChannelConfiguration.objects.values_list("customer_id", "name")) == [(acme.pk, "main")]
    assert {row[2] for row in actions()} == {404}
    # their own connector works
    assert client.get(url("connection_create", globex, channel_code="ECHO")).status_code == 200


def test_every_form_carries_the_csrf_token_and_a_post_without_it_is_refused(acme, echo):
    client = Client(enforce_csrf_checks=True)
    client.force_login(administrator(acme, "ada"))
    html = client.get(url("connection_edit", acme, configuration_id=echo.pk)).content.decode()
    forms = re.findall(r"<form[^>]*method=\"post\"[^>]*>(.*?)</form>", html, flags=re.S)
    assert len(forms) == 3  # sign out, Test connection, the settings
    assert all('name="csrfmiddlewaretoken"' in body for body in forms)
    assert client.post(url("connection_create", acme, channel_code="ECHO"), echo_data(name="new")).status_code == 403
    assert EchoConnection.objects.count() == 1 and not PortalAction.objects.exists()


def test_a_choice_of_other_rows_offers_only_the_customers_own(rf, acme, globex):
    own = EnterpriseCustomerIdentityProvider.objects.create(customer=acme, provider_id="acme-idp")
    EnterpriseCustomerIdentityProvider.objects.create(customer=globex, provider_id="globex-idp")
    request = rf.get("/")
    request.user = UserFactory()
    form = connection_form(SAPSuccessFactorsConfiguration, request).bind(acme)
    assert "customer" not in form.fields
    assert list(form.fields["identity_provider"].queryset) == [own]
