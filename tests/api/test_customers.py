import pytest

from tests.api.conftest import errors_of
from tests.factories import CustomerFactory

BASE = "/enterprise/api/v1/customers"


def test_staff_lists_every_customer_newest_first_with_constant_queries(api_staff, django_assert_max_num_queries):
    for _ in range(12):
        CustomerFactory()
    with django_assert_max_num_queries(3):
        body = api_staff.get(f"{BASE}/?page_size=5").json()
    assert len(body["results"]) == 5
    seen = [row["uuid"] for row in body["results"]]
    while body["next"]:
        body = api_staff.get(body["next"]).json()
        seen += [row["uuid"] for row in body["results"]]
    assert len(seen) == len(set(seen)) == 12


def test_admin_sees_and_changes_only_their_customer(api_admin, customer, other_customer):
    body = api_admin.get(f"{BASE}/").json()
    assert [row["slug"] for row in body["results"]] == ["acme"]
    response = api_admin.patch(f"{BASE}/{customer.uuid}/", {"name": "Acme Corp", "country": "FR"}, format="json")
    assert response.status_code == 200, response.json()
    customer.refresh_from_db()
    assert (customer.name, customer.country.code) == ("Acme Corp", "FR")
    assert api_admin.patch(f"{BASE}/{other_customer.uuid}/", {"name": "X"}, format="json").status_code == 404


def test_validation_errors_have_field_and_code(api_staff, customer, other_customer):
    response = api_staff.patch(f"{BASE}/{customer.uuid}/", {"slug": "globex", "country": "ZZ"}, format="json")
    assert response.status_code == 400
    errors = {entry["field"]: entry for entry in errors_of(response)}
    assert errors["slug"]["code"] == "unique"
    assert errors["country"]["code"] == "invalid_choice"
    assert errors["slug"]["row"] is None


@pytest.mark.parametrize("slug", ["globex", "no-such-slug-yet"])
def test_a_customer_admin_cannot_probe_other_customers_slugs(api_admin, customer, other_customer, slug):
    """A taken slug and a free one are refused alike: the answer does not confirm another customer's slug."""
    response = api_admin.patch(f"{BASE}/{customer.uuid}/", {"slug": slug}, format="json")

    assert response.status_code == 400
    assert errors_of(response) == [
        {
            "field": "slug",
            "row": None,
            "code": "staff_only",
            "message": "Only staff may change a customer's slug: ask them.",
        }
    ]
    customer.refresh_from_db()
    assert customer.slug == "acme"


def test_a_customer_admin_may_send_back_the_slug_unchanged(api_admin, customer):
    body = api_admin.get(f"{BASE}/{customer.uuid}/").json()
    response = api_admin.put(f"{BASE}/{customer.uuid}/", {**body, "name": "Acme Corp"}, format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["slug"] == "acme"


def test_learner_sees_no_customer(api_learner):
    assert api_learner.get(f"{BASE}/").json()["results"] == []


def test_unknown_customer_is_404(api_staff):
    response = api_staff.get(f"{BASE}/00000000-0000-0000-0000-000000000000/")
    assert response.status_code == 404
    assert errors_of(response) == [{"field": None, "row": None, "code": "not_found", "message": "Not found."}]


@pytest.mark.parametrize("method", ["post", "delete"])
def test_customers_are_not_created_or_deleted_over_the_api(api_staff, customer, method):
    url = f"{BASE}/" if method == "post" else f"{BASE}/{customer.uuid}/"
    assert getattr(api_staff, method)(url, {}, format="json").status_code == 405


def test_throttling_is_configurable_per_scope(api_admin, customer, settings):
    from rest_framework.settings import api_settings
    from rest_framework.throttling import ScopedRateThrottle

    original = ScopedRateThrottle.THROTTLE_RATES
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "enterprise": "2/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    ScopedRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    from django.core.cache import cache

    cache.clear()
    try:
        codes = [api_admin.get(f"{BASE}/").status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        response = api_admin.get(f"{BASE}/")
        assert errors_of(response)[0]["code"] == "throttled"
        assert "Retry-After" in response
    finally:
        ScopedRateThrottle.THROTTLE_RATES = original
        cache.clear()


def test_operators_grant_the_admin_role_in_the_customer_admin_page(staff_client, customer, customer_admin):
    response = staff_client.get(f"/admin/enterprise/enterprisecustomer/{customer.pk}/change/")
    assert response.status_code == 200
    assert b"API administrators" in response.content
    assert b"admins-0-user" in response.content
