"""The list filters (django-filter FilterSets, decision 0475): a malformed value is a 400 naming the
parameter, an empty one is no filter, and a filter only narrows what the user may see."""

import pytest

from consent.models import DataSharingConsent
from integrated_channels.integrated_channel.models import Run
from tests.api.conftest import errors_of
from tests.integrated_channels.factories import TestChannelConfigurationFactory

E, CH, C = "/enterprise/api/v1", "/integrated_channels/api/v1", "/consent/api/v1/consents/"
UUID = ("invalid", "Not a valid UUID.")

MALFORMED = [
    (f"{E}/enrollments/", "customer", "nope", *UUID),
    (f"{E}/prices/", "customer", "nope", *UUID),
    (f"{CH}/configurations/", "customer", "x", *UUID),
    (f"{CH}/connections/", "customer", "x", *UUID),
    (f"{CH}/runs/", "customer", "x", *UUID),
    (f"{CH}/runs/", "configuration", "x", "invalid", "Not a configuration id."),
    (f"{CH}/runs/", "configuration", "-1", "invalid", "Not a configuration id."),
    (f"{CH}/runs/", "configuration", "1.0", "invalid", "Not a configuration id."),
    (f"{CH}/runs/", "connection", "x", "invalid", "Not a connection id."),
    (f"{CH}/runs/", "status", "nope", "invalid_choice", "Not a run status."),
    (C, "customer", "x", *UUID),
    (C, "user_id", "x", "invalid", "Not a user id."),
    (C, "user_id", "-3", "invalid", "Not a user id."),
]


@pytest.mark.parametrize(("url", "name", "value", "code", "message"), MALFORMED)
def test_a_malformed_filter_is_a_400_naming_it(api_staff, url, name, value, code, message):
    response = api_staff.get(url, {name: value})
    assert response.status_code == 400
    assert errors_of(response) == [{"field": name, "row": None, "code": code, "message": message}]


@pytest.mark.parametrize(
    ("url", "names"),
    [
        (f"{E}/enrollments/", ["customer", "course_id", "program_id"]),
        (f"{E}/prices/", ["customer", "content_type", "content_id"]),
        (f"{CH}/configurations/", ["customer", "channel"]),
        (f"{CH}/runs/", ["customer", "configuration", "connection", "operation", "status"]),
        (C, ["customer", "course_id", "user_id"]),
    ],
)
def test_an_empty_filter_is_no_filter(api_staff, url, names):
    assert api_staff.get(url, dict.fromkeys(names, "")).status_code == 200


@pytest.fixture
def two_customers_rows(customer, other_customer, customer_admin):
    rows = {}
    for owner in (customer, other_customer):
        config = TestChannelConfigurationFactory(customer=owner)
        run = Run.objects.create(
            configuration=config,
            customer=owner,
            channel="TEST",
            status=Run.Status.RUNNING,
            started_at="2027-01-01T00:00:00Z",
            heartbeat_at="2027-01-01T00:00:00Z",
        )
        consent = DataSharingConsent.objects.create(customer=owner, user=customer_admin, course_id="course-v1:X+1")
        rows[owner.pk] = {"config": config, "run": run, "consent": consent}
    return rows


def _ids(response) -> set:
    assert response.status_code == 200
    return {row["id"] for row in response.json()["results"]}


def test_filters_narrow_never_widen(api_admin, customer, other_customer, two_customers_rows):
    mine, theirs = two_customers_rows[customer.pk], two_customers_rows[other_customer.pk]
    assert _ids(api_admin.get(f"{CH}/configurations/", {"customer": other_customer.uuid})) == set()
    assert _ids(api_admin.get(f"{CH}/configurations/", {"channel": "test"})) == {mine["config"].pk}
    assert _ids(api_admin.get(f"{CH}/runs/", {"customer": other_customer.uuid})) == set()
    assert _ids(api_admin.get(f"{CH}/runs/", {"configuration": theirs["config"].pk})) == set()
    assert _ids(api_admin.get(f"{CH}/runs/", {"connection": theirs["config"].pk})) == set()
    assert _ids(api_admin.get(f"{CH}/runs/", {"connection": mine["config"].pk})) == {mine["run"].pk}
    assert _ids(api_admin.get(f"{CH}/runs/", {"status": "running", "operation": "nope"})) == set()
    # the administrator's own consent given to the other customer is theirs to read; the filter picks it
    assert _ids(api_admin.get(C, {"customer": other_customer.uuid})) == {theirs["consent"].pk}
    assert _ids(api_admin.get(C, {"customer": customer.uuid, "user_id": 10**9})) == set()
