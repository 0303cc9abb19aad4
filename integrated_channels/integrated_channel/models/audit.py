"""The transmission audit: one row per (configuration, enrollment) and per (configuration, course).

A row holds what was last sent (payload and its hash), whether it was accepted, how many times
the current payload was tried, the last error and a summary of the remote answer. A record is
sent again only when its payload hash changed or its last attempt failed; the unique constraints
make a second row for the same record impossible.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from enterprise.models import EnterpriseCourseEnrollment
from integrated_channels.integrated_channel.models.configuration import ChannelConfiguration


class TransmissionStatus(models.TextChoices):
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class TransmissionAuditBase(models.Model):
    status = models.CharField(max_length=16, choices=TransmissionStatus.choices)
    payload_hash = models.CharField(max_length=64, help_text=_("SHA-256 of the last payload attempted."))
    payload = models.JSONField(default=dict, blank=True, help_text=_("The last payload attempted."))
    attempts = models.PositiveIntegerField(default=1, help_text=_("Attempts of the current payload."))
    error_code = models.CharField(max_length=64, blank=True)
    last_error = models.TextField(blank=True)
    remote_status = models.PositiveSmallIntegerField(null=True, blank=True, help_text=_("HTTP status answered."))
    remote_response = models.TextField(blank=True, help_text=_("Summary of the remote system's answer."))
    last_attempt_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True, help_text=_("When the current payload was accepted."))
    run = models.ForeignKey(
        "integrated_channel.Run", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        abstract = True


class LearnerDataTransmissionAudit(TransmissionAuditBase):
    """What was last sent to a channel for one enterprise enrollment."""

    configuration = models.ForeignKey(ChannelConfiguration, on_delete=models.CASCADE, related_name="learner_audits")
    enrollment = models.ForeignKey(EnterpriseCourseEnrollment, on_delete=models.CASCADE, related_name="+")
    course_id = models.CharField(max_length=255)
    remote_id = models.CharField(max_length=255, blank=True, help_text=_("The learner's id in the remote system."))
    completed = models.BooleanField(default=False)
    grade = models.CharField(max_length=32, blank=True)

    class Meta:
        verbose_name = _("learner data transmission")
        verbose_name_plural = _("learner data transmissions")
        constraints = [
            models.UniqueConstraint(fields=["configuration", "enrollment"], name="learner_audit_unique_enrollment"),
            models.CheckConstraint(
                condition=~models.Q(status="sent") | models.Q(sent_at__isnull=False),
                name="learner_audit_sent_has_sent_at",
            ),
        ]
        indexes = [models.Index(fields=["configuration", "status"], name="learner_audit_config_status")]

    def __str__(self):
        return f"{self.configuration_id}/{self.enrollment_id}: {self.status}"


class SubsectionGradeTransmissionAudit(TransmissionAuditBase):
    """What was last sent to a channel for one graded subsection of one enterprise enrollment."""

    configuration = models.ForeignKey(
        ChannelConfiguration, on_delete=models.CASCADE, related_name="subsection_grade_audits"
    )
    enrollment = models.ForeignKey(EnterpriseCourseEnrollment, on_delete=models.CASCADE, related_name="+")
    course_id = models.CharField(max_length=255)
    subsection_id = models.CharField(max_length=255)
    grade = models.CharField(max_length=32, blank=True)

    class Meta:
        verbose_name = _("assessment grade transmission")
        verbose_name_plural = _("assessment grade transmissions")
        constraints = [
            models.UniqueConstraint(
                fields=["configuration", "enrollment", "subsection_id"], name="subsection_audit_unique"
            ),
            models.CheckConstraint(
                condition=~models.Q(status="sent") | models.Q(sent_at__isnull=False),
                name="subsection_audit_sent_has_sent_at",
            ),
        ]

    def __str__(self):
        return f"{self.configuration_id}/{self.enrollment_id}/{self.subsection_id}: {self.status}"


class ContentTransmissionAudit(TransmissionAuditBase):
    """What was last sent to a channel for one course."""

    class ContentStatus(models.TextChoices):
        ACTIVE = "active", _("Active")
        INACTIVE = "inactive", _("Inactive")

    configuration = models.ForeignKey(ChannelConfiguration, on_delete=models.CASCADE, related_name="content_audits")
    course_id = models.CharField(max_length=255)
    content_status = models.CharField(max_length=16, choices=ContentStatus.choices, default=ContentStatus.ACTIVE)

    class Meta:
        verbose_name = _("content metadata transmission")
        verbose_name_plural = _("content metadata transmissions")
        constraints = [
            models.UniqueConstraint(fields=["configuration", "course_id"], name="content_audit_unique_course"),
            models.CheckConstraint(
                condition=~models.Q(status="sent") | models.Q(sent_at__isnull=False),
                name="content_audit_sent_has_sent_at",
            ),
        ]

    def __str__(self):
        return f"{self.configuration_id}/{self.course_id}: {self.status}"
