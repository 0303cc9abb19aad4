"""The customer's consent policy, and the bulk look-up the channels' consent gate uses."""

import pytest

from consent.policy import policy_for
from consent.services import granted_consents, record_consent
from tests.factories import CustomerFactory, UserFactory


@pytest.mark.parametrize(
    ("enabled", "enforcement", "gates", "asks"),
    [
        (False, "at_enrollment", False, False),
        (True, "at_enrollment", True, True),
        (True, "at_login", True, True),
        (True, "externally_managed", True, False),
    ],
)
def test_policy(enabled, enforcement, gates, asks):
    customer = CustomerFactory.build(enable_data_sharing_consent=enabled, enforce_data_sharing_consent=enforcement)

    policy = policy_for(customer)

    assert (policy.gates_exports, policy.asks_learners) == (gates, asks)


@pytest.mark.django_db
def test_granted_consents_are_the_granted_pairs_of_the_customer_in_one_query(django_assert_num_queries):
    customer, other = CustomerFactory(), CustomerFactory()
    yes, no, unasked = UserFactory.create_batch(3)
    record_consent(customer=customer, user=yes, course_id="c1", granted=True)
    record_consent(customer=customer, user=yes, course_id="c2", granted=True)
    record_consent(customer=customer, user=no, course_id="c1", granted=False)
    record_consent(customer=customer, user=unasked, course_id="c1", granted=None)
    record_consent(customer=other, user=no, course_id="c1", granted=True)

    with django_assert_num_queries(1):
        pairs = granted_consents(customer=customer)

    assert pairs == {(yes.pk, "c1"), (yes.pk, "c2")}
