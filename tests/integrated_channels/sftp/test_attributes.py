"""Merging imported attributes: the SQL of SQLite and PostgreSQL, and the ORM path of other databases."""

import pytest
from django.db import connection

from integrated_channels.integrated_channel.imports.attributes import write_attributes
from integrated_channels.integrated_channel.models import PendingLearnerAttributes
from tests.factories import CustomerFactory, LearnerFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("vendor", [None, "other"])
def test_imported_keys_are_written_and_the_others_kept(monkeypatch, vendor):
    if vendor:
        monkeypatch.setattr(connection, "vendor", vendor)
    customer = CustomerFactory()
    learner = LearnerFactory(customer=customer, attributes={"location": "by hand", "department": "old"})
    untouched = LearnerFactory(customer=customer, attributes={"department": "same"})
    PendingLearnerAttributes.objects.create(customer=customer, email="p@example.com", attributes={"location": "kept"})

    write_attributes(
        customer,
        {learner.pk: {"department": "new", "manager": "=b@example.com"}},
        {"p@example.com": {"department": "Ops"}, "q@example.com": {"department": "IT", "manager": ""}},
    )
    write_attributes(customer, {}, {})

    learner.refresh_from_db()
    untouched.refresh_from_db()
    assert learner.attributes == {"location": "by hand", "department": "new", "manager": "=b@example.com"}
    assert untouched.attributes == {"department": "same"}
    stored = dict(PendingLearnerAttributes.objects.filter(customer=customer).values_list("email", "attributes"))
    assert stored == {
        "p@example.com": {"location": "kept", "department": "Ops"},
        "q@example.com": {"department": "IT", "manager": ""},
    }
