"""The connections API reads and writes a connection's child ``rows`` (the xAPI import's mappings and
filters) through the same service as ``manage.py connections apply/export``, one customer never
reaching another's."""

from __future__ import annotations

import pytest

from integrated_channels.integrated_channel.services import connection_files
from integrated_channels.xapi.models import XAPIImportConfiguration, XAPIImportFilter, XAPIImportMapping
from tests.api.conftest import errors_of
from tests.integrated_channels.sftp.factories import FINGERPRINT

BASE = "/integrated_channels/api/v1/connections"
MAPPINGS = [
    {"path": "actor.mbox", "column": "Email", "value_type": "string"},
    {"path": "verb.id", "column": "Verb", "value_type": "string"},
]


def xapi_import(customer, **kwargs):
    values = {
        "customer": customer,
        "name": "LMS statements",
        "host": "127.0.0.1",
        "port": 22,
        "username": "acme",
        "password": "pw",
        "host_key_fingerprint": FINGERPRINT,
        "source_file": "import/xapi.csv",
        **kwargs,
    }
    connection = XAPIImportConfiguration.objects.create(**values)
    for row in MAPPINGS:
        XAPIImportMapping.objects.create(configuration=connection, **row)
    XAPIImportFilter.objects.create(configuration=connection, name="only LMS", field="Source", value="lms")
    return connection


@pytest.fixture
def imports(customer):
    return xapi_import(customer)


def test_the_detail_shows_the_rows_as_the_export_does_and_the_list_leaves_them_out(api_admin, imports):
    body = api_admin.get(f"{BASE}/{imports.pk}/").json()
    assert body["rows"] == connection_files.rows_of(imports) == connection_files.describe(imports)["rows"]
    assert body["rows"]["mappings"] == MAPPINGS
    assert body["rows"]["filters"] == [{"name": "only LMS", "field": "Source", "operator": "equals", "value": "lms"}]
    assert "rows" not in api_admin.get(f"{BASE}/").json()["results"][0]


def test_a_connector_without_rows_has_no_rows_field(api_admin, customer):
    from tests.testconnector.models import EchoConnection

    echo = EchoConnection.objects.create(customer=customer, name="main", token="t")
    assert "rows" not in api_admin.get(f"{BASE}/{echo.pk}/").json()


def test_patching_rows_replaces_those_given_and_keeps_the_others(api_admin, imports):
    mappings = [*MAPPINGS, {"path": "result.score.scaled", "column": "Score", "value_type": "number"}]
    response = api_admin.patch(f"{BASE}/{imports.pk}/", {"rows": {"mappings": mappings}}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["rows"]["mappings"] == mappings
    assert list(imports.mappings.values_list("column", flat=True)) == ["Email", "Verb", "Score"]
    assert imports.filters.count() == 1  # not given: kept
    response = api_admin.patch(f"{BASE}/{imports.pk}/", {"rows": {"filters": []}}, format="json")
    assert response.status_code == 200 and response.json()["rows"]["filters"] == []


def test_a_new_connection_is_created_with_its_rows(api_admin, customer):
    payload = {
        "channel": "XAPI_IMPORT",
        "customer": str(customer.uuid),
        "name": "second",
        "host": "127.0.0.1",
        "port": 22,
        "username": "acme",
        "password": "pw",
        "host_key_fingerprint": FINGERPRINT,
        "source_file": "import/other.csv",
        "rows": {"mappings": MAPPINGS},
    }
    response = api_admin.post(f"{BASE}/", payload, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["rows"] == {"filters": [], "mappings": MAPPINGS}


def test_a_bad_row_is_named_like_the_file_names_it_and_nothing_is_saved(api_admin, imports):
    rows = {"mappings": [MAPPINGS[0], {"path": "no such path", "column": "X", "value_type": "string"}]}
    response = api_admin.patch(f"{BASE}/{imports.pk}/", {"name": "renamed", "rows": rows}, format="json")
    assert response.status_code == 400
    errors = errors_of(response)
    assert [error["field"] for error in errors] == ["rows.mappings[1].path"]
    # The same message as the connections file's.
    item = {**connection_files.describe(imports), "rows": rows}
    with pytest.raises(connection_files.ConnectionFileRefused) as refused:
        connection_files.apply([item], dry_run=True)
    assert f"rows.mappings[1].path: {errors[0]['message']}" in refused.value.errors[0]
    imports.refresh_from_db()
    assert imports.name == "LMS statements" and imports.mappings.count() == 2  # all or nothing


@pytest.mark.parametrize(
    ("rows", "field", "message"),
    [
        ({"nope": []}, "rows", "Unknown field(s) nope. Known: filters, mappings."),
        ({"mappings": {}}, "rows.mappings", "Expected a list of objects."),
        ({"filters": [{"name": "x", "colour": "red"}]}, "rows.filters[0]", "Unknown field(s) colour."),
        (
            {"filters": [{"name": "d", "field": "When", "operator": "after", "value": "soon"}]},
            "rows.filters[0].value",
            "",
        ),
        ([], "rows", "Expected an object"),
    ],
)
def test_rows_errors_name_the_relation_index_and_field(api_admin, imports, rows, field, message):
    response = api_admin.patch(f"{BASE}/{imports.pk}/", {"rows": rows}, format="json")
    assert response.status_code == 400
    (error,) = errors_of(response)
    assert error["field"] == field and message in error["message"]
    assert imports.mappings.count() == 2 and imports.filters.count() == 1


def test_another_customers_rows_are_neither_read_nor_written(api_admin, api_other, other_customer, imports):
    foreign = xapi_import(other_customer)
    assert api_admin.get(f"{BASE}/{foreign.pk}/").status_code == 404
    response = api_admin.patch(f"{BASE}/{foreign.pk}/", {"rows": {"mappings": []}}, format="json")
    assert response.status_code == 404 and foreign.mappings.count() == 2
    # Their own administrators see their rows only.
    assert api_other.get(f"{BASE}/{foreign.pk}/").json()["rows"]["mappings"] == MAPPINGS
    assert api_other.get(f"{BASE}/{imports.pk}/").status_code == 404
