"""Adobe Commerce: priced courses and programs exported as products through async bulk calls,
against the strict fake (OAuth 1.0a signatures verified)."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from enterprise.lms.local import models as lms
from enterprise.models import Price
from integrated_channels.adobe_commerce.client import CommerceClient
from integrated_channels.adobe_commerce.models import AdobeCommerceConfiguration
from integrated_channels.adobe_commerce.operations import export_products, test_connection
from integrated_channels.integrated_channel.models import Run, RunError
from tests.factories import CustomerFactory
from tests.fakes.commerce import FakeCommerce


@pytest.fixture
def store():
    with FakeCommerce(open_polls=2) as fake:
        yield fake


@pytest.fixture
def connection(db, store):
    customer = CustomerFactory(slug="acme")
    return AdobeCommerceConfiguration.objects.create(
        customer=customer,
        name="shop",
        active=True,
        base_url=store.url,
        currency="USD",
        consumer_key="ck",
        consumer_secret="cs-secret",
        access_token="at",
        access_token_secret="ats-secret",
        category_id=7,
    )


def client_of(connection, waits):
    return CommerceClient(connection, sleep=waits.append)


def priced(customer, course_id, amount, currency="USD", title="A course"):
    lms.Course.objects.create(course_id=course_id, title=title)
    Price.objects.create(
        customer=customer, content_type="course", content_id=course_id, amount=Decimal(amount), currency=currency
    )


def test_priced_courses_and_programs_become_products_following_the_bulk_status(connection, store):
    customer = connection.customer
    priced(customer, "course-v1:Acme+PY+2027", "49.90", title="Python")
    lms.Course.objects.create(course_id="course-v1:Acme+FREE+2027", title="Unpriced")
    program = lms.Program.objects.create(program_id=uuid.uuid4(), title="Track")
    Price.objects.create(
        content_type="program", content_id=str(program.program_id), amount=Decimal("80"), currency="USD"
    )
    waits: list[float] = []

    run = export_products(connection, trigger=Run.Trigger.ADMIN, client=client_of(connection, waits))

    assert (run.status, run.selected, run.sent, run.failed) == (Run.Status.COMPLETED, 2, 2, 0)
    assert set(store.products) == {"course-v1:Acme+PY+2027", str(program.program_id)}
    python = store.products["course-v1:Acme+PY+2027"]
    assert (python["name"], python["price"], python["type_id"]) == ("Python", 49.9, "virtual")
    assert python["extension_attributes"]["category_links"][0]["category_id"] == "7"
    assert len(waits) == 2  # two "open" reads, then done
    assert ("POST", "/rest/default/async/bulk/V1/products") in store.requests


def test_refused_products_and_wrong_currency_are_per_item_errors(connection, store):
    customer = connection.customer
    priced(customer, "course-v1:Acme+OK+2027", "10")
    priced(customer, "course-v1:Acme+NO+2027", "10")
    priced(customer, "course-v1:Acme+EUR+2027", "10", currency="EUR")
    store.refuse["course-v1:Acme+NO+2027"] = "URL key for specified store already exists."

    run = export_products(connection, trigger=Run.Trigger.ADMIN, client=client_of(connection, []))

    assert (run.status, run.selected, run.sent, run.failed) == (Run.Status.COMPLETED_WITH_ERRORS, 3, 1, 2)
    errors = {e.course_id: (e.code, e.message) for e in RunError.objects.filter(run=run)}
    assert errors["course-v1:Acme+NO+2027"] == ("bulk_status_3", "URL key for specified store already exists.")
    assert errors["course-v1:Acme+EUR+2027"][0] == "currency"
    assert set(store.products) == {"course-v1:Acme+OK+2027"}


def test_a_wrong_secret_fails_the_run_and_is_never_echoed(connection, store):
    priced(connection.customer, "course-v1:Acme+PY+2027", "10")
    connection.consumer_secret = "wrong-secret-value"
    connection.save()

    run = export_products(connection, trigger=Run.Trigger.ADMIN, client=client_of(connection, []))

    assert run.status == Run.Status.FAILED
    assert (run.selected, run.sent, run.not_attempted) == (1, 0, 1)
    assert "wrong-secret-value" not in run.error_message
    assert store.products == {}


def test_the_fake_refuses_unsigned_and_replayed_requests(connection, store):
    import requests

    assert requests.get(store.url + "/rest/V1/store/storeConfigs", timeout=5).status_code == 401
    client = client_of(connection, [])
    prepared = client.session.prepare_request(requests.Request("GET", store.url + "/rest/V1/store/storeConfigs"))
    assert requests.Session().send(prepared, timeout=5).status_code == 200
    assert requests.Session().send(prepared, timeout=5).status_code == 401  # same nonce: a replay


def test_connection_checks_the_store_currency(connection, store):
    assert test_connection(connection).ok
    connection.currency = "EUR"
    result = test_connection(connection)
    assert not result.ok and "USD" in result.message


def test_bearer_token(connection, store):
    store.bearer = "bearer-token-value"
    connection.auth = AdobeCommerceConfiguration.Auth.BEARER
    connection.bearer_token = "bearer-token-value"
    assert test_connection(connection).ok
    connection.bearer_token = "nope"
    assert not test_connection(connection).ok
