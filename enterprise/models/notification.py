"""A record of every enrollment notification e-mail: queued in the submission's transaction, sent after it."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from enterprise.models.base import TimeStampedModel
from enterprise.models.customer import EnterpriseCustomer
from enterprise.models.email_template import EnrollmentNotificationEmailTemplate


class EnrollmentNotification(TimeStampedModel):
    """One e-mail telling one learner that they were enrolled in a course or program.

    The row is created with the enrollment (so a rolled-back submission leaves none) and the
    e-mail is sent after commit by a Celery task, which claims the row (``claim_token``) so that
    two workers never send it twice, then records the outcome.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    customer = models.ForeignKey(EnterpriseCustomer, on_delete=models.CASCADE, related_name="enrollment_notifications")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty for a pending learner (known by e-mail only)."),
    )
    email = models.EmailField(max_length=254, help_text=_("Recipient."))
    template_type = models.CharField(max_length=16, choices=EnrollmentNotificationEmailTemplate.TemplateType.choices)
    target_id = models.CharField(max_length=255, help_text=_("The course or program id the learner was enrolled in."))
    target_title = models.CharField(max_length=255, blank=True)
    target_start = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    claim_token = models.UUIDField(null=True, blank=True, editable=False)
    subject = models.CharField(max_length=255, blank=True, help_text=_("As sent."))
    error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("enrollment notification")
        verbose_name_plural = _("enrollment notifications")
        indexes = [
            models.Index(fields=["customer", "-created"], name="enrollment_notif_customer"),
            models.Index(fields=["claim_token"], name="enrollment_notif_claim"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="sent") | models.Q(sent_at__isnull=False),
                name="enrollment_notif_sent_has_sent_at",
            ),
        ]

    def __str__(self):
        return f"{self.email}: {self.target_id} ({self.status})"
