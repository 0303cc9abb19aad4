"""Celery tasks of the enterprise app: thin wrappers around the services.

With a broker (``CELERY_BROKER_URL``) they run on workers; the standalone host runs them in-process
(``CELERY_TASK_ALWAYS_EAGER``) when there is none.
"""

from celery import shared_task

from enterprise.services.notifications import send_notifications


@shared_task(name="enterprise.send_enrollment_notifications", ignore_result=True)
def send_enrollment_notifications(notification_ids: list[int]) -> dict[str, int]:
    """Send queued enrollment notification e-mails (one SMTP connection per task)."""
    result = send_notifications(notification_ids=notification_ids)
    return {"sent": result.sent, "failed": result.failed, "skipped": result.skipped}
