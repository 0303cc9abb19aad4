"""Notification e-mails over real SMTP: a local aiosmtpd server on 127.0.0.1, one connection per batch."""

import asyncio
import email
import io
import socket
import threading

import pytest
from aiosmtpd.smtp import SMTP

from enterprise.models import EnrollmentNotification
from enterprise.services.manage_learners import link_learners_from_csv
from tests.factories import CourseFactory, CustomerFactory, EmailTemplateFactory

pytestmark = pytest.mark.django_db


class Recorder:
    def __init__(self):
        self.messages = []
        self.sessions = set()

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd calls this hook by name
        self.sessions.add(id(session))
        self.messages.append((envelope.rcpt_tos, email.message_from_bytes(envelope.content)))
        return "250 OK"


@pytest.fixture
def smtp_server():
    recorder = Recorder()
    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(loop.create_server(lambda: SMTP(recorder), "127.0.0.1", 0))
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield recorder, server.sockets[0].getsockname()[1]
    loop.call_soon_threadsafe(server.close)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=5)
    loop.close()


def test_notifications_reach_an_smtp_server_as_multipart_over_one_connection(
    settings, smtp_server, django_capture_on_commit_callbacks
):
    recorder, port = smtp_server
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
    course = CourseFactory(title="Ethics", modes=["audit"])
    customer = CustomerFactory(name="Acme")
    EmailTemplateFactory(customer=customer)
    file = io.BytesIO(b"ann@example.com\nbob@example.com\ncarol@example.com\n")
    with django_capture_on_commit_callbacks(execute=True):
        link_learners_from_csv(customer=customer, file=file, course_id=course.course_id, mode="audit", notify=True)
    assert sorted(rcpt for rcpts, _msg in recorder.messages for rcpt in rcpts) == [
        "ann@example.com",
        "bob@example.com",
        "carol@example.com",
    ]
    assert len(recorder.sessions) == 1  # one SMTP connection for the batch
    _rcpts, message = recorder.messages[0]
    assert message["Subject"] == "You are enrolled in Ethics"
    assert [part.get_content_type() for part in message.walk()] == ["multipart/alternative", "text/plain", "text/html"]
    assert set(EnrollmentNotification.objects.values_list("status", flat=True)) == {"sent"}


def test_an_unreachable_smtp_server_fails_the_batch_once_and_records_why(settings, django_capture_on_commit_callbacks):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
    course = CourseFactory(modes=["audit"])
    customer = CustomerFactory()
    EmailTemplateFactory(customer=customer)
    with django_capture_on_commit_callbacks(execute=True):
        link_learners_from_csv(
            customer=customer,
            file=io.BytesIO(b"a@example.com\nb@example.com\n"),
            course_id=course.course_id,
            mode="audit",
            notify=True,
        )
    rows = list(EnrollmentNotification.objects.values_list("status", "error"))
    assert len(rows) == 2 and all(status == "failed" and "ConnectionRefusedError" in error for status, error in rows)
