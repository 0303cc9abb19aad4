"""The filters' builder (``imports.forms.ConditionsField``): rows of column, operator, value, stored as JSON."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from integrated_channels.integrated_channel.imports.forms import ConditionsField
from integrated_channels.sftp.admin import SFTPConfigurationForm
from tests.integrated_channels.sftp.factories import SFTPConfigurationFactory

pytestmark = pytest.mark.django_db


def rows(*conditions, name="import_conditions") -> dict:
    """The builder as posted: a marker, then ``<name>-<n>-column|op|value`` for each row."""
    data = {name: "rows"}
    for number, (column, op, value) in enumerate(conditions, start=1):
        data.update({f"{name}-{number}-column": column, f"{name}-{number}-op": op, f"{name}-{number}-value": value})
    return data


def post(config, *conditions, sample=None):
    data = {
        "customer": str(config.customer.pk),
        "name": config.name,
        "protocol": "sftp",
        "box_auth": "ccg",
        "box_subject_type": "enterprise",
        "host": config.host,
        "port": str(config.port),
        "username": config.username,
        "host_key_fingerprint": config.host_key_fingerprint,
        "base_path": ".",
        "notify_when": "never",
        "attribute_mapping__email": "Email",
        "attribute_mapping__manager": "Boss",
        **rows(*conditions),
    }
    files = {"sample_file": SimpleUploadedFile("sample.csv", sample.encode())} if sample else {}
    return SFTPConfigurationForm(data=data, files=files, instance=config)


@pytest.fixture
def config():
    return SFTPConfigurationFactory(
        active=False,
        attribute_mapping={"email": "Email", "manager": "Boss"},
        source_columns=["Email", "Boss", "Status"],
    )


def test_valid_rows_are_stored_as_the_same_json_and_blank_rows_are_ignored(config):
    form = post(config, ("Status", "ne", " Left "), ("", "eq", ""), ("Boss", "in", "a@x.com, b@x.com,"))
    assert form.is_valid(), form.errors
    form.save()
    config.refresh_from_db()
    assert config.import_conditions == [
        {"column": "Status", "op": "ne", "value": "Left"},
        {"column": "Boss", "op": "in", "value": ["a@x.com", "b@x.com"]},
    ]
    # Shown again as rows: the stored column chosen, the learner field it feeds named beside it.
    html = str(SFTPConfigurationForm(instance=config)["import_conditions"])
    assert '<option value="Boss" selected>Boss → Manager (e-mail)</option>' in html
    assert 'name="import_conditions-2-value" id="id_import_conditions-2-value" value="a@x.com, b@x.com"' in html
    assert '<option value="ne" selected>≠</option>' in html


def test_removing_every_row_stores_no_conditions(config):
    config.import_conditions = [{"column": "Status", "op": "eq", "value": "Active"}]
    config.save()
    form = post(config)
    assert form.is_valid(), form.errors
    form.save()
    config.refresh_from_db()
    assert config.import_conditions == []


def test_a_bad_operator_is_named_by_row_and_part_next_to_its_row(config):
    form = post(config, ("Status", "eq", "Active"), ("Status", "lt", "3"))
    assert not form.is_valid()
    assert form.errors["import_conditions"] == ["Filter 2, op: unknown operator 'lt' (use eq, ne, in, contains)."]
    html = str(form["import_conditions"])
    assert '<tr class="import-condition errors" data-row="2">' in html
    assert "<li>unknown operator &#x27;lt&#x27; (use eq, ne, in, contains).</li>" in html
    assert '<tr class="import-condition" data-row="1">' in html


def test_a_column_the_source_does_not_have_is_refused(config):
    form = post(config, ("Nope", "eq", "x"))
    assert not form.is_valid()
    assert form.errors["import_conditions"] == [
        "Filter 1, column: 'Nope' is not a column of the source (Email, Boss, Status)."
    ]


def test_with_a_sample_file_the_filters_must_read_its_columns(config):
    form = post(config, ("Status", "eq", "Active"), sample="Email,Boss,Country\n")
    assert not form.is_valid()
    assert form.errors["import_conditions"][0].startswith("Filter 1, column: 'Status' is not a column of the source")
    form = post(config, ("Country", "in", "FR,DE"), sample="Email,Boss,Country\n")
    assert form.is_valid(), form.errors


@pytest.mark.parametrize(
    ("op", "message"),
    [
        ("contains", "Filter 1, value: needs a text value."),
        ("in", "Filter 1, value: 'in' needs at least one value."),
    ],
)
def test_an_empty_value_is_refused_where_the_operator_needs_one(config, op, message):
    form = post(config, ("Status", op, "  "))
    assert not form.is_valid()
    assert form.errors["import_conditions"] == [message]


def test_an_empty_value_with_equals_means_the_column_is_empty(config):
    form = post(config, ("Status", "eq", ""))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["import_conditions"] == [{"column": "Status", "op": "eq", "value": ""}]


def test_a_value_without_a_column_names_the_row():
    field = ConditionsField()
    field.configure(["A"])
    value = field.widget.value_from_datadict(rows(("A", "eq", "1"), ("", "eq", "2")), {}, "import_conditions")
    with pytest.raises(ValidationError, match=re.escape("Filter 2, column: needs a column.")):
        field.clean(value)


def test_a_directory_connection_accepts_the_attributes_its_connector_can_read():
    from integrated_channels.salesforce.admin import SalesforceConfigurationForm
    from integrated_channels.salesforce.models import SalesforceConfiguration

    form = SalesforceConfigurationForm(instance=SalesforceConfiguration())
    field = form.fields["import_conditions"]
    assert field.clean([{"column": "Region__c", "op": "eq", "value": "EMEA"}])  # an org's custom field
    with pytest.raises(ValidationError, match="Filter 1, column: 'not a field!' is not a column"):
        field.clean([{"column": "not a field!", "op": "eq", "value": "x"}])
