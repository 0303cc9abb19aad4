"""Fixtures of the framework tests: the echo connector of ``tests.testconnector`` and its remote."""

from __future__ import annotations

import pytest

from tests.factories import CustomerFactory
from tests.testconnector import REMOTE
from tests.testconnector.models import EchoConnection


@pytest.fixture(autouse=True)
def remote():
    REMOTE["rows"] = []
    REMOTE["exported"] = []
    return REMOTE


@pytest.fixture
def echo(db):
    return EchoConnection.objects.create(customer=CustomerFactory(), name="main", active=True, token="open-sesame")
