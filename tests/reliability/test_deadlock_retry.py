"""A submission that deadlocks with a concurrent one is tried again from the same rows; when it
keeps losing, it is refused with a clear "busy" error and nothing is applied (any database: the
deadlock is simulated; the real one is in test_concurrency.py on PostgreSQL)."""

from __future__ import annotations

import pytest
from django.db import OperationalError
from rest_framework.test import APIClient

from enterprise.models import PendingEnterpriseCustomerUser
from enterprise.services import bulk_link, manage_learners
from tests.factories import CustomerFactory, StaffFactory

pytestmark = pytest.mark.django_db(transaction=True)


class Deadlock(Exception):
    sqlstate = "40P01"


def _deadlocking(times: int, real):
    calls = {"n": 0}

    def link_rows(**kwargs):
        calls["n"] += 1
        real(**kwargs)  # the work is done, then the transaction is chosen as the deadlock victim
        if calls["n"] <= times:
            try:
                raise Deadlock("deadlock detected")
            except Deadlock as cause:
                raise OperationalError("deadlock detected") from cause

    return link_rows, calls


def _post(customer):
    api = APIClient()
    api.force_authenticate(StaffFactory(username="root"))
    url = f"/enterprise/api/v1/customers/{customer.uuid}/learners/link/"
    return api.post(url, {"emails": ["a@example.com", "b@example.com"], "dry_run": False}, format="json")


def test_a_deadlocked_submission_is_tried_again_and_applied_once(monkeypatch):
    customer = CustomerFactory()
    fake, calls = _deadlocking(2, bulk_link.link_rows)
    monkeypatch.setattr(manage_learners, "link_rows", fake)
    monkeypatch.setattr(manage_learners.time, "sleep", lambda seconds: None)
    response = _post(customer)
    assert response.status_code == 200, response.content
    assert calls["n"] == 3
    assert [row["status"] for row in response.json()["rows"]] == ["pending", "pending"]  # not "already pending"
    assert PendingEnterpriseCustomerUser.objects.filter(customer=customer).count() == 2


def test_a_submission_that_keeps_deadlocking_is_refused_as_busy(monkeypatch, settings):
    settings.ENTERPRISE = {"MANAGE_LEARNERS_DEADLOCK_RETRIES": 2}
    customer = CustomerFactory()
    fake, calls = _deadlocking(99, bulk_link.link_rows)
    monkeypatch.setattr(manage_learners, "link_rows", fake)
    monkeypatch.setattr(manage_learners.time, "sleep", lambda seconds: None)
    response = _post(customer)
    assert response.status_code == 503
    assert response.json()["errors"][0]["code"] == "busy"
    assert calls["n"] == 3
    assert not PendingEnterpriseCustomerUser.objects.exists()
