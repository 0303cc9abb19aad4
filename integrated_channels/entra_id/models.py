"""A customer's Microsoft Entra ID tenant (the seed's ADFS connector) and the directory's people it imported."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from enterprise.fields import EncryptedTextField
from integrated_channels.directory.models import DirectoryImportSettings
from integrated_channels.entra_id.attributes import ATTRIBUTES, DEFAULT_MAPPING
from integrated_channels.integrated_channel.models import ChannelConfiguration

GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
DOMAIN = re.compile(r"^(?=.{1,253}$)([a-zA-Z0-9-]{1,63}\.)+[a-zA-Z]{2,63}$")


def default_mapping() -> dict:
    return dict(DEFAULT_MAPPING)


class EntraIDConfiguration(DirectoryImportSettings, ChannelConfiguration):
    """An app registration of the customer's tenant with the application permission User.Read.All."""

    CHANNEL_CODE = "ENTRA_ID"
    REMOTE_URL_FIELDS = ("login_url", "graph_url")
    CREDENTIALS_SENT_TO = ("login_url", "tenant_id", "client_id")
    SECRET_USER_FIELDS = ("client_id",)
    ATTRIBUTES = ATTRIBUTES
    DEFAULT_MAPPING = DEFAULT_MAPPING

    tenant_id = models.CharField(
        max_length=255,
        verbose_name=_("tenant ID"),
        help_text=_("The directory (tenant) ID of the app registration (a GUID), or the tenant's primary domain."),
    )
    client_id = models.CharField(
        max_length=36,
        verbose_name=_("client ID"),
        help_text=_("The application (client) ID of the app registration (a GUID)."),
    )
    client_secret = EncryptedTextField(
        verbose_name=_("client secret"), help_text=_("A client secret of the app registration (its value).")
    )
    primary_domain = models.CharField(
        max_length=253,
        blank=True,
        editable=False,
        help_text=_("The tenant's primary (default) domain, filled by Test connection from the organization."),
    )
    unlink_disabled = models.BooleanField(
        default=True,
        verbose_name=_("unlink disabled accounts"),
        help_text=_(
            "People whose account is disabled in Entra ID (accountEnabled false) are not imported, and the "
            "learners this connection imported are unlinked when their account is disabled or deleted."
        ),
    )
    use_delta = models.BooleanField(
        default=True,
        verbose_name=_("read only changes"),
        help_text=_(
            "After the first full import, read only the users changed since the last run (Graph's delta query). "
            "A connection filtering by manager reads everyone each time (the hierarchy needs the whole directory)."
        ),
    )
    login_url = models.URLField(
        default="https://login.microsoftonline.com",
        verbose_name=_("sign-in address"),
        help_text=_("Microsoft identity platform (change only for a national cloud)."),
    )
    graph_url = models.URLField(
        default="https://graph.microsoft.com",
        verbose_name=_("Microsoft Graph address"),
        help_text=_("Microsoft Graph (change only for a national cloud)."),
    )

    class Meta:
        verbose_name = _("Microsoft Entra ID connection")
        verbose_name_plural = _("Microsoft Entra ID connections")

    def clean(self):
        errors = {}
        try:
            super().clean()
        except ValidationError as exc:
            errors.update(exc.message_dict)
        if self.tenant_id and not (GUID.match(self.tenant_id) or DOMAIN.match(self.tenant_id)):
            errors["tenant_id"] = _("A tenant ID is a GUID (or the tenant's domain, e.g. contoso.onmicrosoft.com).")
        if self.client_id and not GUID.match(self.client_id):
            errors["client_id"] = _("A client ID is a GUID, e.g. 00001111-aaaa-2222-bbbb-3333cccc4444.")
        errors.update(self.import_errors())
        if errors:
            raise ValidationError(errors)

    def secrets(self) -> list[str]:
        return [self.client_secret] if self.client_secret else []


class EntraDirectoryUser(models.Model):
    """A directory user (object id) a connection imported, with the e-mail it was imported as.

    A delta answer names a deleted user by its id only: this is how the import knows whom to unlink.
    The delta state itself (the deltaLink) is kept in ``EntraDeltaState``.
    """

    configuration = models.ForeignKey(EntraIDConfiguration, on_delete=models.CASCADE, related_name="+")
    object_id = models.CharField(max_length=64)
    email = models.CharField(max_length=254)

    class Meta:
        verbose_name = _("Entra ID imported user")
        constraints = [models.UniqueConstraint(fields=["configuration", "object_id"], name="entra_user_unique")]

    def __str__(self):
        return f"{self.object_id} ({self.email})"


class EntraDeltaState(models.Model):
    """The deltaLink of a connection's last successful run, and what it was asked for.

    Kept per connection, written in the run's transaction (a failed run keeps the previous one);
    ``selection`` is the ``$select``/``$expand`` it tracks: a changed mapping starts a full read.
    """

    configuration = models.OneToOneField(
        EntraIDConfiguration, on_delete=models.CASCADE, primary_key=True, related_name="delta_state"
    )
    delta_link = models.TextField()
    selection = models.TextField()
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("Entra ID delta state")

    def __str__(self):
        return f"delta state of connection {self.configuration_id}"
