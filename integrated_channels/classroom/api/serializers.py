"""Serializers of the sessions API: input validation (errors naming the field) and output shape, no logic.

The session's invariants are the database's (``Session.Meta.constraints``); they are checked here
first, field by field, so a bad request answers 400 naming the field rather than reaching them.
"""

from __future__ import annotations

import zoneinfo
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from enterprise.models import EnterpriseCustomerAdmin, EnterpriseCustomerUser
from integrated_channels.classroom.models import Attendance, Registration, Session
from integrated_channels.integrated_channel.models import ChannelConfiguration
from integrated_channels.integrated_channel.registry import registry

HUNDRED = Decimal(100)
MAX_CAPACITY = 100_000


def hosting_channels() -> list[str]:
    """The codes of the channels whose connections host sessions (the classroom app's: Zoom, Teams, …)."""
    return [channel.code for channel in registry.all() if channel.app_label == "classroom"]


class ConnectionField(serializers.PrimaryKeyRelatedField):
    """A meeting connection of the session's customer, by id; another customer's answers like a missing one."""

    default_error_messages = {
        **serializers.PrimaryKeyRelatedField.default_error_messages,
        "does_not_exist": "No meeting connection {pk_value} of this customer.",
    }

    def get_queryset(self):
        customer = self.context["customer"]
        return ChannelConfiguration.objects.filter(customer=customer, channel__in=hosting_channels())


class InstructorField(serializers.RelatedField):
    """An instructor by e-mail: one of the customer's administrators or linked learners (any other answers alike)."""

    default_error_messages = {
        "unknown": "No administrator or learner of this customer has the address {value}.",
        "ambiguous": "Several users of this customer have the address {value}.",
    }

    def get_queryset(self):
        customer = self.context["customer"]
        admins = EnterpriseCustomerAdmin.objects.filter(customer=customer).values("user_id")
        learners = EnterpriseCustomerUser.objects.filter(customer=customer, linked=True).values("user_id")
        return get_user_model().objects.filter(Q(pk__in=admins) | Q(pk__in=learners))

    def to_representation(self, value):
        return value.email

    def to_internal_value(self, data):
        if not isinstance(data, str) or not data.strip():
            self.fail("unknown", value=data)
        found = list(self.get_queryset().filter(email__iexact=data.strip())[:2])
        if not found:
            self.fail("unknown", value=data.strip())
        if len(found) > 1:
            self.fail("ambiguous", value=data.strip())
        return found[0]


class SessionSerializer(serializers.ModelSerializer):
    connection = ConnectionField(
        allow_null=True,
        required=False,
        help_text="Id of one of the customer's meeting connections (Zoom, Microsoft Teams …); null: attendance "
        "entered by hand.",
    )
    channel = serializers.CharField(source="connection.channel", read_only=True, default=None)
    instructors = InstructorField(
        many=True,
        required=False,
        help_text="E-mail addresses of the instructors: administrators or learners of the customer.",
    )
    # declared, not derived: the derived bounds would be the database's (the schema would differ between backends)
    capacity = serializers.IntegerField(
        min_value=1,
        max_value=MAX_CAPACITY,
        allow_null=True,
        required=False,
        help_text="Seats; learners enrolled beyond it wait. Empty: no limit.",
    )
    registered = serializers.IntegerField(read_only=True, help_text="Learners with a seat.")
    waitlisted = serializers.IntegerField(read_only=True, help_text="Learners waiting for a seat.")

    class Meta:
        model = Session
        fields = [
            "id",
            "uuid",
            "course_id",
            "title",
            "start",
            "end",
            "time_zone",
            "connection",
            "channel",
            "room_kind",
            "room_id",
            "join_url",
            "recording_url",
            "recording_passcode",
            "capacity",
            "min_attendance_percent",
            "min_quiz_percent",
            "status",
            "instructors",
            "registered",
            "waitlisted",
            "attendance_synced_at",
            "created",
            "modified",
        ]
        read_only_fields = ["id", "uuid", "status", "attendance_synced_at", "created", "modified"]
        extra_kwargs = {
            "course_id": {"help_text": "A local course or one of the catalog."},
            "min_attendance_percent": {"min_value": Decimal(0), "max_value": HUNDRED},
            "min_quiz_percent": {"min_value": Decimal(0), "max_value": HUNDRED},
        }
        validators = []  # the model's constraints are checked in ``validate``, each naming its field

    def validate_time_zone(self, value):
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
            raise serializers.ValidationError(f"{value} is not an IANA time zone (e.g. Europe/Paris).") from error
        return value

    def validate_course_id(self, value):
        if not value.strip():
            raise serializers.ValidationError("Name the course.", code="blank")
        return value.strip()

    def validate(self, attrs):
        instance = self.instance
        merged = {
            name: attrs.get(
                name, getattr(instance, name) if instance is not None else Session._meta.get_field(name).get_default()
            )
            for name in (
                "course_id",
                "title",
                "start",
                "end",
                "time_zone",
                "connection",
                "room_kind",
                "room_id",
                "join_url",
                "recording_url",
                "recording_passcode",
                "capacity",
                "min_attendance_percent",
                "min_quiz_percent",
            )
        }
        errors = {}
        if merged["start"] is not None and merged["end"] is not None and merged["end"] <= merged["start"]:
            errors["end"] = "The session must end after it starts."
        if merged["min_attendance_percent"] is None and merged["min_quiz_percent"] is None:
            errors["min_attendance_percent"] = "The completion rule needs an attendance share, a quiz score or both."
        if merged["room_kind"] == Session.RoomKind.PERSISTENT and not merged["room_id"]:
            errors["room_id"] = "A persistent room needs the provider's room id."
        if (
            instance is not None
            and "connection" in attrs
            and attrs["connection"] != instance.connection
            and instance.room_kind == Session.RoomKind.DYNAMIC
            and instance.room_id
        ):
            errors["connection"] = "The session's meeting exists on its connection: create another session instead."
        if errors:
            raise serializers.ValidationError(errors)
        candidate = Session(pk=getattr(instance, "pk", None), customer=self.context["customer"], **merged)
        try:
            candidate.full_clean(exclude=["customer"], validate_unique=False)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc
        return attrs


