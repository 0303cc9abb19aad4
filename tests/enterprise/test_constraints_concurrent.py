"""Two concurrent transactions cannot link one learner to two customers (PostgreSQL)."""

import threading

import pytest
from django.db import IntegrityError, connection, transaction

from enterprise.exceptions import LinkConflict
from enterprise.models import EnterpriseCustomerUser, PendingEnterpriseCustomerUser
from enterprise.services.linking import link_user
from tests.factories import CustomerFactory, UserFactory

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


def race(work_items):
    """Run each callable in its own thread and database connection, released together."""
    barrier = threading.Barrier(len(work_items))
    outcomes = [None] * len(work_items)

    def run(index, work):
        try:
            barrier.wait(timeout=10)
            outcomes[index] = work()
        except Exception as exc:
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, w)) for i, w in enumerate(work_items)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def test_concurrent_raw_inserts_for_two_customers_one_wins():
    user = UserFactory()
    customers = [CustomerFactory(), CustomerFactory()]

    def insert(customer):
        def work():
            with transaction.atomic():
                EnterpriseCustomerUser.objects.create(customer=customer, user=user)
                # Hold the transaction open so both inserts overlap before either commits.
                connection.cursor().execute("SELECT pg_sleep(0.3)")
            return "ok"

        return work

    outcomes = race([insert(c) for c in customers])
    assert sorted(type(o).__name__ for o in outcomes) == ["IntegrityError", "str"]
    assert EnterpriseCustomerUser.objects.filter(user=user, linked=True).count() == 1


def test_concurrent_link_service_reports_a_conflict_not_a_crash():
    user = UserFactory()
    customers = [CustomerFactory(), CustomerFactory()]
    outcomes = race([lambda c=c: link_user(customer=c, user=user) for c in customers])
    kinds = sorted(type(o).__name__ for o in outcomes)
    assert kinds == ["LinkConflict", "LinkResult"], outcomes
    assert isinstance(next(o for o in outcomes if isinstance(o, Exception)), LinkConflict)
    assert EnterpriseCustomerUser.objects.filter(user=user, linked=True).count() == 1


def test_concurrent_pending_inserts_differing_in_case_one_wins():
    customers = [CustomerFactory(), CustomerFactory()]

    def insert(customer, email):
        def work():
            with transaction.atomic():
                PendingEnterpriseCustomerUser.objects.bulk_create(
                    [PendingEnterpriseCustomerUser(customer=customer, user_email=email)]
                )
                connection.cursor().execute("SELECT pg_sleep(0.3)")
            return "ok"

        return work

    outcomes = race([insert(customers[0], "dana@example.com"), insert(customers[1], "DANA@example.com")])
    assert sum(isinstance(o, IntegrityError) for o in outcomes) == 1
    assert PendingEnterpriseCustomerUser.objects.count() == 1
