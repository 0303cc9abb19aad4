"""A real Celery worker runs the fan-out: one task per (customer, channel), results back to the command.

Needs a broker and a database the worker process can see: run with
``CELERY_BROKER_URL=redis://127.0.0.1:6379/5 DATABASE_URL=postgres://… pytest -m celery``
(``.ci/run`` does). Skipped otherwise.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from integrated_channels.integrated_channel.models import Run
from tests.factories import StaffFactory
from tests.integrated_channels.factories import SECRET, SAPConfigurationFactory, completed_enrollment

ROOT = Path(__file__).resolve().parents[2]
BROKER = os.environ.get("CELERY_BROKER_URL", "")

pytestmark = [
    pytest.mark.celery,
    pytest.mark.skipif(not BROKER, reason="needs CELERY_BROKER_URL (e.g. redis://127.0.0.1:6379/5)"),
    pytest.mark.django_db(transaction=True),
]


def database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgresql://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture
def worker(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("the worker process needs a database it can share: run this test on PostgreSQL")
    queue = f"channels-test-{uuid.uuid4().hex[:10]}"
    log = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": BROKER,
    }
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "standalone",
        "worker",
        "-Q",
        queue,
        "--pool",
        "threads",
        "--concurrency",
        "2",
        "--loglevel",
        "INFO",
        "--without-gossip",
        "--without-mingle",
        "--hostname",
        f"{queue}@%h",
    ]
    with log.open("w") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        yield queue, log
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_a_worker_runs_the_fan_out_for_two_customers(worker, fake_sap, settings):
    queue, log = worker
    settings.INTEGRATED_CHANNELS = {"USE_CELERY": True, "CELERY_QUEUE": queue, "TASK_RESULT_TIMEOUT": 120}
    StaffFactory(username="staff")
    for company in ("ACME", "GLOBEX"):
        config = SAPConfigurationFactory(
            base_url=fake_sap.base_url, company_id=company, client_id=f"{company}-client", customer__name=company
        )
        fake_sap.add_tenant(company, f"{company}-client", SECRET)
        for i in range(3):
            completed_enrollment(config.customer, remote_id=f"{company}-{i}")

    out = io.StringIO()
    call_command("transmit_learner_data", api_user="staff", stdout=out)

    output = out.getvalue()
    assert "Dispatched 2 run(s) to Celery workers" in output, output
    assert "2 run(s): 6 selected, 6 sent, 0 failed." in output, output
    assert len(fake_sap.events("ACME")) == 3 and len(fake_sap.events("GLOBEX")) == 3
    assert Run.objects.filter(status="completed").count() == 2
    worker_log = log.read_text()
    assert worker_log.count("integrated_channels.transmit_configuration") >= 2, worker_log
