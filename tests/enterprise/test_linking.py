import pytest

from enterprise.exceptions import LinkConflict
from enterprise.models import EnterpriseCustomerUser
from enterprise.services.linking import LinkStatus, link_user, unlink_users
from tests.factories import CustomerFactory, LearnerFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_link_new_learner():
    customer, user = CustomerFactory(), UserFactory()
    result = link_user(customer=customer, user=user)
    assert result.status == LinkStatus.LINKED
    assert result.learner.customer == customer and result.learner.linked


def test_link_twice_reports_already_linked_without_duplicate():
    learner = LearnerFactory()
    result = link_user(customer=learner.customer, user=learner.user)
    assert result.status == LinkStatus.ALREADY_LINKED
    assert EnterpriseCustomerUser.objects.filter(user=learner.user).count() == 1


def test_link_to_another_customer_names_the_conflict():
    learner = LearnerFactory(customer__name="Acme Corp")
    with pytest.raises(LinkConflict, match="Acme Corp"):
        link_user(customer=CustomerFactory(), user=learner.user)


def test_unlink_is_soft_and_relink_reuses_the_row():
    learner = LearnerFactory()
    assert unlink_users(customer=learner.customer, user_ids=[learner.user_id]) == 1
    learner.refresh_from_db()
    assert not learner.linked and learner.unlinked_at is not None
    result = link_user(customer=learner.customer, user=learner.user)
    assert result.status == LinkStatus.RELINKED and result.learner.pk == learner.pk
    learner.refresh_from_db()
    assert learner.linked and learner.unlinked_at is None


def test_unlink_only_touches_the_named_customer():
    learner = LearnerFactory()
    assert unlink_users(customer=CustomerFactory(), user_ids=[learner.user_id]) == 0
    learner.refresh_from_db()
    assert learner.linked


def test_unlinked_learner_may_link_to_another_customer():
    learner = LearnerFactory()
    unlink_users(customer=learner.customer, user_ids=[learner.user_id])
    other = CustomerFactory()
    assert link_user(customer=other, user=learner.user).status == LinkStatus.LINKED
    assert EnterpriseCustomerUser.objects.filter(user=learner.user).count() == 2
