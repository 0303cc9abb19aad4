"""A Marketo Engage connection: the instance's REST endpoint, a LaunchPoint API-only user, the lead mapping."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from enterprise.fields import EncryptedTextField
from enterprise.learner_fields import Field
from integrated_channels.integrated_channel.models import ChannelConfiguration

DEFAULT_MAPPING = {"email": "email", "first_name": "firstName", "last_name": "lastName"}
#: The learner's username, exportable beside the customer's learner fields.
USERNAME = Field("username", "Username")


#: The seed's learning events, sent as custom activities on the lead. An enrollment is a training enrollment
#: when an administrator, an API client or a connector started it, a self enrollment when the learner did
#: (``EnterpriseCourseEnrollment.started_by``, decision 0401).
EVENTS = {
    "new_user": _("New user (linked to the customer)"),
    "user_metadata_updated": _("User metadata updated"),
    "user_activity_updated": _("User activity updated (progress or completion in a course)"),
    "training_enrollment": _("Training enrollment (enrolled by an administrator, an API client or a connector)"),
    "self_enrollment": _("Self enrollment (the learner enrolled themselves)"),
    "skill_completion": _("Skill completion"),
}


def default_mapping() -> dict:
    return dict(DEFAULT_MAPPING)


class MarketoConnection(ChannelConfiguration):
    CHANNEL_CODE = "MARKETO"
    REMOTE_URL_FIELDS = ("instance_url",)
    CREDENTIALS_SENT_TO = ("instance_url",)
    SECRET_USER_FIELDS = ("client_id",)

    instance_url = models.URLField(
        verbose_name=_("instance URL"),
        help_text=_(
            "The instance's REST endpoint without /rest, e.g. https://123-ABC-456.mktorest.com (Admin > Web "
            "Services). The token is asked at {this}/identity/oauth/token."
        ),
    )
    client_id = models.CharField(max_length=100, verbose_name=_("client id"))
    client_secret = EncryptedTextField(verbose_name=_("client secret"))
    lead_mapping = models.JSONField(
        default=default_mapping,
        blank=True,
        verbose_name=_("lead mapping"),
        help_text=_(
            "Learner field → Marketo lead field (REST name), or a field added to a cp_ custom object "
            "(cp_object.field), chosen in drop-downs of the fields Test connection read. e-mail must map to email "
            "(the lookup field)."
        ),
    )
    marketo_fields = models.JSONField(
        default=dict,
        blank=True,
        editable=False,
        verbose_name=_("Marketo fields"),
        help_text=_(
            'What Test connection read from the describe endpoints: {"lead": [REST names], "cp_…": [fields of '
            "each custom object present]}. The lead fields are the choices of the lead mapping."
        ),
    )
    create_custom_objects = models.BooleanField(
        default=True,
        help_text=_(
            "Create the custom objects (cp_learnerTranscript, cp_userSkill, cp_userReport) through the API when "
            "the instance lacks them, then approve them. Off: an administrator creates them (see the docs)."
        ),
    )
    event_activity_types = models.JSONField(
        default=dict,
        blank=True,
        verbose_name=_("events (custom activity types)"),
        help_text=_(
            "The events to send, each with the id of the custom activity type created for it in Marketo (Admin > "
            'Marketo Custom Activities), e.g. {"training_enrollment": 100001, "skill_completion": 100002}. '
            "Events: new_user, user_metadata_updated, user_activity_updated, training_enrollment, self_enrollment, "
            "skill_completion."
        ),
    )
    daily_quota = models.PositiveIntegerField(
        default=50_000, help_text=_("The subscription's daily API call quota (Marketo error 607 past it).")
    )

    class Meta:
        verbose_name = _("Marketo Engage connection")
        verbose_name_plural = _("Marketo Engage connections")

    def learner_fields(self) -> tuple[Field, ...]:
        """What the lead mapping can export: the customer's learner fields and the username."""
        from enterprise.learner_fields import fields_of

        return (*fields_of(self.customer if self.customer_id else None), USERNAME)

    def lead_fields(self) -> list[str]:
        """The lead fields the mapping offers: those Test connection read, else the standard ones."""
        return list((self.marketo_fields or {}).get("lead") or DEFAULT_MAPPING.values())

    def mapping_targets(self) -> list[str]:
        """What a learner field can map to: the lead fields, then ``cp_object.field`` for each field an
        administrator added to a cp_ custom object (as Test connection read it); the connector's own fields
        and Marketo's system fields are not offered."""
        from integrated_channels.marketo.operations import added_object_fields

        found = self.marketo_fields or {}
        return [*self.lead_fields(), *added_object_fields(found)]

    def clean(self):
        super().clean()
        mapping = self.lead_mapping or {}
        if not isinstance(mapping, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in mapping.items()
        ):
            raise ValidationError({"lead_mapping": _("A mapping of learner field names to Marketo field names.")})
        from integrated_channels.marketo.operations import object_target_error

        for target in mapping.values():
            if problem := object_target_error(target):
                raise ValidationError({"lead_mapping": problem})
        if mapping.get("email") != "email":
            raise ValidationError({"lead_mapping": _("e-mail must map to the lead field email (the lookup field).")})
        known = {field.key for field in self.learner_fields()}
        unknown = sorted(set(mapping) - known)
        if unknown:
            raise ValidationError(
                {"lead_mapping": _("Unknown learner fields: %(names)s.") % {"names": ", ".join(unknown)}}
            )

        events = self.event_activity_types or {}
        if not isinstance(events, dict):
            raise ValidationError({"event_activity_types": _("A mapping of event names to activity type ids.")})
        for name, type_id in events.items():
            if name not in EVENTS:
                raise ValidationError({"event_activity_types": _("Unknown event %(name)s.") % {"name": name}})
            if isinstance(type_id, bool) or not isinstance(type_id, int) or type_id <= 0:
                raise ValidationError(
                    {
                        "event_activity_types": _("The activity type id of %(name)s is not a positive whole number.")
                        % {"name": name}
                    }
                )

    def secrets(self) -> list[str]:
        return [self.client_secret] if self.client_secret else []
