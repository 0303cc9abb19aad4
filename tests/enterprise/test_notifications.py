"""Enrollment notification e-mails: recorded with the enrollment, sent after commit, outcome kept."""

import io
import smtplib
from unittest import mock

import pytest
from django.core import mail

from enterprise.exceptions import EnrollmentTargetError, NotificationTemplateMissing, TemplateRenderError
from enterprise.models import EnrollmentNotification, EnrollmentNotificationEmailTemplate
from enterprise.services import notifications
from enterprise.services.manage_learners import link_learner, link_learners_from_csv
from enterprise.services.notifications import preview_email, requeue_notifications, send_notifications
from tests.factories import CourseFactory, CustomerFactory, EmailTemplateFactory, ProgramFactory, UserFactory

pytestmark = pytest.mark.django_db
Status = EnrollmentNotification.Status


def csv_file(*lines):
    return io.BytesIO(("\n".join(lines) + "\n").encode())


@pytest.fixture
def course():
    return CourseFactory(course_id="course-v1:Org+CS101+2027", title="Data & Society", modes=["audit"])


@pytest.fixture
def customer():
    customer = CustomerFactory(name="Acme <Corp>")
    EmailTemplateFactory(
        customer=customer,
        subject_line="{enterprise_name}: {course_name}",
        plaintext_template="Hi {user_name}, start {course_name} on {start_date}: {enrollment_url}",
        html_template="<p>Hi {user_name}, start <b>{course_name}</b></p>",
    )
    return customer


def enroll(customer, course, *lines, **kwargs):
    return link_learners_from_csv(
        customer=customer, file=csv_file(*lines), course_id=course.course_id, mode="audit", notify=True, **kwargs
    )


def test_newly_enrolled_learners_are_mailed_after_commit_and_each_mail_is_recorded(
    customer, course, django_capture_on_commit_callbacks
):
    UserFactory(email="ann@example.com", first_name="Ann", last_name="Lee")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        result = enroll(customer, course, "ann@example.com", "new@example.com")
    assert result.notifications == 2 and [row.notified for row in result.rows] == [True, True]
    assert mail.outbox == []  # nothing leaves before the transaction commits
    assert set(EnrollmentNotification.objects.values_list("status", flat=True)) == {Status.QUEUED}
    for callback in callbacks:
        callback()
    by_address = {message.to[0]: message for message in mail.outbox}
    assert set(by_address) == {"ann@example.com", "new@example.com"}
    ann = by_address["ann@example.com"]
    assert ann.subject == "Acme <Corp>: Data & Society"
    assert ann.body.startswith("Hi Ann Lee, start Data & Society on ")
    assert ann.body.endswith("http://127.0.0.1:8000/courses/course-v1:Org+CS101+2027/about")
    html, mimetype = ann.alternatives[0]
    assert mimetype == "text/html" and "<b>Data &amp; Society</b>" in html
    assert by_address["new@example.com"].body.startswith("Hi learner,")  # a pending learner: not their address
    sent = EnrollmentNotification.objects.get(email="ann@example.com")
    assert (sent.status, sent.subject, sent.error) == (Status.SENT, "Acme <Corp>: Data & Society", "")
    assert sent.sent_at is not None and sent.user.email == "ann@example.com"
    assert EnrollmentNotification.objects.get(email="new@example.com").user is None


