"""Helpers the portal tests share (fixtures are in conftest.py)."""

from django.urls import reverse

from enterprise.models import EnterpriseCustomerAdmin
from tests.factories import UserFactory


def administrator(customer, username):
    """A new user who administers ``customer``."""
    user = UserFactory(username=username)
    EnterpriseCustomerAdmin.objects.create(customer=customer, user=user)
    return user


def url(view, customer, **kwargs):
    """The portal page ``view`` of ``customer``."""
    return reverse(f"enterprise_portal:{view}", kwargs={"customer_uuid": customer.uuid, **kwargs})
