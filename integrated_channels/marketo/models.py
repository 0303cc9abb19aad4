"""A Marketo Engage connection: the instance's REST endpoint, a LaunchPoint API-only user, the lead mapping."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from enterprise.fields import EncryptedTextField
from integrated_channels.integrated_channel.models import ChannelConfiguration

DEFAULT_MAPPING = {"email": "email", "first_name": "firstName", "last_name": "lastName"}


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
            'Learner field → Marketo lead field (REST name), e.g. {"email": "email", "department": '
            '"department"}. Test connection lists the instance\'s lead fields. e-mail must map to email (the '
            "lookup field)."
        ),
    )
    create_custom_objects = models.BooleanField(
        default=True,
        help_text=_(
            "Create the custom objects (cp_learnerTranscript, cp_userSkill, cp_userReport) through the API when "
            "the instance lacks them, then approve them. Off: an administrator creates them (see the docs)."
        ),
    )
    daily_quota = models.PositiveIntegerField(
        default=50_000, help_text=_("The subscription's daily API call quota (Marketo error 607 past it).")
    )

    class Meta:
        verbose_name = _("Marketo Engage connection")
        verbose_name_plural = _("Marketo Engage connections")

    def clean(self):
        super().clean()
        mapping = self.lead_mapping or {}
        if not isinstance(mapping, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in mapping.items()
        ):
            raise ValidationError({"lead_mapping": _("A mapping of learner field names to Marketo field names.")})
        if mapping.get("email") != "email":
            raise ValidationError({"lead_mapping": _("e-mail must map to the lead field email (the lookup field).")})
        from enterprise.learner_fields import fields_of

        known = {field.key for field in fields_of(self.customer if self.customer_id else None)} | {"username"}
        unknown = sorted(set(mapping) - known)
        if unknown:
            raise ValidationError(
                {"lead_mapping": _("Unknown learner fields: %(names)s.") % {"names": ", ".join(unknown)}}
            )

    def secrets(self) -> list[str]:
        return [self.client_secret] if self.client_secret else []