def test_learners_already_enrolled_are_not_mailed_again(customer, course, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        enroll(customer, course, "new@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        again = enroll(customer, course, "new@example.com")
    assert again.notifications == 0
    assert len(mail.outbox) == 1 and EnrollmentNotification.objects.count() == 1


def test_a_preview_or_a_refused_file_records_and_sends_nothing(customer, course, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        preview = enroll(customer, course, "new@example.com", dry_run=True)
        refused = enroll(customer, course, "new@example.com", "broken")
    assert preview.notifications == 1 and refused.refused
    assert callbacks == [] and mail.outbox == [] and not EnrollmentNotification.objects.exists()


def test_the_default_template_serves_customers_without_their_own(course, django_capture_on_commit_callbacks):
    EmailTemplateFactory(customer=None, subject_line="Default: {course_name}")
    with django_capture_on_commit_callbacks(execute=True):
        enroll(CustomerFactory(), course, "new@example.com")
    assert mail.outbox[0].subject == "Default: Data & Society"


def test_notifying_without_a_template_is_refused_before_anything_changes(course):
    with pytest.raises(NotificationTemplateMissing, match="no course enrollment notification template"):
        enroll(CustomerFactory(name="Bare"), course, "new@example.com")
    with pytest.raises(EnrollmentTargetError, match="fill in a Course ID or a Program ID"):
        link_learner(customer=CustomerFactory(), identifier="new@example.com", notify=True)


def test_program_notifications_use_the_program_template(customer, django_capture_on_commit_callbacks):
    EmailTemplateFactory(
        customer=customer,
        template_type="program",
        subject_line="Program {program_name}",
        plaintext_template="Go to {enrollment_url}",
        html_template="",
    )
    program = ProgramFactory(title="Pioneers", courses=[CourseFactory(modes=["audit"])])
    with django_capture_on_commit_callbacks(execute=True):
        link_learner(
            customer=customer,
            identifier="new@example.com",
            program_id=str(program.program_id),
            mode="audit",
            notify=True,
        )
    (message,) = mail.outbox
    assert message.subject == "Program Pioneers" and message.alternatives == []
    assert message.body == f"Go to http://127.0.0.1:8000/dashboard/programs/{program.program_id}/"


def test_with_a_broker_the_task_is_queued_after_commit_in_batches(
    settings, customer, course, django_capture_on_commit_callbacks
):
    settings.ENTERPRISE = {"NOTIFICATION_BATCH_SIZE": 2}
    with mock.patch("enterprise.tasks.send_enrollment_notifications.apply_async") as delay:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            enroll(customer, course, "a@example.com", "b@example.com", "c@example.com")
        delay.assert_not_called()
        for callback in callbacks:
            callback()
    ids = sorted(EnrollmentNotification.objects.values_list("pk", flat=True))
    assert [sorted(call.kwargs["args"][0]) for call in delay.call_args_list] == [ids[:2], ids[2:]]


def test_one_failed_mail_is_recorded_and_the_others_are_sent(customer, course, django_capture_on_commit_callbacks):
    original = mail.EmailMultiAlternatives.send

    def refuse_bob(message, *args, **kwargs):
        if message.to == ["bob@example.com"]:
            raise smtplib.SMTPRecipientsRefused({"bob@example.com": (550, b"no such mailbox")})
        return original(message, *args, **kwargs)

    with (
        mock.patch.object(mail.EmailMultiAlternatives, "send", refuse_bob),
        django_capture_on_commit_callbacks(execute=True),
    ):
        enroll(customer, course, "ann@example.com", "bob@example.com")
    failed = EnrollmentNotification.objects.get(email="bob@example.com")
    assert failed.status == Status.FAILED and "SMTPRecipientsRefused" in failed.error and failed.sent_at is None
    assert EnrollmentNotification.objects.get(email="ann@example.com").status == Status.SENT
    assert [m.to for m in mail.outbox] == [["ann@example.com"]]


def test_a_notification_is_never_sent_twice(customer, course, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        enroll(customer, course, "new@example.com")
    ids = list(EnrollmentNotification.objects.values_list("pk", flat=True))
    first = send_notifications(notification_ids=ids)
    second = send_notifications(notification_ids=ids)
    assert (first.sent, second.sent, second.skipped) == (1, 0, 1)
    assert len(mail.outbox) == 1


def test_failed_notifications_can_be_sent_again(customer, course, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        enroll(customer, course, "new@example.com")
    notification = EnrollmentNotification.objects.get()
    EnrollmentNotification.objects.filter(pk=notification.pk).update(status=Status.FAILED, error="timeout")
    with django_capture_on_commit_callbacks(execute=True):
        assert requeue_notifications(notification_ids=[notification.pk]) == 1
    notification.refresh_from_db()
    assert notification.status == Status.SENT and notification.error == ""
    assert requeue_notifications(notification_ids=[notification.pk]) == 0  # sent ones stay sent


def test_a_template_deleted_before_sending_fails_the_notification(customer, course, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        enroll(customer, course, "new@example.com")
    EnrollmentNotificationEmailTemplate.objects.all().delete()
    result = send_notifications(notification_ids=list(EnrollmentNotification.objects.values_list("pk", flat=True)))
    assert result.failed == 1
    assert "NotificationTemplateMissing" in EnrollmentNotification.objects.get().error


def test_preview_renders_sample_data_and_reports_broken_templates():
    template = EnrollmentNotificationEmailTemplate(
        template_type="course",
        subject_line="Welcome {user_name}",
        plaintext_template="{course_name} starts {start_date}",
        html_template="<a href='{enrollment_url}'>{course_name}</a>",
    )
    preview = preview_email(template=template, template_type="course")
    assert preview.subject == "Welcome Ada Lovelace"
    assert preview.plaintext == "Analytical Engines: An Introduction starts March 3, 2027"
    assert "courses/course-v1:Example+AE101+2027/about" in preview.html
    with pytest.raises(TemplateRenderError, match=r"Unknown placeholder \{course_name\}"):
        preview_email(template=template, template_type="program")


def test_notification_context_uses_the_settings_for_links(settings):
    settings.ENTERPRISE = {"COURSE_ENROLLMENT_URL": "https://lms.example.com/c/{course_id}"}
    assert notifications.enrollment_url("course", "course-v1:A+B+C") == "https://lms.example.com/c/course-v1:A+B+C"
