"""The directory connectors' change forms: the mapping screen offers the connector's attributes; secrets write-only."""

import pytest
from django.urls import reverse

from integrated_channels.entra_id.models import EntraIDConfiguration
from integrated_channels.workday.models import WorkdayConfiguration
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_the_entra_form_offers_graph_attributes_and_saves_a_mapping(admin_client):
    customer = CustomerFactory()
    add = reverse("admin:entra_id_entraidconfiguration_add")
    page = admin_client.get(add).content.decode()
    assert '<option value="manager.mail"' in page and '<option value="employeeOrgData.costCenter"' in page
    response = admin_client.post(
        add,
        {
            "customer": customer.pk,
            "name": "Tenant",
            "notify_when": "never",
            "tenant_id": "11111111-2222-3333-4444-555555555555",
            "client_id": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
            "client_secret": "s3cret-value",
            "login_url": "https://login.microsoftonline.com",
            "graph_url": "https://graph.microsoft.com",
            "attribute_mapping__email": "userPrincipalName",
            "attribute_mapping__department": "department",
            "import_conditions": "[]",
            "unlink_disabled": "on",
            "use_delta": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    config = EntraIDConfiguration.objects.get(name="Tenant")
    assert config.attribute_mapping == {"email": "userPrincipalName", "department": "department"}
    page = admin_client.get(reverse("admin:entra_id_entraidconfiguration_change", args=[config.pk])).content.decode()
    assert "s3cret-value" not in page


def test_a_workday_mapping_must_name_a_listed_path():
    config = WorkdayConfiguration(
        customer=CustomerFactory(),
        host_url="https://wd2-impl-services1.workday.com",
        tenant="acme",
        username="isu",
        password="x",
        attribute_mapping={"email": "wd:Nope"},
    )
    assert "Not an attribute of this directory: wd:Nope." in config.import_errors()["attribute_mapping"][0]


def test_the_framework_runs_a_directory_import_on_demand():
    from integrated_channels.integrated_channel.services import operations
    from integrated_channels.miniorange.models import MiniOrangeConfiguration
    from tests.fakes.miniorange import FakeMiniOrange

    with FakeMiniOrange() as account:
        account.add(email="a@example.com")
        config = MiniOrangeConfiguration.objects.create(
            customer=CustomerFactory(),
            active=True,
            base_url=account.base_url,
            customer_key=account.customer_key,
            api_key=account.api_key,
            attribute_mapping={"email": "email"},
        )
        run = operations.run_now(config, "user_import")
    run.refresh_from_db()
    assert (run.kind, run.status, run.sent) == ("user_import", "completed", 1)
