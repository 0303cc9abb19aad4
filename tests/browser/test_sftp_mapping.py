"""In a real browser: the SFTP connection's mapping screen fills its drop-downs from a sample file."""

import pytest
from django.urls import reverse

from enterprise.models import LearnerField
from integrated_channels.sftp.models import SFTPConfiguration
from tests.factories import CustomerFactory, StaffFactory
from tests.integrated_channels.sftp.factories import SFTPConfigurationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SAMPLE = (
    '\ufeffWork Email,Boss,"Dept, full name",Cost center\r\n'
    "ann@example.com,boss@example.com,Sales,CC-1\r\n"
    "bob@example.com,,Ops,CC-2\r\n"
).encode()


def test_map_attributes_from_a_sample_file_and_save(live_server, open_browser, tmp_path, artifacts_dir):
    StaffFactory(username="operator")  # password "password"
    customer = CustomerFactory(name="Acme Corporation")
    LearnerField.objects.create(customer=customer, key="cost_center", label="Cost center", kind="imported")
    LearnerField.objects.create(customer=customer, key="tshirt", label="T-shirt size", kind="manual")
    config = SFTPConfigurationFactory(customer=customer, active=False, attribute_mapping={"email": "email"})
    sample = tmp_path / "sample.csv"
    sample.write_bytes(SAMPLE)
    login_url = live_server.url + reverse("admin:login")
    change_url = live_server.url + reverse("admin:sftp_sftpconfiguration_change", args=[config.pk])

    with open_browser() as page:
        page.goto(login_url)
        page.fill("#id_username", "operator")
        page.fill("#id_password", "password")
        page.click("input[type=submit]")
        page.goto(change_url)
        email = page.locator("#id_attribute_mapping__email")
        # Before the sample: the drop-down offers only the column mapped so far.
        assert email.locator("option").all_inner_texts() == ["— choose a column —", "email"]

        page.set_input_files("#id_sample_file", str(sample))
        page.wait_for_function("document.querySelectorAll('#id_attribute_mapping__email option').length === 5")
        assert email.locator("option").all_inner_texts() == [
            "— choose a column —",
            "Work Email",
            "Boss",
            "Dept, full name",
            "Cost center",
        ]
        # The mandatory e-mail has no "do not import"; the others do.
        assert "Do not import from source" in page.locator("#id_attribute_mapping__manager").inner_text()
        email.select_option("Work Email")
        page.select_option("#id_attribute_mapping__manager", "Boss")
        page.select_option("#id_attribute_mapping__department", "Dept, full name")
        page.select_option("#id_attribute_mapping__cost_center", "Cost center")
        page.select_option("#id_attribute_mapping__tshirt", label="Do not import from source")
        page.check("#id_active")
        page.screenshot(path=str(artifacts_dir / "sftp-mapping.png"), full_page=True)
        page.click("input[name=_continue]")
        page.wait_for_selector("text=Columns of the sample file")

    config = SFTPConfiguration.objects.get(pk=config.pk)
    assert config.attribute_mapping == {
        "email": "Work Email",
        "manager": "Boss",
        "department": "Dept, full name",
        "cost_center": "Cost center",
        "tshirt": None,
    }
    assert config.active and config.source_columns == ["Work Email", "Boss", "Dept, full name", "Cost center"]
