"""A customer's Salesforce org: its My Domain, a connected app's client credentials, what to import."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from integrated_channels.directory.models import DirectoryImportSettings
from integrated_channels.integrated_channel.models import ChannelConfiguration
from integrated_channels.salesforce.attributes import ATTRIBUTES, DEFAULT_MAPPING, FIELD
from integrated_channels.salesforce.auth import SalesforceAuthFields

API_VERSION = re.compile(r"^v\d{2}\.\d$")


class SalesforceConfiguration(DirectoryImportSettings, SalesforceAuthFields, ChannelConfiguration):
    """A connected app with the OAuth 2.0 client credentials flow enabled (its run-as user reads the records),
    or the JWT bearer flow (its certificate's private key signs in as a username; decision 0403)."""

    CHANNEL_CODE = "SALESFORCE"
    REMOTE_URL_FIELDS = CREDENTIALS_SENT_TO = ("my_domain_url",)
    SECRET_USER_FIELDS = ("client_id",)
    ATTRIBUTES = ATTRIBUTES
    DEFAULT_MAPPING = DEFAULT_MAPPING

    class Records(models.TextChoices):
        USERS = "users", _("Users")
        CONTACTS = "contacts", _("Contacts")

    api_version = models.CharField(max_length=8, default="v62.0", help_text=_("REST API version, e.g. v62.0."))
    records = models.CharField(
        max_length=16, choices=Records.choices, default=Records.USERS, help_text=_("Import Users or Contacts.")
    )
    contacts_column = models.CharField(
        max_length=80,
        blank=True,
        help_text=_("Contacts only: import the contacts whose field (API name) has one of the values. Empty: all."),
    )
    contacts_values = models.TextField(blank=True, help_text=_("Contacts only: the values, one per line."))
    active_users_only = models.BooleanField(default=True, help_text=_("Users only: import active users only."))
    bulk_threshold = models.PositiveIntegerField(
        default=200_000,
        help_text=_(
            "Above this many records, read them with a Bulk API 2.0 query job (CSV results of up to 50,000 "
            "records a call) instead of the REST query (2,000 a call). 0: always the REST query."
        ),
    )

    class Meta:
        verbose_name = _("Salesforce connection")
        verbose_name_plural = _("Salesforce connections")

    def clean(self):
        errors = {}
        try:
            super().clean()
        except ValidationError as exc:
            errors.update(exc.message_dict)
        if self.api_version and not API_VERSION.match(self.api_version):
            errors["api_version"] = _("A version like v62.0.")
        if self.contacts_column and not FIELD.match(self.contacts_column):
            errors["contacts_column"] = _("An API name, e.g. LeadSource or Region__c.")
        if self.contacts_column and not self.values():
            errors["contacts_values"] = _("Give the values of the field to import, one per line.")
        errors.update(self.import_errors())
        errors.update(self.auth_errors())
        if errors:
            raise ValidationError(errors)

    def offers(self, column: str) -> bool:
        return bool(FIELD.match(column))  # custom and related fields too: the org says whether they exist

    def values(self) -> list[str]:
        return [line.strip() for line in (self.contacts_values or "").splitlines() if line.strip()]

    def secrets(self) -> list[str]:
        return self.auth_secrets()
