"""A Salesforce connection for learning records: a connected app (client credentials) and the custom objects."""

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from enterprise.fields import EncryptedTextField
from integrated_channels.integrated_channel.models import ChannelConfiguration

api_name = RegexValidator(r"^[A-Za-z][A-Za-z0-9_]*(__c)?$", _("A Salesforce API name, e.g. Learner_Transcript__c."))


class LinkTo(models.TextChoices):
    USER = "User", _("User (Salesforce users, matched by e-mail)")
    CONTACT = "Contact", _("Contact (matched by e-mail; missing learners are created as contacts)")


class SalesforceRecordsConnection(ChannelConfiguration):
    CHANNEL_CODE = "SALESFORCE_RECORDS"
    REMOTE_URL_FIELDS = ("my_domain_url",)
    CREDENTIALS_SENT_TO = ("my_domain_url",)
    SECRET_USER_FIELDS = ("client_id",)

    my_domain_url = models.URLField(
        verbose_name=_("My Domain URL"), help_text=_("The org's My Domain, e.g. https://acme.my.salesforce.com.")
    )
    client_id = models.CharField(max_length=255, verbose_name=_("consumer key"))
    client_secret = EncryptedTextField(verbose_name=_("consumer secret"))
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

    def secrets(self) -> list[str]:
        return [self.client_secret] if self.client_secret else []
