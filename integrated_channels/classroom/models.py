"""Virtual-classroom sessions of a course, their registrations (with a waitlist) and attendance.

A session belongs to a customer and a course (local or from the catalog, by course id) and is
hosted on one of the customer's meeting connections (Zoom, …: a ``ChannelConfiguration`` row, so
any provider connector can host sessions without this table changing). Invariants are held by the
database: a session ends after it starts, capacity is positive, the completion rule names at least
one condition and its percentages lie in 0..100, a persistent room names its room, one
registration and one attendance row per learner and session, a manual correction says who and when.
"""

from __future__ import annotations

import uuid
import zoneinfo
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from enterprise.fields import EncryptedTextField
from enterprise.models import EnterpriseCustomer
from integrated_channels.integrated_channel.models import ChannelConfiguration


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
        raise ValidationError(
            _("%(value)s is not an IANA time zone (e.g. Europe/Paris).") % {"value": value}
        ) from error


PERCENT_VALIDATORS = [MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))]


class Session(models.Model):
    class RoomKind(models.TextChoices):
        DYNAMIC = "dynamic", _("Dynamic room (a meeting created for this session)")
        PERSISTENT = "persistent", _("Persistent room (an existing room of the provider)")

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        CANCELLED = "cancelled", _("Cancelled")
        MEETING_DELETED = "meeting_deleted", _("Meeting deleted on the provider's side")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False, help_text=_("UID of its invitations."))
    customer = models.ForeignKey(EnterpriseCustomer, on_delete=models.CASCADE, related_name="classroom_sessions")
    course_id = models.CharField(max_length=255, db_index=True, help_text=_("A local course or one of the catalog."))
    title = models.CharField(max_length=255)
    start = models.DateTimeField()
    end = models.DateTimeField()
    time_zone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
        help_text=_("The time zone the session is announced in (IANA name, e.g. Europe/Paris)."),
    )
    instructors = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    connection = models.ForeignKey(
        ChannelConfiguration,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="classroom_sessions",
        help_text=_("The meeting connection hosting it (Zoom, …); empty for attendance entered by hand."),
    )
    room_kind = models.CharField(max_length=16, choices=RoomKind.choices, default=RoomKind.DYNAMIC)
    room_id = models.CharField(
        max_length=255,
        blank=True,
        help_text=_(
            "The provider's meeting or room id: set when the meeting is created, chosen for a persistent room."
        ),
    )
    join_url = models.URLField(max_length=1000, blank=True)
    recording_url = models.URLField(max_length=1000, blank=True)
    recording_passcode = models.CharField(max_length=64, blank=True)
    capacity = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("Seats; learners enrolled beyond it wait. Empty: no limit.")
    )
    min_attendance_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=PERCENT_VALIDATORS,
        help_text=_("Complete when attended at least this share of the scheduled time. Empty: not required."),
    )
    min_quiz_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=PERCENT_VALIDATORS,
        help_text=_("Complete when the quiz score is at least this. Empty: not required."),
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SCHEDULED)
    sequence = models.PositiveIntegerField(
        default=0, editable=False, help_text=_("iCalendar SEQUENCE: raised at each change sent to the learners.")
    )
    attendance_synced_at = models.DateTimeField(null=True, blank=True, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["start", "id"]
        indexes = [models.Index(fields=["status", "end"], name="classroom_session_status_end")]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="classroom_session_ends_after_start"),
            models.CheckConstraint(condition=Q(capacity__isnull=True) | Q(capacity__gt=0), name="classroom_capacity"),
            models.CheckConstraint(
                condition=Q(min_attendance_percent__isnull=False) | Q(min_quiz_percent__isnull=False),
                name="classroom_completion_rule_set",
                violation_error_message=_("The completion rule needs an attendance share, a quiz score or both."),
            ),
            models.CheckConstraint(
                condition=Q(min_attendance_percent__isnull=True)
                | Q(min_attendance_percent__gte=0, min_attendance_percent__lte=100),
                name="classroom_attendance_percent_range",
            ),
            models.CheckConstraint(
                condition=Q(min_quiz_percent__isnull=True) | Q(min_quiz_percent__gte=0, min_quiz_percent__lte=100),
                name="classroom_quiz_percent_range",
            ),
            models.CheckConstraint(
                condition=~Q(room_kind="persistent") | ~Q(room_id=""),
                name="classroom_persistent_room_named",
                violation_error_message=_("A persistent room needs the provider's room id."),
            ),
            models.CheckConstraint(
                condition=Q(time_zone__regex=r"^[A-Za-z0-9_+\-/]+$"), name="classroom_time_zone_shape"
            ),
        ]

    def __str__(self):
        return f"{self.title} ({self.course_id}, {self.start:%Y-%m-%d %H:%M} UTC)"

    @property
    def scheduled_minutes(self) -> Decimal:
        return Decimal((self.end - self.start).total_seconds()) / 60

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.SCHEDULED


