"""Enrollment notification e-mails: recorded with the enrollment, sent after commit, each outcome kept.

``queue_notifications`` runs inside the submission's transaction: it records one
``EnrollmentNotification`` per newly enrolled learner and registers, with
``transaction.on_commit``, one Celery task per ``NOTIFICATION_BATCH_SIZE`` records. A rolled-back
submission (a preview, a refused file) therefore records and sends nothing. The task calls
``send_notifications``, which claims its records so that no e-mail goes out twice, renders the
customer's template (or the default one) and records what happened to each e-mail.
"""

from __future__ import annotations

import datetime
import logging
import re
import uuid
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Q
from django.utils import dateformat, timezone

from enterprise.app_settings import enterprise_settings
from enterprise.exceptions import EnrollmentTargetError, NotificationTemplateMissing
from enterprise.models import EnrollmentNotification, EnrollmentNotificationEmailTemplate, EnterpriseCustomer
from enterprise.services.bulk_link import RowResult

logger = logging.getLogger(__name__)
Status = EnrollmentNotification.Status

SAMPLE_CONTEXT = {
    "user_name": "Ada Lovelace",
    "first_name": "Ada",
    "start_date": "March 3, 2027",
    "start_sentence": "It starts on March 3, 2027.",
    "course_name": "Analytical Engines: An Introduction",
    "course_id": "course-v1:Example+AE101+2027",
    "program_name": "Computing Pioneers",
    "program_id": "8f7a3c52-3f5e-4a53-9a4e-1f0b7d2a6c11",
}


def template_for(*, customer_id, template_type: str) -> EnrollmentNotificationEmailTemplate | None:
    """The customer's own template of the type, else the default one, else ``None``."""
    candidates = EnrollmentNotificationEmailTemplate.objects.filter(
        Q(customer_id=customer_id) | Q(customer__isnull=True), template_type=template_type
    )
    found = {template.customer_id: template for template in candidates}
    return found.get(customer_id) or found.get(None)


def require_template(*, customer: EnterpriseCustomer, target) -> None:
    """Refuse a submission that asks for notifications that could not be rendered."""
    if target is None:
        raise EnrollmentTargetError("Notifications are sent for enrollments: fill in a Course ID or a Program ID.")
    if template_for(customer_id=customer.pk, template_type=target.kind) is None:
        raise NotificationTemplateMissing(
            f"There is no {target.kind} enrollment notification template for {customer.name!r} and no default one: "
            "add one under Enrollment notification email templates, or do not notify."
        )


def queue_notifications(*, customer: EnterpriseCustomer, target, rows: list[RowResult]) -> int:
    """Record a notification for each row (learners newly enrolled) and send them after commit."""
    recipients = [row for row in rows if row.email]
    if not recipients:
        return 0
    created = EnrollmentNotification.objects.bulk_create(
        [
            EnrollmentNotification(
                customer=customer,
                user_id=row.user_id,
                email=row.email,
                template_type=target.kind,
                target_id=target.target_id,
                target_title=target.title[:255],
                target_start=target.start,
            )
            for row in recipients
        ]
    )
    ids = [obj.pk for obj in created]
    if None in ids:  # databases that do not return ids from bulk inserts
        ids = list(
            EnrollmentNotification.objects.filter(
                customer=customer,
                target_id=target.target_id,
                status=Status.QUEUED,
                email__in=[row.email for row in recipients],
            ).values_list("pk", flat=True)
        )
    for row in recipients:
        row.notified = True
    size = enterprise_settings.NOTIFICATION_BATCH_SIZE
    for start in range(0, len(ids), size):
        transaction.on_commit(partial(_enqueue, ids[start : start + size]))
    return len(recipients)


def _enqueue(notification_ids: list[int]) -> None:
    from enterprise.tasks import send_enrollment_notifications  # tasks import this module

    queue = enterprise_settings.NOTIFICATION_QUEUE
    send_enrollment_notifications.apply_async(args=[notification_ids], **({"queue": queue} if queue else {}))


@dataclass
class SendResult:
    sent: int = 0
    failed: int = 0
    skipped: int = 0  # already claimed or sent by someone else


def enrollment_url(template_type: str, target_id: str) -> str:
    """The link of an e-mail: a configured path is joined to ``SITE_URL``, a full URL kept as it is."""
    if template_type == "program":
        url = enterprise_settings.PROGRAM_ENROLLMENT_URL.format(program_id=target_id)
    else:
        url = enterprise_settings.COURSE_ENROLLMENT_URL.format(course_id=target_id)
    if url.startswith("/") and not url.startswith("//"):
        url = enterprise_settings.SITE_URL.rstrip("/") + url
    return url


def format_start(start: datetime.datetime | None) -> str:
    return dateformat.format(timezone.localtime(start), "F j, Y") if start else ""


def start_sentence(start: datetime.datetime | None, *, now: datetime.datetime | None = None) -> str:
    """``It starts on March 3, 2027.``, or for a course already under way ``It started on …``."""
    if start is None:
        return ""
    if start <= (now or timezone.now()):
        return f"It started on {format_start(start)}: you can begin now."
    return f"It starts on {format_start(start)}."


_NAME_PART = re.compile(r"^[^\W\d_]{2,}$")


def names_from_address(email: str) -> tuple[str, str]:
    """(full name, first name) read from an address such as ``ann.lee@…`` or ``ann_lee@…``.

    A pending learner has no account, hence no name: a local part made of words ("ann.lee",
    "jean-luc.picard") gives one; anything else ("jsmith42", "learner.0001") gives ("learner", "")
    rather than greeting a person by their e-mail address.
    """
    local = email.partition("@")[0]
    parts = [part for part in re.split(r"[._]+", local) if part]
    if 2 <= len(parts) <= 4 and all(_NAME_PART.match(p.replace("-", "")) for p in parts):
        words = ["-".join(piece.capitalize() for piece in part.split("-")) for part in parts]
        return " ".join(words), words[0]
    return "learner", ""


