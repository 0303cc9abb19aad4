import os

import pytest
from django.db import connection


def pytest_collection_modifyitems(config, items):
    """Tests marked ``postgresql`` need DATABASE_URL pointing at PostgreSQL; skip them otherwise."""
    on_postgres = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL=postgres://…)")
    for item in items:
        if "postgresql" in item.keywords and not on_postgres:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Each test starts with no remote account's calls counted (the windows are per process)."""
    from enterprise.transports.rate_limit import forget_limiters

    forget_limiters()
    yield
    forget_limiters()


@pytest.fixture
def staff_user(db):
    from tests.factories import StaffFactory

    return StaffFactory(username="staff")


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def is_postgres():
    return connection.vendor == "postgresql"