class Registration(models.Model):
    """A learner's seat (or place on the waitlist) in a session."""

    class Status(models.TextChoices):
        REGISTERED = "registered", _("Registered")
        WAITLISTED = "waitlisted", _("Waitlisted")
        CANCELLED = "cancelled", _("Cancelled")

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="registrations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices)
    provider_registrant_id = models.CharField(max_length=255, blank=True)
    #: the session's ``sequence`` of the last invitation sent to this learner (-1: none yet)
    invited_sequence = models.IntegerField(default=-1, editable=False)
    created = models.DateTimeField(auto_now_add=True, db_index=True, help_text=_("Waitlist order."))
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["session", "created", "id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="classroom_registration_unique"),
        ]

    def __str__(self):
        return f"{self.user_id} in session {self.session_id} ({self.status})"


class Attendance(models.Model):
    """How long a learner attended a session (rejoins summed) and their quiz score, when known."""

    class Source(models.TextChoices):
        PROVIDER = "provider", _("From the provider's report")
        MANUAL = "manual", _("Corrected by hand")

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="attendances")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    minutes = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal(0))
    quiz_percent = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True, validators=PERCENT_VALIDATORS
    )
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.PROVIDER)
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    corrected_at = models.DateTimeField(null=True, blank=True)
    correction_note = models.TextField(blank=True)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="classroom_attendance_unique"),
            models.CheckConstraint(condition=Q(minutes__gte=0), name="classroom_attendance_minutes"),
            models.CheckConstraint(
                condition=Q(quiz_percent__isnull=True) | Q(quiz_percent__gte=0, quiz_percent__lte=100),
                name="classroom_attendance_quiz_range",
            ),
            models.CheckConstraint(
                condition=Q(source="provider", corrected_at__isnull=True)
                | Q(source="manual", corrected_at__isnull=False),
                name="classroom_manual_correction_dated",
                violation_error_message=_("A manual correction records when it was made; a provider row has none."),
            ),
        ]

    def __str__(self):
        return f"{self.user_id}: {self.minutes} min of session {self.session_id}"


class ZoomConnection(ChannelConfiguration):
    """A customer's Zoom account, through a Server-to-Server OAuth app (account id, client id, secret)."""

    CHANNEL_CODE = "ZOOM"
    REMOTE_URL_FIELDS = ("api_url", "token_url")
    CREDENTIALS_SENT_TO = ("token_url",)
    SECRET_USER_FIELDS = ("client_id",)

    account_id = models.CharField(max_length=255, help_text=_("The Server-to-Server OAuth app's Account ID."))
    client_id = models.CharField(
        max_length=255, verbose_name=_("client ID"), help_text=_("The Server-to-Server OAuth app's Client ID.")
    )
    client_secret = EncryptedTextField(verbose_name=_("client secret"))
    host_user = models.EmailField(
        help_text=_("The Zoom user (e-mail) who hosts the meetings created for sessions."),
    )
    registration_required = models.BooleanField(
        default=True,
        help_text=_("Meetings take registrations: each registered learner is added as a registrant (own join link)."),
    )
    api_url = models.URLField(default="https://api.zoom.us/v2", verbose_name=_("API URL"))
    token_url = models.URLField(default="https://zoom.us/oauth/token", verbose_name=_("token URL"))

    class Meta:
        verbose_name = _("Zoom connection")

    def secrets(self) -> list[str]:
        return [self.client_secret] if self.client_secret else []


# Adobe Connect's connection and quiz scores live in their own module (imported here so Django sees them).
from integrated_channels.classroom.adobe_connect_models import (  # noqa: E402, F401
    AdobeConnectConnection,
    QuizAnswer,
    QuizResult,
    SessionScoring,
)
from integrated_channels.classroom.teams_models import TeamsConnection  # noqa: E402, F401  (its own module)
