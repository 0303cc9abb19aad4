"""Pending learners' imported attributes move from the sftp app to the framework without losing a row."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection

from tests.migrations import latest, migrate

BEFORE = [("integrated_channel", "0010_subsection_audit"), ("sftp", "0005_ftp_box_ssh_key")]


@pytest.mark.django_db(transaction=True)
def test_rows_are_carried_over_and_back():
    old = migrate(BEFORE)
    customer = old.get_model("enterprise", "EnterpriseCustomer").objects.create(
        uuid=uuid.uuid4(), name="Acme", slug="acme"
    )
    old.get_model("sftp", "PendingLearnerAttributes").objects.create(
        customer=customer, email="ann@example.com", attributes={"department": "Sales"}
    )

    new = migrate(latest())
    moved = new.get_model("integrated_channel", "PendingLearnerAttributes").objects.get()
    assert (moved.customer_id, moved.email, moved.attributes) == (
        customer.pk,
        "ann@example.com",
        {"department": "Sales"},
    )
    assert "sftp_pendinglearnerattributes" not in connection.introspection.table_names()

    back = migrate(BEFORE)
    assert back.get_model("sftp", "PendingLearnerAttributes").objects.get().attributes == {"department": "Sales"}
    migrate(latest())


@pytest.mark.django_db
def test_a_pending_learner_who_links_gets_the_attributes_an_import_stored():
    from enterprise.models import EnterpriseCustomerUser
    from integrated_channels.integrated_channel.models import PendingLearnerAttributes
    from tests.factories import CustomerFactory, UserFactory

    customer = CustomerFactory()
    PendingLearnerAttributes.objects.create(customer=customer, email="ann@example.com", attributes={"dept": "Ops"})
    learner = EnterpriseCustomerUser.objects.create(customer=customer, user=UserFactory(email="Ann@Example.com"))
    learner.refresh_from_db()
    assert learner.attributes == {"dept": "Ops"} and not PendingLearnerAttributes.objects.exists()
