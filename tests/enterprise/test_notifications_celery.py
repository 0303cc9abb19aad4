"""With a broker, a real Celery worker sends the notification e-mails queued by a committed submission.

Needs a broker and a database the worker process can share: run with
``CELERY_BROKER_URL=redis://127.0.0.1:6379/6 DATABASE_URL=postgres://… pytest -m celery``.
Skipped otherwise.
"""

import io
import time

import pytest

from enterprise.models import EnrollmentNotification
from enterprise.services.manage_learners import link_learners_from_csv
from tests.celery_worker import celery_worker, needs_broker
from tests.factories import CourseFactory, CustomerFactory, EmailTemplateFactory

pytestmark = [
    pytest.mark.celery,
    needs_broker,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def worker(tmp_path):
    with celery_worker(tmp_path, queue_prefix="notifications-test") as started:
        yield started


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
