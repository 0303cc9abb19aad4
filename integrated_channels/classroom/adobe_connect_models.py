"""Adobe Connect: the connection to an ``*.adobeconnect.com`` account, and the quiz scores of its rooms.

Imported by ``classroom.models`` (one app, decision 0310). A learner's final quiz score in a
session (points of the maximum, and the percentage) and their result per question come from
Connect's quiz reports; the database holds the invariants: one score per learner and session,
points within 0..maximum, the percentage within 0..100, one row per learner and question.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from enterprise.fields import EncryptedTextField
from integrated_channels.classroom.models import Session  # defined before models.py imports this module
from integrated_channels.integrated_channel.models import ChannelConfiguration

DOMAIN = re.compile(r"^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.adobeconnect\.com$")
SCO_ID = re.compile(r"^[0-9]{1,20}$")


def validate_adobeconnect_domain(value: str) -> None:
    if not DOMAIN.match((value or "").strip().lower()):
        raise ValidationError(
            _("%(value)s is not an Adobe-hosted Connect account (e.g. mycompany.adobeconnect.com).") % {"value": value}
        )


def validate_sco_id(value: str) -> None:
    if value and not SCO_ID.match(value):
        raise ValidationError(_("%(value)s is not a Connect sco-id (digits only).") % {"value": value})


class AdobeConnectConnection(ChannelConfiguration):
    """A customer's Adobe Connect account: its domain and an administrator's login and password."""

    CHANNEL_CODE = "ADOBE_CONNECT"
    REMOTE_URL_FIELDS = ("api_url",)
    CREDENTIALS_SENT_TO = ("domain", "api_url")
    SECRET_USER_FIELDS = ("login",)

    domain = models.CharField(
        max_length=253,
        validators=[validate_adobeconnect_domain],
        help_text=_("The account's Adobe-hosted domain, e.g. mycompany.adobeconnect.com."),
    )
    login = models.EmailField(help_text=_("The e-mail of an administrator of the Connect account."))
    password = EncryptedTextField(
        help_text=_("The administrator's password: kept encrypted, never shown again (write-only)."),
    )
    folder_sco_id = models.CharField(
        max_length=20,
        blank=True,
        validators=[validate_sco_id],
        verbose_name=_("meetings folder sco-id"),
        help_text=_("The folder dynamic rooms are created in (e.g. the Shared Meetings folder). Needed for them."),
    )
    template_sco_id = models.CharField(
        max_length=20,
        blank=True,
        validators=[validate_sco_id],
        verbose_name=_("room template sco-id"),
        help_text=_("The meeting template dynamic rooms are made from. Empty: Connect's default template."),
    )
    api_url = models.URLField(
        blank=True,
        verbose_name=_("API base URL"),
        help_text=_("Leave empty: https://<domain> is used. Only a test or a proxy names another address."),
    )

    class Meta:
        verbose_name = _("Adobe Connect connection")

    @property
    def base_url(self) -> str:
        return (self.api_url or f"https://{self.domain.strip().lower()}").rstrip("/")

    def secrets(self) -> list[str]:
        return [self.password] if self.password else []


class QuizResult(models.Model):
    """A learner's final quiz score in a session (Connect's quiz takers report): points and percentage."""

    session = models.ForeignKey("classroom.Session", on_delete=models.CASCADE, related_name="quiz_results")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    points = models.DecimalField(max_digits=9, decimal_places=2)
    max_points = models.DecimalField(max_digits=9, decimal_places=2)
    percent = models.DecimalField(max_digits=5, decimal_places=2)
    passed = models.BooleanField(null=True, blank=True, help_text=_("Connect's own pass/fail status, when given."))
    transcript_id = models.CharField(max_length=32, blank=True)
    taken_at = models.DateTimeField(null=True, blank=True)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("quiz score by user")
        verbose_name_plural = _("quiz scores by user")
        ordering = ["session", "user"]
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="classroom_quiz_result_unique"),
            models.CheckConstraint(
                condition=Q(points__gte=0, max_points__gt=0, points__lte=models.F("max_points")),
                name="classroom_quiz_points_range",
                violation_error_message=_("Points lie between 0 and the positive maximum."),
            ),
            models.CheckConstraint(condition=Q(percent__gte=0, percent__lte=100), name="classroom_quiz_percent"),
        ]

    def __str__(self):
        return f"{self.user_id}: {self.points}/{self.max_points} ({self.percent} %) in session {self.session_id}"


class QuizAnswer(models.Model):
    """A learner's answer to one question of a session's quiz (Connect's quiz interactions report)."""

    session = models.ForeignKey("classroom.Session", on_delete=models.CASCADE, related_name="quiz_answers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    interaction_id = models.CharField(max_length=32, help_text=_("Connect's id of this learner's answers to it."))
    question_number = models.PositiveIntegerField(help_text=_("The question's place in the quiz (display-seq)."))
    question = models.TextField()
    response = models.TextField(blank=True)
    points = models.DecimalField(max_digits=9, decimal_places=2)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("quiz answer")
        verbose_name_plural = _("quiz answers")
        ordering = ["session", "question_number", "user"]
        constraints = [
            models.UniqueConstraint(fields=["session", "user", "question_number"], name="classroom_quiz_answer_unique"),
            models.CheckConstraint(condition=Q(points__gte=0), name="classroom_quiz_answer_points"),
            models.CheckConstraint(condition=Q(question_number__gte=1), name="classroom_quiz_question_number"),
        ]

    def __str__(self):
        return f"{self.user_id}: question {self.question_number} of session {self.session_id} ({self.points})"

    @property
    def correct(self) -> bool:
        return self.points > 0


class SessionScoring(Session):
    """A session seen as the admin's "Attendance & Scoring" report (a proxy: nothing more is stored)."""

    class Meta:
        proxy = True
        verbose_name = _("attendance & scoring")
        verbose_name_plural = _("attendance & scoring")
