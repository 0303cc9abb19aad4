import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from integrated_channels.sftp.models import SFTPConfiguration
from tests.factories import CustomerFactory
from tests.integrated_channels.sftp.factories import FINGERPRINT

pytestmark = pytest.mark.django_db

URL = "/admin/sftp/sftpconfiguration/add/"


def mapped(value: dict) -> dict:
    """The mapping screen's drop-downs as posted: one select per learner field ("-": do not import)."""
    return {f"attribute_mapping__{key}": "-" if column is None else column for key, column in value.items()}


def form_data(customer, sample=None, mapping=None, **overrides):
    data = {
        "customer": str(customer.pk),
        "active": "on",
        "protocol": "sftp",
        "box_auth": "ccg",
        "box_subject_type": "enterprise",
        "host": "sftp.example.com",
        "port": "22",
        "username": "acme",
        "password": "pw-123",
        "private_key": "",
        "host_key_fingerprint": FINGERPRINT,
        "base_path": ".",
        "import_under_managers": "",
        "name": "default",
        "notify_emails": "",
        "notify_when": "never",
    }
    data.update(mapped({"email": "Email", "manager": "Boss"} if mapping is None else mapping))
    data.update(overrides)
    if sample is not None:
        data["sample_file"] = SimpleUploadedFile("sample.csv", sample.encode(), content_type="text/csv")
    return data


def test_a_sample_file_lists_its_columns_and_accepts_a_matching_mapping(admin_client):
    customer = CustomerFactory()
    response = admin_client.post(
        URL, form_data(customer, sample="Email,Boss,Dept\na@example.com,b@example.com,X\n"), follow=True
    )
    assert response.status_code == 200
    assert "Columns of the sample file: Email, Boss, Dept." in response.content.decode()
    config = SFTPConfiguration.objects.get(customer=customer)
    assert config.password == "pw-123" and config.attribute_mapping == {"email": "Email", "manager": "Boss"}


def test_a_sample_without_the_mapped_columns_or_with_a_non_email_manager_is_refused(admin_client):
    customer = CustomerFactory()
    response = admin_client.post(URL, form_data(customer, sample="Email,Boss\na@example.com,Bob\n"))
    body = response.content.decode()
    assert response.status_code == 200 and not SFTPConfiguration.objects.exists()
    assert "sample.csv, row 2, column &#x27;Boss&#x27;: &#x27;Bob&#x27; is not an e-mail address" in body

    response = admin_client.post(URL, form_data(customer, sample="Email,Department\na@example.com,X\n"))
    assert (
        "sample.csv: column &#x27;Boss&#x27; (mapped to &#x27;manager&#x27;) is missing." in response.content.decode()
    )


def test_an_active_connection_without_mandatory_mapping_is_refused(admin_client):
    customer = CustomerFactory()
    response = admin_client.post(URL, form_data(customer, mapping={"manager": "Boss"}))
    assert "Map the mandatory attributes before activating: email." in response.content.decode()
    assert not SFTPConfiguration.objects.exists()


def test_change_page_links_each_operation_whose_page_lists_runs_newest_first_with_bars(admin_client, sftp_server):
    from django.urls import reverse

    from integrated_channels.sftp.services import ondemand
    from tests.integrated_channels.sftp.factories import connection_to

    config = connection_to(sftp_server)
    sftp_server.write("import/user/internal/a.csv", "Email,Manager,Department\nx@example.com,,A\nbad,,A\n")
    first = ondemand.run_now(configuration=config, operation=ondemand.IMPORT)
    second = ondemand.run_now(configuration=config, operation=ondemand.IMPORT)

    change = admin_client.get(f"/admin/sftp/sftpconfiguration/{config.pk}/change/").content.decode()
    pages = [
        reverse("admin:integrated_channel_operation", args=[config.pk, code])
        for code in ("user_import", "file_export", "skills_export")
    ]
    assert all(f'href="{page}"' in change for page in pages)
    assert f"#{second.pk} Completed" in change  # the last run of the import
    body = admin_client.get(pages[0]).content.decode()

    assert body.index(f">#{second.pk}<") < body.index(f">#{first.pk}<")
    assert "Completed with errors" in body and "2 / 1 / 0 / 1" in body
    assert 'class="run-ok" style="display:inline-block;height:8px;width:60px' in body
    assert f"/admin/integrated_channel/run/{first.pk}/" in body and ">CSV</a>" in body


def test_the_error_report_csv_of_an_import_names_file_row_and_column(admin_client, sftp_server):
    from django.urls import reverse

    from integrated_channels.sftp.services import ondemand
    from tests.integrated_channels.sftp.factories import connection_to

    config = connection_to(sftp_server)
    sftp_server.write("import/user/internal/a.csv", "Email,Manager,Department\nbad,,A\n")
    run = ondemand.run_now(configuration=config, operation=ondemand.IMPORT)

    response = admin_client.get(reverse("admin:integrated_channel_run_error_report", args=[run.pk]))

    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    assert "import/user/internal/a.csv, row 2, column 'Email'" in content.decode()


def change_data(config, **mapping):
    # The stored server: a changed host would ask the secrets again (decision 0152).
    data = form_data(config.customer, mapping=mapping, host=config.host, port=str(config.port))
    data["password"] = ""  # write-only: blank keeps the stored one
    return data


def test_the_mapping_screen_lists_the_customers_fields_and_stores_do_not_import_as_null(admin_client):
    from enterprise.models import LearnerField
    from tests.integrated_channels.sftp.factories import SFTPConfigurationFactory

    config = SFTPConfigurationFactory(attribute_mapping={"email": "Email"}, source_columns=["Email", "Boss", "CC"])
    LearnerField.objects.create(customer=config.customer, key="cost_center", label="Cost center", kind="imported")
    url = f"/admin/sftp/sftpconfiguration/{config.pk}/change/"

    body = admin_client.get(url).content.decode()
    assert 'name="attribute_mapping__cost_center"' in body and "(imported field)" in body
    assert '<option value="CC">CC</option>' in body  # the stored columns fill the drop-downs

    # A custom field left undecided blocks an active connection (the seed: every field is mandatory).
    response = admin_client.post(url, change_data(config, email="Email", manager="Boss"))
    assert "Map the mandatory attributes before activating: cost_center." in response.content.decode()

    response = admin_client.post(url, change_data(config, email="Email", manager="Boss", cost_center=None))
    assert response.status_code == 302
    config.refresh_from_db()
    assert config.attribute_mapping == {"email": "Email", "manager": "Boss", "cost_center": None}

    # Only the source's columns can be chosen; e-mail can never be "do not import".
    response = admin_client.post(url, change_data(config, email="Mail", cost_center="CC"))
    assert "Not a column of the source: Mail." in response.content.decode()
    response = admin_client.post(url, change_data(config, email=None, cost_center="CC"))
    assert "Attribute &#x27;email&#x27; is mandatory: map it to a column." in response.content.decode()


def test_learner_fields_are_managed_on_the_customer_and_cannot_reuse_a_built_in_key(admin_client):
    from django.core.exceptions import ValidationError

    from enterprise.models import LearnerField

    customer = CustomerFactory()
    body = admin_client.get(f"/admin/enterprise/enterprisecustomer/{customer.pk}/change/").content.decode()
    assert "learner_fields-TOTAL_FORMS" in body
    with pytest.raises(ValidationError, match="manager is a built-in learner field"):
        LearnerField(customer=customer, key="manager", label="Boss").full_clean()
