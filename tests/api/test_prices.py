"""Prices of courses and programs: constraints, resolution, and the API's per-customer isolation."""

import uuid
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from enterprise.models import Price
from enterprise.services.prices import prices_for
from tests.api.conftest import errors_of

URL = "/enterprise/api/v1/prices/"
COURSE = "course-v1:Acme+CS101+2027"


@pytest.mark.django_db
class TestPriceConstraints:
    def test_amount_must_be_positive_in_the_database(self):
        with pytest.raises(IntegrityError), transaction.atomic():
            Price.objects.create(content_type="course", content_id=COURSE, amount=Decimal("0"), currency="USD")

    def test_currency_must_be_iso_4217_in_the_database(self):
        with pytest.raises(IntegrityError), transaction.atomic():
            Price.objects.create(content_type="course", content_id=COURSE, amount=Decimal("10"), currency="XXX")

    def test_one_default_and_one_per_customer(self, customer):
        Price.objects.create(content_type="course", content_id=COURSE, amount=Decimal("10"), currency="USD")
        Price.objects.create(
            customer=customer, content_type="course", content_id=COURSE, amount=Decimal("8"), currency="USD"
        )
        with pytest.raises(IntegrityError), transaction.atomic():
            Price.objects.create(content_type="course", content_id=COURSE, amount=Decimal("11"), currency="EUR")
        with pytest.raises(IntegrityError), transaction.atomic():
            Price.objects.create(
                customer=customer, content_type="course", content_id=COURSE, amount=Decimal("9"), currency="EUR"
            )

    def test_customer_price_wins_over_default_in_one_query(self, customer, other_customer, django_assert_num_queries):
        Price.objects.create(content_type="course", content_id=COURSE, amount=Decimal("10"), currency="USD")
        Price.objects.create(content_type="course", content_id="c2", amount=Decimal("5"), currency="USD")
        Price.objects.create(
            customer=customer, content_type="course", content_id=COURSE, amount=Decimal("8"), currency="EUR"
        )
        with django_assert_num_queries(1):
            mine = prices_for(customer.pk, "course", [COURSE, "c2", "unpriced"])
        assert (mine[COURSE].amount, mine[COURSE].currency, mine[COURSE].customer_specific) == (
            Decimal("8"),
            "EUR",
            True,
        )
        assert mine["c2"].amount == Decimal("5") and "unpriced" not in mine
        assert prices_for(other_customer.pk, "course", [COURSE])[COURSE].amount == Decimal("10")


@pytest.mark.django_db
class TestPriceApi:
    def test_staff_sets_a_default_price(self, api_staff):
        response = api_staff.post(
            URL, {"content_type": "course", "content_id": COURSE, "amount": "49.90", "currency": "EUR"}, format="json"
        )
        assert response.status_code == 201, response.json()
        assert response.json()["customer"] is None
        assert Price.objects.get().amount == Decimal("49.90")

    @pytest.mark.parametrize(
        ("payload", "field"),
        [
            ({"amount": "-1", "currency": "USD"}, "amount"),
            ({"amount": "0", "currency": "USD"}, "amount"),
            ({"amount": "10", "currency": "usd"}, "currency"),
            ({"amount": "10", "currency": "XAU"}, "currency"),
            ({"amount": "10.5", "currency": "JPY"}, "amount"),
        ],
    )
    def test_bad_prices_are_field_errors(self, api_staff, payload, field):
        response = api_staff.post(URL, {"content_type": "course", "content_id": COURSE, **payload}, format="json")
        assert response.status_code == 400
        assert field in {e["field"] for e in errors_of(response)}
        assert not Price.objects.exists()

    def test_a_program_is_named_by_its_uuid(self, api_staff):
        response = api_staff.post(
            URL, {"content_type": "program", "content_id": "not-a-uuid", "amount": "10", "currency": "USD"}
        )
        assert response.status_code == 400
        assert {e["field"] for e in errors_of(response)} == {"content_id"}
        program = uuid.uuid4()
        response = api_staff.post(
            URL, {"content_type": "program", "content_id": str(program).upper(), "amount": "10", "currency": "USD"}
        )
        assert response.status_code == 201
        assert response.json()["content_id"] == str(program)

    def test_a_second_default_for_the_same_course_is_a_400_not_a_500(self, api_staff):
        body = {"content_type": "course", "content_id": COURSE, "amount": "10", "currency": "USD"}
        assert api_staff.post(URL, body).status_code == 201
        response = api_staff.post(URL, body)
        assert response.status_code == 400
        assert Price.objects.count() == 1

    def test_admin_prices_only_their_customer(self, api_admin, customer, other_customer):
        ok = api_admin.post(
            URL,
            {
                "customer": str(customer.uuid),
                "content_type": "course",
                "content_id": COURSE,
                "amount": "7",
                "currency": "USD",
            },
        )
        assert ok.status_code == 201, ok.json()
        other = api_admin.post(
            URL,
            {
                "customer": str(other_customer.uuid),
                "content_type": "course",
                "content_id": COURSE,
                "amount": "7",
                "currency": "USD",
            },
        )
        assert other.status_code == 400
        default = api_admin.post(
            URL, {"content_type": "course", "content_id": COURSE, "amount": "7", "currency": "USD"}
        )
        assert default.status_code == 400
        assert {e["code"] for e in errors_of(default)} == {"staff_only"}
        assert Price.objects.count() == 1

    def test_another_customers_price_is_not_found(self, api_admin, api_other, customer, other_customer):
        theirs = Price.objects.create(
            customer=other_customer, content_type="course", content_id=COURSE, amount=Decimal("3"), currency="USD"
        )
        default = Price.objects.create(content_type="course", content_id=COURSE, amount=Decimal("9"), currency="USD")
        listed = api_admin.get(URL).json()["results"]
        assert [p["id"] for p in listed] == [default.pk]
        assert api_admin.get(f"{URL}{theirs.pk}/").status_code == 404
        assert api_admin.patch(f"{URL}{theirs.pk}/", {"amount": "1"}).status_code == 404
        assert api_admin.delete(f"{URL}{theirs.pk}/").status_code == 404
        # a default is read, never written, by a customer's administrator
        assert api_admin.get(f"{URL}{default.pk}/").status_code == 200
        assert api_admin.patch(f"{URL}{default.pk}/", {"amount": "1"}).status_code == 404
        changed = api_other.patch(f"{URL}{theirs.pk}/", {"amount": "4"})
        assert changed.status_code == 200, changed.json()
        theirs.refresh_from_db()
        assert theirs.amount == Decimal("4")

    def test_anonymous_is_refused(self, api_anon):
        assert api_anon.get(URL).status_code in (401, 403)
