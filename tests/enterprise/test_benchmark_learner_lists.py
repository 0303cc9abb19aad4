"""The learner_lists benchmark on a tiny size: its data holds what each measured search looks for."""

import pytest

from benchmarks import learner_lists
from enterprise.services.learner_lists import linked_learners_page, pending_learners_page

pytestmark = pytest.mark.django_db


def test_the_seeded_data_answers_every_measured_search():
    customer = learner_lists.seed(learners=3000, pending=2000, analyze=False)
    assert linked_learners_page(customer=customer).total == 3000
    assert linked_learners_page(customer=customer, search="acme.example.com").total == 3  # one in a thousand
    schmidt = linked_learners_page(customer=customer, search="Schmidt")
    assert schmidt.total == 300 and all(x.user.last_name == "Schmidt" for x in schmidt.items)
    assert linked_learners_page(customer=customer, search="learner.0000").total == 1000
    assert linked_learners_page(customer=customer, search="learner.0001501@example.com").total == 1
    assert linked_learners_page(customer=customer, search="nobody-here").total == 0
    assert linked_learners_page(customer=customer, last=True).number == 120
    assert pending_learners_page(customer=customer, search="acme.example").total == 2