class RegistrationSerializer(serializers.ModelSerializer):
    email = serializers.EmailField(source="user.email", read_only=True)
    invited = serializers.SerializerMethodField(help_text="The learner has the session's latest invitation.")

    class Meta:
        model = Registration
        fields = ["id", "user_id", "email", "status", "invited", "created", "modified"]

    def get_invited(self, registration) -> bool:
        return registration.invited_sequence == registration.session.sequence


class AttendanceSerializer(serializers.ModelSerializer):
    email = serializers.EmailField(source="user.email", read_only=True)
    corrected_by = serializers.CharField(source="corrected_by.username", read_only=True, default=None)
    attended_percent = serializers.SerializerMethodField(help_text="Share of the scheduled time attended.")

    class Meta:
        model = Attendance
        fields = [
            "user_id",
            "email",
            "minutes",
            "attended_percent",
            "quiz_percent",
            "source",
            "corrected_by",
            "corrected_at",
            "correction_note",
            "modified",
        ]

    @extend_schema_field(serializers.DecimalField(max_digits=8, decimal_places=2))
    def get_attended_percent(self, attendance) -> str:
        scheduled = attendance.session.scheduled_minutes
        share = attendance.minutes * HUNDRED / scheduled if scheduled > 0 else Decimal(0)
        return str(share.quantize(Decimal("0.01")))


class AttendanceCorrectionSerializer(serializers.Serializer):
    email = serializers.EmailField(required=False, help_text="The learner, by e-mail (or give user_id).")
    user_id = serializers.IntegerField(required=False, min_value=1, help_text="The learner, by user id.")
    minutes = serializers.DecimalField(
        max_digits=8, decimal_places=2, min_value=Decimal(0), help_text="Minutes attended, as corrected."
    )
    quiz_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=Decimal(0), max_value=HUNDRED, required=False, allow_null=True
    )
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        if ("email" in attrs) == ("user_id" in attrs):
            raise serializers.ValidationError({"email": "Name the learner by email or by user_id (one of them)."})
        scheduled = self.context["session"].scheduled_minutes
        if attrs["minutes"] > scheduled * 10:
            raise serializers.ValidationError(
                {"minutes": f"More than ten times the session's {scheduled:.0f} scheduled minutes."}
            )
        return attrs


class CancelResultSerializer(serializers.Serializer):
    status = serializers.CharField()
    told = serializers.IntegerField(help_text="Registered learners sent the cancellation (METHOD:CANCEL).")
