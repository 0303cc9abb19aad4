"""The query budget of the hot API paths (decision 0111): list, search and bulk link.

A list or search page costs the token, the customer and one statement for both kinds of learner
(``UNION ALL``, the totals as a column of it on the first page) where the database takes a limit
in each part of a compound statement (PostgreSQL), else one statement per kind (SQLite).
"""

import datetime

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.fields import DateTimeField

from enterprise.models import EnterpriseCustomerUser, PendingEnterpriseCustomerUser
from tests.factories import LearnerFactory, PendingLearnerFactory, UserFactory


def url(customer, tail=""):
    return f"/enterprise/api/v1/customers/{customer.uuid}/learners/{tail}"


def page_statements(kinds: int = 2) -> int:
    return 1 if connection.features.supports_slicing_ordering_in_compound else kinds


@pytest.fixture
def learners(customer):
    """6 linked and 4 pending learners, newest first: l0, p0, l1, p1, …, l4, l5."""
    now = timezone.now()
    for i in range(6):
        linked = LearnerFactory(customer=customer, user=UserFactory(username=f"lrn{i}", email=f"lrn{i}@example.com"))
        EnterpriseCustomerUser.objects.filter(pk=linked.pk).update(created=now - datetime.timedelta(minutes=2 * i))
    for i in range(4):
        pending = PendingLearnerFactory(customer=customer, user_email=f"pnd{i}@example.com")
        PendingEnterpriseCustomerUser.objects.filter(pk=pending.pk).update(
            created=now - datetime.timedelta(minutes=2 * i + 1)
        )


def test_first_page_token_customer_and_one_statement_with_the_count(
    api_admin, customer, learners, django_assert_num_queries
):
    with django_assert_num_queries(2 + page_statements()):
        body = api_admin.get(url(customer) + "?page_size=3").json()
    assert body["count"] == 10
    assert [row["username"] or row["email"] for row in body["results"]] == ["lrn0", "pnd0@example.com", "lrn1"]
    with django_assert_num_queries(2 + page_statements()):
        body = api_admin.get(body["next"]).json()
    assert body["count"] is None  # only the first page counts
    shown = [row["username"] or row["email"] for row in body["results"]]
    assert shown == ["pnd1@example.com", "lrn2", "pnd2@example.com"]


def test_one_kind_costs_one_page_statement(api_admin, customer, learners, django_assert_num_queries):
    with django_assert_num_queries(3):
        body = api_admin.get(url(customer) + "?status=linked&page_size=2").json()
    assert body["count"] == 6 and [row["username"] for row in body["results"]] == ["lrn0", "lrn1"]
    with django_assert_num_queries(3):
        body = api_admin.get(url(customer) + "?status=pending").json()
    assert body["count"] == 4 and body["next"] is None


def test_count_of_a_kind_with_no_row_is_zero(api_admin, customer, django_assert_num_queries):
    PendingLearnerFactory(customer=customer, user_email="only@example.com")
    with django_assert_num_queries(2 + page_statements()):
        body = api_admin.get(url(customer)).json()
    assert body["count"] == 1 and [row["status"] for row in body["results"]] == ["pending"]


def test_searches(api_admin, customer, learners, django_assert_num_queries):
    with django_assert_num_queries(2 + page_statements()):
        body = api_admin.get(url(customer) + "?search=lrn3").json()
    assert body["count"] == 1 and [row["username"] for row in body["results"]] == ["lrn3"]
    # An address: the users with that address first (an index look-up, decision 0110).
    with django_assert_num_queries(3 + page_statements()):
        body = api_admin.get(url(customer) + "?search=LRN4@example.com").json()
    assert body["count"] == 1 and [row["username"] for row in body["results"]] == ["lrn4"]
    # No user has it: the linked part is known empty without asking the database.
    with django_assert_num_queries(4):
        body = api_admin.get(url(customer) + "?search=pnd2@example.com").json()
    assert [(row["status"], row["email"]) for row in body["results"]] == [("pending", "pnd2@example.com")]


def test_rows_render_as_the_serializer_would(api_admin, customer):
    learner = LearnerFactory(customer=customer, user=UserFactory(username="zed", email="zed@example.com"))
    learner.attributes = {"department": "Sales", "cost_center": "CC-1"}  # built-in and custom learner fields
    learner.save()
    row = api_admin.get(url(customer)).json()["results"][0]
    assert row == {
        "id": learner.pk,
        "status": "linked",
        "email": "zed@example.com",
        "user_id": learner.user_id,
        "username": "zed",
        "active": True,
        "created": DateTimeField().to_representation(learner.created),
        "attributes": {"department": "Sales", "cost_center": "CC-1"},
    }
    assert row["created"].endswith("Z")


@pytest.mark.parametrize("rows", [10, 200])
def test_bulk_link_budget_does_not_grow_with_rows(api_admin, customer, rows, django_assert_num_queries):
    known = [UserFactory(username=f"known{i}", email=f"known{i}@example.com") for i in range(3)]
    emails = [user.email for user in known] + [f"new{i}@example.com" for i in range(rows - len(known))]
    # Token, customer, the users of all the addresses (one statement: an index look-up on the
    # standalone host), the links of those users, the pending rows of the other addresses, the
    # links and the pending rows inserted with one statement each; and four savepoint statements
    # (the submission's transaction, the chunk's writes). PostgreSQL: the three look-ups are one
    # query (decision 0290), after a check that the user table has its e-mail index.
    with django_assert_num_queries(10 if connection.vendor == "postgresql" else 11):
        response = api_admin.post(url(customer, "link/"), {"emails": emails}, format="json")
    assert response.json()["counts"] == {"linked": 3, "pending": rows - 3}
