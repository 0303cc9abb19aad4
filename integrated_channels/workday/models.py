"""A customer's Workday tenant (several per customer) and the workers its connections imported."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from enterprise.fields import EncryptedTextField
from integrated_channels.directory.models import DirectoryImportSettings
from integrated_channels.integrated_channel.models import ChannelConfiguration
from integrated_channels.workday.attributes import ATTRIBUTES, DEFAULT_MAPPING

API_VERSION = "v40.1"  # the seed: "Learning Manager uses version 40.1 of Workday API"
TENANT = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")


class WorkdayConfiguration(DirectoryImportSettings, ChannelConfiguration):
    """An integration system user (ISU) of a Workday tenant, with Get_Workers permission."""

    CHANNEL_CODE = "WORKDAY"
    REMOTE_URL_FIELDS = CREDENTIALS_SENT_TO = ("host_url",)
    SECRET_USER_FIELDS = ("username",)
    ATTRIBUTES = ATTRIBUTES
    DEFAULT_MAPPING = DEFAULT_MAPPING

    host_url = models.URLField(
        verbose_name=_("host URL"),
        help_text=_("The tenant's web services host, e.g. https://wd2-impl-services1.workday.com."),
    )
    tenant = models.CharField(max_length=100, help_text=_("The Workday tenant name, e.g. acme_preview."))
    username = models.CharField(
        max_length=255,
        verbose_name=_("integration system user"),
        help_text=_("The ISU's user name (sent as user@tenant)."),
    )
    password = EncryptedTextField(help_text=_("The ISU's password."))
    exclude_contingent_workers = models.BooleanField(
        default=False, help_text=_("Do not import contingent (temporary) workers.")
    )
    active_only = models.BooleanField(default=True, help_text=_("Import only active workers."))

    class Meta:
        verbose_name = _("Workday connection")
        verbose_name_plural = _("Workday connections")

    def clean(self):
        errors = {}
        try:
            super().clean()
        except ValidationError as exc:
            errors.update(exc.message_dict)
        if self.tenant and not TENANT.match(self.tenant):
            errors["tenant"] = _("A tenant name has letters, digits, '_', '.' or '-' only.")
        errors.update(self.import_errors())
        if errors:
            raise ValidationError(errors)

    def secrets(self) -> list[str]:
        return [self.password] if self.password else []

    def isu(self) -> str:
        return self.username if "@" in self.username else f"{self.username}@{self.tenant}"

    def endpoint(self, service: str = "Human_Resources") -> str:
        return f"{self.host_url.rstrip('/')}/ccx/service/{self.tenant}/{service}/{API_VERSION}"


class WorkdayWorker(models.Model):
    """A Workday worker (its UUID, the WID) a connection of the customer imported, with its e-mail and name.

    The seed's rules: the UUID, once set, cannot be cleared by an operator (the field is not editable
    and the admin shows these rows read-only); UUID, e-mail and name are unique across the customer's
    Workday connections — a worker clashing with one another connection imported is reported per
    person and not imported (``workday.source``).
    """

    customer = models.ForeignKey("enterprise.EnterpriseCustomer", on_delete=models.CASCADE, related_name="+")
    configuration = models.ForeignKey(WorkdayConfiguration, on_delete=models.CASCADE, related_name="workers")
    worker_uuid = models.CharField(max_length=64, editable=False, verbose_name=_("Workday UUID"))
    email = models.CharField(max_length=254)
    name = models.CharField(max_length=255, blank=True)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("Workday worker")
        verbose_name_plural = _("Workday workers")
        constraints = [
            models.UniqueConstraint(fields=["customer", "worker_uuid"], name="workday_worker_uuid_unique"),
            models.CheckConstraint(condition=~models.Q(worker_uuid=""), name="workday_worker_uuid_set"),
        ]
        indexes = [models.Index(fields=["customer", "email"]), models.Index(fields=["customer", "name"])]

    def __str__(self):
        return f"{self.name or self.email} ({self.worker_uuid})"
