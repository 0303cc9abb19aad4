"""The learners page's hand-written PostgreSQL statement reads what the ORM's reads (decision 0436)."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.utils import timezone

from enterprise.models import EnterpriseCustomerUser, PendingEnterpriseCustomerUser
from enterprise.services import all_learners_sql
from enterprise.services.all_learners import learners_page
from tests.factories import LearnerFactory, PendingLearnerFactory, UserFactory

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="the statement is PostgreSQL's")


@pytest.fixture
def learners(customer, other_customer):
    now = timezone.now().replace(microsecond=0)
    names = ["ann", "anna", "a_b", "a%c", "bob", "Ann2", "carl", "dora", "eve", "finn"]
    for i, name in enumerate(names):
        user = UserFactory(username=name, email=f"{name}@Example.com")
        linked = LearnerFactory(customer=customer, user=user, attributes={"n": i, "name": name})
        pending = PendingLearnerFactory(customer=customer, user_email=f"{name}.p@example.com")
        # ties on created: the id decides
        EnterpriseCustomerUser.objects.filter(pk=linked.pk).update(created=now - datetime.timedelta(minutes=i // 3))
        PendingEnterpriseCustomerUser.objects.filter(pk=pending.pk).update(
            created=now - datetime.timedelta(minutes=i // 2)
        )
    LearnerFactory(customer=customer, user=UserFactory(username="annex"), linked=False, unlinked_at=now)
    LearnerFactory(customer=other_customer, user=UserFactory(username="anne"))
    PendingLearnerFactory(customer=other_customer, user_email="anne.p@example.com")
    return EnterpriseCustomerUser.objects.get(customer=customer, user__username="bob").user_id


def every_page(customer, *, status: str, search: str, size: int) -> list:
    pages, cursor = [], ""
    while True:
        page = learners_page(customer=customer, status=status, search=search, cursor=cursor, size=size)
        pages.append(page)
        cursor = page.next_cursor
        if not cursor:
            return pages


@pytest.mark.parametrize("status", ["", "linked", "pending"])
@pytest.mark.parametrize("search", ["", "ann", "a_", "a%", "ANN@example.COM", "ann.p@EXAMPLE.com", "USER_ID", "zzz"])
@pytest.mark.parametrize("size", [1, 3, 50])
def test_the_statement_reads_the_same_pages_as_the_orm(customer, learners, monkeypatch, status, search, size):
    search = search.replace("USER_ID", str(learners))
    written = every_page(customer, status=status, search=search, size=size)
    monkeypatch.setattr(all_learners_sql, "supported", lambda: False)
    orm = every_page(customer, status=status, search=search, size=size)
    assert written == orm
    assert written[0].total is not None and all(page.total is None for page in written[1:])


def test_a_page_is_one_query(customer, learners, django_assert_num_queries):
    with django_assert_num_queries(1):
        page = learners_page(customer=customer, size=4)
    assert page.total == 20 and len(page.items) == 4
    assert all(entry.attributes["name"] == entry.username for entry in page.items if entry.status == "linked")
    assert page.items[0].attributes == {"n": 2, "name": "a_b"}  # the newest: a tie on created, the highest id
    with django_assert_num_queries(2):  # the users with the address, then the page
        page = learners_page(customer=customer.pk, search="bob@example.com")
    assert [entry.username for entry in page.items] == ["bob"]
