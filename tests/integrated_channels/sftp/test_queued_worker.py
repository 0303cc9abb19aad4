"""A real Celery worker does an SFTP import queued from the admin (decision 0141).

Needs a broker and PostgreSQL: ``CELERY_BROKER_URL=redis://… DATABASE_URL=postgres://… pytest -m celery``.
"""

from __future__ import annotations

import time

import pytest

from enterprise.models import PendingEnterpriseCustomerUser
from integrated_channels.integrated_channel.models import Run
from tests.celery_worker import celery_worker, needs_broker
from tests.integrated_channels.sftp.factories import connection_to
from tests.integrated_channels.sftp.test_rerun_admin import CSRF_INPUT, change_url, run_now_url, staff_client

pytestmark = [pytest.mark.celery, needs_broker, pytest.mark.django_db(transaction=True)]


def test_a_worker_does_the_import_the_admin_queued(tmp_path, sftp_server, settings):
    with celery_worker(tmp_path, queue_prefix="sftp-test") as (queue, log):
        settings.INTEGRATED_CHANNELS = {"USE_CELERY": True, "CELERY_QUEUE": queue}
        config = connection_to(sftp_server)
        sftp_server.write("import/user/internal/a.csv", "Email,Manager,Department\nq@example.com,,A\n")
        client = staff_client("view_sftpconfiguration", "change_sftpconfiguration")
        page = client.get(change_url(config)).content.decode()
        token = CSRF_INPUT.search(page[page.index('class="operation-run-now"') :]).group(1)

        response = client.post(run_now_url(config), {"csrfmiddlewaretoken": token, "action": "run"}, follow=True)

        run = Run.objects.get(configuration_id=config.pk)
        assert f"#{run.pk}</a> queued" in response.content.decode()
        deadline = time.monotonic() + 60  # waits for the worker; asserts nothing about its speed
        while Run.objects.filter(pk=run.pk, status=Run.Status.RUNNING).exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        run.refresh_from_db()
        assert (run.status, run.sent) == (Run.Status.COMPLETED, 1), log.read_text()
        assert PendingEnterpriseCustomerUser.objects.filter(user_email="q@example.com").exists()
        assert "integrated_channels.run_queued_operation" in log.read_text()
