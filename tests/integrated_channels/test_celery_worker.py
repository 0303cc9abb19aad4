"""A real Celery worker runs the fan-out: one task per (customer, channel), results back to the command.

Needs a broker and a database the worker process can see: run with
``CELERY_BROKER_URL=redis://127.0.0.1:6379/5 DATABASE_URL=postgres://… pytest -m celery``
(``.ci/run`` does). Skipped otherwise.
"""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from integrated_channels.integrated_channel.models import Run
from tests.celery_worker import celery_worker, needs_broker
from tests.factories import StaffFactory
from tests.integrated_channels.factories import SECRET, SAPConfigurationFactory, completed_enrollment

pytestmark = [
    pytest.mark.celery,
    needs_broker,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def worker(tmp_path):
    with celery_worker(
        tmp_path, queue_prefix="channels-test", pool_args=("--pool", "threads", "--concurrency", "2")
    ) as started:
        yield started


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
