"""Concurrency on PostgreSQL, with separate processes: 8 overlapping bulk uploads for the same
and different customers; two transmit runs of one configuration started at once."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import pytest
from django.db import connection
from rest_framework.authtoken.models import Token

from enterprise.models import EnterpriseCustomerUser, PendingEnterpriseCustomerUser
from integrated_channels.integrated_channel.models import Run
from tests.factories import CustomerFactory, StaffFactory, UserFactory

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
USERS, PENDING = 400, 300


def _env() -> dict[str, str]:
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {k: v for k, v in os.environ.items() if k not in {"CELERY_BROKER_URL", "CELERY_RESULT_BACKEND"}}
    env.update(DATABASE_URL=url, DJANGO_SETTINGS_MODULE="tests.settings", PYTHONPATH=str(ROOT))
    return env


def _run_together(tmp_path, commands: list[list[str]], timeout: float = 180) -> list[dict]:
    """Start every worker, let them all set Django up, release them at once, collect each outcome."""
    start = tmp_path / "start"
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.reliability.worker", kind, str(start), *args],
            cwd=ROOT,
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for kind, *args in commands
    ]
    time.sleep(4)  # Django setup of every worker (they poll for the start file meanwhile)
    start.touch()
    outcomes = []
    for proc in procs:
        out, err = proc.communicate(timeout=timeout)
        assert proc.returncode == 0, err[-3000:]
        outcomes.append(json.loads(out.strip().splitlines()[-1]))
    return outcomes


def test_eight_overlapping_bulk_uploads_for_three_customers(tmp_path):
    staff = StaffFactory(username="staff")
    token = Token.objects.create(user=staff).key
    customers = [CustomerFactory(slug="a"), CustomerFactory(slug="b"), CustomerFactory(slug="c")]
    for i in range(USERS):
        UserFactory(username=f"u{i}", email=f"u{i}@example.com")
    uploads = []
    for k in range(8):
        customer = customers[0] if k < 4 else customers[1] if k < 6 else customers[2]
        emails = [f"u{i % USERS}@example.com" for i in range(k * 40, k * 40 + 200)]
        emails += [f"p{j % PENDING}@example.com" for j in range(k * 30, k * 30 + 120)]
        random.Random(k).shuffle(emails)  # different orders: the classic deadlock recipe
        path = tmp_path / f"upload{k}.csv"
        path.write_text("email\n" + "\n".join(emails) + "\n")
        uploads.append((customer, emails, path))

    outcomes = _run_together(tmp_path, [["link", str(c.uuid), token, str(p)] for c, _e, p in uploads])

    assert [outcome["status"] for outcome in outcomes] == [200] * 8, [
        outcome.get("error") or outcome.get("body") for outcome in outcomes if outcome["status"] != 200
    ]
    linked = defaultdict(set)
    for customer_id, email in EnterpriseCustomerUser.objects.filter(linked=True).values_list(
        "customer_id", "user__email"
    ):
        linked[email].add(customer_id)
    pending = defaultdict(set)
    for customer_id, email in PendingEnterpriseCustomerUser.objects.values_list("customer_id", "user_email"):
        pending[email].add(customer_id)
    assert all(len(owners) == 1 for owners in linked.values())  # no learner linked to two customers
    assert all(len(owners) == 1 for owners in pending.values())  # one pending row per address
    assert EnterpriseCustomerUser.objects.count() == len(linked)  # no duplicate rows
    every_user = {email for _c, emails, _p in uploads for email in emails if email.startswith("u")}
    assert set(linked) == every_user  # every uploaded user is linked to one of the customers
    # Each response's per-row statuses agree with what the database holds at the end.
    for (customer, _emails, _path), outcome in zip(uploads, outcomes, strict=True):
        for row in outcome["body"]["rows"]:
            email = row["email"]
            if row["status"] in {"linked", "already_linked"}:
                assert linked[email] == {customer.pk}, row
            elif row["status"] == "conflict":  # linked to, or pending for, another customer
                owners = linked[email] | pending[email]
                assert owners and customer.pk not in owners, row
            elif row["status"] in {"pending", "already_pending"}:
                assert pending[email] == {customer.pk}, row
            elif row["status"] != "header":
                raise AssertionError(row)


def test_two_transmit_runs_of_one_configuration_started_at_once(tmp_path):
    from tests.fakes.sap import FakeSAPSuccessFactors
    from tests.integrated_channels.factories import SAPConfigurationFactory, completed_enrollment

    StaffFactory(username="staff")
    with FakeSAPSuccessFactors() as fake:
        fake.add_tenant("ACME", "acme-client", "s3cret")
        config = SAPConfigurationFactory(
            base_url=fake.base_url, company_id="ACME", client_id="acme-client", client_secret="s3cret"
        )
        for i in range(3):
            completed_enrollment(config.customer, remote_id=f"sap-{i}")
        fake.delay("token", seconds=3)  # the first run holds the lock while it waits for its token
        outcomes = _run_together(tmp_path, [["transmit", "SAP"], ["transmit", "SAP"]])
        events = fake.events("ACME")
    runs = list(Run.objects.filter(configuration=config))
    assert len(runs) == 1 and runs[0].status == Run.Status.COMPLETED, runs
    # A locked run is reported, not a failure (exit 0): the other run is doing the work.
    assert [outcome["status"] for outcome in outcomes] == [0, 0]
    locked = [outcome["output"] for outcome in outcomes if "another run in progress" in outcome["output"]]
    assert len(locked) == 1, outcomes
    assert f"Run #{runs[0].pk} of this configuration has been running since" in locked[0]
    assert len(events) == 3  # each completion sent once
