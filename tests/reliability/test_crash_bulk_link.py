"""Crash safety of a bulk link: ``manage.py link_learners`` on 100,000 rows is killed with SIGKILL
while its transaction is writing; the database then holds none of it, and a rerun links exactly
the expected learners (PostgreSQL, a separate process). Marked ``slow``: run by .ci/run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from enterprise.models import EnterpriseCustomerUser, PendingEnterpriseCustomerUser
from tests.factories import CustomerFactory
from tests.reliability.test_concurrency import ROOT, _env

pytestmark = [pytest.mark.postgresql, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROWS, EXISTING = 100_000, 50_000


def _writing_backend(table: str) -> int | None:
    """The pid of another backend holding a write lock on ``table`` inside a transaction."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT l.pid FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
            "WHERE c.relname = %s AND l.mode = 'RowExclusiveLock' AND l.pid <> pg_backend_pid() LIMIT 1",
            [table],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def _link(path, customer) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "link_learners", customer.slug, str(path), "--problems-only"],
        cwd=ROOT,
        env={**_env(), "DJANGO_SETTINGS_MODULE": "tests.settings"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_bulk_link_killed_mid_way_leaves_nothing_and_a_rerun_links_everyone(tmp_path, capsys):
    customer = CustomerFactory(slug="acme")
    user_model = get_user_model()
    user_model.objects.bulk_create(
        [user_model(username=f"learner{i}", email=f"learner{i}@example.com") for i in range(EXISTING)],
        batch_size=5000,
    )
    path = tmp_path / "learners.csv"
    path.write_text("".join(f"learner{i}@example.com\n" for i in range(ROWS)))  # half are users, half new

    started = time.monotonic()
    victim = _link(path, customer)
    pid = None
    while pid is None and victim.poll() is None and time.monotonic() - started < 120:
        pid = _writing_backend(EnterpriseCustomerUser._meta.db_table) or _writing_backend(
            PendingEnterpriseCustomerUser._meta.db_table
        )
        time.sleep(0.02)
    assert pid is not None and victim.poll() is None, "the link ended before it could be killed"
    killed_after = time.monotonic() - started
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(timeout=30)
    assert victim.returncode == -signal.SIGKILL

    deadline = time.monotonic() + 30  # PostgreSQL notices the closed connection and rolls back
    while _writing_backend(EnterpriseCustomerUser._meta.db_table) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert EnterpriseCustomerUser.objects.filter(customer=customer).count() == 0
    assert PendingEnterpriseCustomerUser.objects.filter(customer=customer).count() == 0

    rerun_started = time.monotonic()
    rerun = _link(path, customer)
    _out, err = rerun.communicate(timeout=600)
    assert rerun.returncode == 0, err[-2000:]
    rerun_seconds = time.monotonic() - rerun_started

    linked = set(
        EnterpriseCustomerUser.objects.filter(customer=customer, linked=True).values_list("user__email", flat=True)
    )
    pending = set(PendingEnterpriseCustomerUser.objects.filter(customer=customer).values_list("user_email", flat=True))
    assert linked == {f"learner{i}@example.com" for i in range(EXISTING)}
    assert pending == {f"learner{i}@example.com" for i in range(EXISTING, ROWS)}
    assert EnterpriseCustomerUser.objects.count() == EXISTING  # no duplicates, no strays
    with capsys.disabled():
        print(
            f"\nfigure: bulk link of {ROWS:,} rows killed after {killed_after:.1f} s while writing: "
            f"0 rows left behind; rerun {rerun_seconds:.1f} s, {len(linked):,} linked + {len(pending):,} pending"
        )
