"""In a real browser: the SFTP connection's mapping screen fills its drop-downs from a sample file, and the
filters' builder adds and removes conditions on the same columns."""

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
        # The filters' builder: two rows added, the first removed; its column drop-down offers the sample's.
        builder = page.locator("#id_import_conditions")
        builder.get_by_role("button", name="Add a filter").click()
        builder.get_by_role("button", name="Add a filter").click()
        assert builder.locator("tbody tr").count() == 2
        assert builder.locator("#id_import_conditions-2-column option").all_inner_texts() == [
            "— choose a column —",
            "Work Email",
            "Boss",
            "Dept, full name",
            "Cost center",
        ]
        builder.locator("tbody tr").first.get_by_role("button", name="Remove").click()
        page.select_option("#id_import_conditions-2-column", "Dept, full name")
        page.select_option("#id_import_conditions-2-op", label="in")
        page.fill("#id_import_conditions-2-value", "Sales, Ops")
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
    assert config.import_conditions == [{"column": "Dept, full name", "op": "in", "value": ["Sales", "Ops"]}]


def test_a_bad_filter_is_shown_next_to_its_row_and_fixed_in_the_builder(live_server, open_browser, artifacts_dir):
    StaffFactory(username="operator")
    config = SFTPConfigurationFactory(
        active=False,
        attribute_mapping={"email": "Email", "manager": "Boss"},
        source_columns=["Email", "Boss", "Status"],
        import_conditions=[{"column": "Status", "op": "eq", "value": "Active"}],
    )
    login_url = live_server.url + reverse("admin:login")
    change_url = live_server.url + reverse("admin:sftp_sftpconfiguration_change", args=[config.pk])

    with open_browser() as page:
        page.goto(login_url)
        page.fill("#id_username", "operator")
        page.fill("#id_password", "password")
        page.click("input[type=submit]")
        page.goto(change_url)
        assert page.locator("#id_import_conditions-1-column").input_value() == "Status"
        page.get_by_role("button", name="Add a filter").click()
        page.select_option("#id_import_conditions-2-column", "Status")
        page.select_option("#id_import_conditions-2-op", label="contains")
        page.click("input[name=_continue]")
        row = page.locator("#id_import_conditions tr.errors")
        row.wait_for()
        assert row.get_attribute("data-row") == "2" and "needs a text value." in row.inner_text()
        assert "Filter 2, value: needs a text value." in page.locator(".field-import_conditions").inner_text()
        page.screenshot(path=str(artifacts_dir / "sftp-filters-error.png"), full_page=True)
        page.fill("#id_import_conditions-2-value", "temp")
        page.select_option("#id_import_conditions-2-op", label="≠")
        page.click("input[name=_continue]")
        page.wait_for_selector("text=was changed successfully")

    config = SFTPConfiguration.objects.get(pk=config.pk)
    assert config.import_conditions == [
        {"column": "Status", "op": "eq", "value": "Active"},
        {"column": "Status", "op": "ne", "value": "temp"},
    ]
