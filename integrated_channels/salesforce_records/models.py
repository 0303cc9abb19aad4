"""A Salesforce connection for learning records: a connected app (client credentials) and the custom objects."""

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from integrated_channels.integrated_channel.models import ChannelConfiguration
from integrated_channels.salesforce.auth import SalesforceAuthFields

api_name = RegexValidator(r"^[A-Za-z][A-Za-z0-9_]*(__c)?$", _("A Salesforce API name, e.g. Learner_Transcript__c."))


class LinkTo(models.TextChoices):
    USER = "User", _("User (Salesforce users, matched by e-mail)")
    CONTACT = "Contact", _("Contact (matched by e-mail; missing learners are created as contacts)")


class SalesforceRecordsConnection(SalesforceAuthFields, ChannelConfiguration):
    """Client credentials or the JWT bearer flow (decision 0403), and the custom objects."""

    CHANNEL_CODE = "SALESFORCE_RECORDS"
    REMOTE_URL_FIELDS = ("my_domain_url",)
    CREDENTIALS_SENT_TO = ("my_domain_url",)
    SECRET_USER_FIELDS = ("client_id",)

    api_version = models.CharField(
        max_length=8, default="v62.0", validators=[RegexValidator(r"^v\d{2,3}\.0$", _("e.g. v62.0"))]
    )
    link_to = models.CharField(max_length=8, choices=LinkTo.choices, default=LinkTo.USER)
    learner_lookup_field = models.CharField(
        max_length=80,
        default="Learner__c",
        validators=[api_name],
        help_text=_("The lookup field (to User or Contact, as chosen) on each of the custom objects below."),
    )
    external_id_field = models.CharField(
        max_length=80,
        default="External_Id__c",
        validators=[api_name],
        help_text=_("The External ID field (unique) of each custom object: records are upserted by it."),
    )
    bulk_threshold = models.PositiveIntegerField(
        default=10_000,
        help_text=_(
            "Above this many records in a run, send them with Bulk API 2.0 upsert jobs (CSV, up to 100 MB a job, "
            "results read back per record) instead of sObject Collections (200 a call). 0: always collections."
        ),
    )
    transcript_object = models.CharField(max_length=80, default="Learner_Transcript__c", validators=[api_name])
    skill_object = models.CharField(max_length=80, default="Learner_Skill__c", validators=[api_name])
    user_report_object = models.CharField(max_length=80, default="Learner_Report__c", validators=[api_name])

    class Meta:
        verbose_name = _("Salesforce learning records connection")
        verbose_name_plural = _("Salesforce learning records connections")

    def clean(self):
        super().clean()
        errors = self.auth_errors()
        if errors:
            raise ValidationError(errors)

    def secrets(self) -> list[str]:
        return self.auth_secrets()
