"""With a broker, a real Celery worker sends the notification e-mails queued by a committed submission.

Needs a broker and a database the worker process can share: run with
``CELERY_BROKER_URL=redis://127.0.0.1:6379/6 DATABASE_URL=postgres://… pytest -m celery``.
Skipped otherwise.
"""

import io
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection

from enterprise.models import EnrollmentNotification
from enterprise.services.manage_learners import link_learners_from_csv
from tests.factories import CourseFactory, CustomerFactory, EmailTemplateFactory

ROOT = Path(__file__).resolve().parents[2]
BROKER = os.environ.get("CELERY_BROKER_URL", "")

pytestmark = [
    pytest.mark.celery,
    pytest.mark.skipif(not BROKER, reason="needs CELERY_BROKER_URL (e.g. redis://127.0.0.1:6379/6)"),
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
    queue = f"notifications-test-{uuid.uuid4().hex[:10]}"
    log = tmp_path / "worker.log"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "DATABASE_URL": database_url()}
    command = [sys.executable, "-m", "celery", "-A", "standalone", "worker", "-Q", queue, "--pool", "solo"]
    command += ["--loglevel", "INFO", "--without-gossip", "--without-mingle", "--hostname", f"{queue}@%h"]
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


def test_a_worker_sends_the_notifications_after_commit(worker, settings):
    queue, log = worker
    settings.ENTERPRISE = {"NOTIFICATION_QUEUE": queue, "NOTIFICATION_BATCH_SIZE": 2}
    customer = CustomerFactory()
    EmailTemplateFactory(customer=customer)
    course = CourseFactory(modes=["audit"])
    file = io.BytesIO(b"a@example.com\nb@example.com\nc@example.com\n")
    link_learners_from_csv(customer=customer, file=file, course_id=course.course_id, mode="audit", notify=True)

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        statuses = list(EnrollmentNotification.objects.values_list("status", flat=True))
        if statuses and all(status == "sent" for status in statuses):
            break
        time.sleep(0.5)
    assert sorted(statuses) == ["sent", "sent", "sent"], log.read_text()
    assert log.read_text().count("enterprise.send_enrollment_notifications") >= 2  # two batches
