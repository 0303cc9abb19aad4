"""Fixtures of the portal tests: two customers and a signed-in administrator of the first.

A test module overrides ``acme`` (or ``admin_client``) where it needs the customer otherwise set up.
"""

import pytest

from enterprise.models import EnterpriseCustomerAdmin
from tests.factories import CustomerFactory, UserFactory


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def acme():
    return CustomerFactory(name="Acme Corp", slug="acme")


@pytest.fixture
def globex():
    return CustomerFactory(name="Globex", slug="globex")


@pytest.fixture
def ada(acme):
    """Acme's administrator."""
    user = UserFactory(username="ada")
    EnterpriseCustomerAdmin.objects.create(customer=acme, user=user)
    return user


@pytest.fixture
def admin_client(client, ada):
    client.force_login(ada)
    return client