def notification_context(notification: EnrollmentNotification) -> dict[str, object]:
    user = notification.user
    if user is None:  # a pending learner: only the address is known
        user_name, first_name = names_from_address(notification.email)
    else:
        full_name = user.get_full_name() if hasattr(user, "get_full_name") else ""
        user_name, first_name = full_name or user.get_username(), getattr(user, "first_name", "")
    context = {
        "user_name": user_name,
        "first_name": first_name,
        "enterprise_name": notification.customer.name,
        "start_date": format_start(notification.target_start),
        "start_sentence": start_sentence(notification.target_start),
        "enrollment_url": enrollment_url(notification.template_type, notification.target_id),
    }
    key = "program" if notification.template_type == "program" else "course"
    context[f"{key}_name"] = notification.target_title
    context[f"{key}_id"] = notification.target_id
    return context


def build_message(template, context, *, to: str, connection=None) -> EmailMultiAlternatives:
    rendered = template.render(context)
    message = EmailMultiAlternatives(
        subject=rendered["subject"],
        body=rendered["plaintext"],
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        connection=connection,
    )
    if rendered["html"]:
        message.attach_alternative(rendered["html"], "text/html")
    return message


def send_notifications(*, notification_ids: list[int]) -> SendResult:
    """Send the queued notifications among ``notification_ids`` over one connection; record each outcome."""
    token = uuid.uuid4()
    claimed = EnrollmentNotification.objects.filter(pk__in=notification_ids, status=Status.QUEUED).update(
        status=Status.SENDING, claim_token=token
    )
    result = SendResult(skipped=len(set(notification_ids)) - claimed)
    if not claimed:
        return result
    notifications = list(EnrollmentNotification.objects.filter(claim_token=token).select_related("customer", "user"))
    templates: dict[tuple, EnrollmentNotificationEmailTemplate | None] = {}
    connection = get_connection()
    try:
        try:
            connection.open()  # one connection for the whole batch
        except Exception as exc:  # the mail server is unreachable: every e-mail of the batch fails alike
            logger.warning("Cannot connect to send %d enrollment notifications: %s", len(notifications), exc)
            for notification in notifications:
                _record_failure(notification, exc, result)
            return result
        for notification in notifications:
            key = (notification.customer_id, notification.template_type)
            if key not in templates:
                templates[key] = template_for(customer_id=key[0], template_type=key[1])
            _send_one(notification, templates[key], connection, result)
    finally:
        connection.close()
        EnrollmentNotification.objects.bulk_update(
            notifications, ["status", "subject", "error", "sent_at", "modified"], batch_size=500
        )
    return result


def _send_one(notification, template, connection, result: SendResult) -> None:
    notification.modified = timezone.now()
    try:
        if template is None:
            raise NotificationTemplateMissing(f"No {notification.template_type} template for this customer or default.")
        context = notification_context(notification)
        message = build_message(template, context, to=notification.email, connection=connection)
        notification.subject = message.subject[:255]
        message.send()
    except Exception as exc:  # one failed e-mail (SMTP refusal, template) must not stop the others
        logger.warning("Enrollment notification %s to %s failed: %s", notification.pk, notification.email, exc)
        _record_failure(notification, exc, result)
        return
    notification.status, notification.error, notification.sent_at = Status.SENT, "", timezone.now()
    result.sent += 1


def _record_failure(notification, exc: Exception, result: SendResult) -> None:
    notification.modified = timezone.now()
    notification.status, notification.error = Status.FAILED, f"{type(exc).__name__}: {exc}"[:2000]
    result.failed += 1


def requeue_notifications(*, notification_ids) -> int:
    """Queue failed (or stuck) notifications again and send them after commit; return how many."""
    ids = list(
        EnrollmentNotification.objects.filter(pk__in=notification_ids)
        .exclude(status=Status.SENT)
        .values_list("pk", flat=True)
    )
    EnrollmentNotification.objects.filter(pk__in=ids).update(
        status=Status.QUEUED, claim_token=None, error="", modified=timezone.now()
    )
    size = enterprise_settings.NOTIFICATION_BATCH_SIZE
    for start in range(0, len(ids), size):
        transaction.on_commit(partial(_enqueue, ids[start : start + size]))
    return len(ids)


@dataclass(frozen=True)
class EmailPreview:
    subject: str
    plaintext: str
    html: str
    to: str


def preview_email(*, template: EnrollmentNotificationEmailTemplate, template_type: str) -> EmailPreview:
    """Render ``template`` (saved or not) as a ``template_type`` e-mail with sample data.

    Raises ``TemplateRenderError`` with the reason when it cannot render.
    """
    customer = template.customer if template.customer_id else None
    context = {
        **SAMPLE_CONTEXT,
        "enterprise_name": customer.name if customer else "Example Corporation",
        "enrollment_url": enrollment_url(template_type, SAMPLE_CONTEXT[f"{template_type}_id"]),
    }
    preview = EnrollmentNotificationEmailTemplate(
        template_type=template_type,
        subject_line=template.subject_line,
        plaintext_template=template.plaintext_template,
        html_template=template.html_template,
    )
    rendered = preview.render(context)
    return EmailPreview(rendered["subject"], rendered["plaintext"], rendered["html"], "ada.lovelace@example.com")
