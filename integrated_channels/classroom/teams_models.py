"""A customer's Microsoft Teams connection: an app registration of its tenant calling Microsoft Graph.

The app signs in with the client-credentials grant (tenant id, client id, client secret) and
creates the sessions' online meetings on behalf of one organizer, which Microsoft allows only when
an *application access policy* of the tenant names the app and is granted to that organizer
(docs/virtual-classrooms.md). Graph addresses online meetings by the organizer's object id, a GUID:
the database refuses anything else.
"""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from enterprise.fields import EncryptedTextField
from integrated_channels.integrated_channel.models import ChannelConfiguration

GUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
validate_guid = RegexValidator(
    GUID_PATTERN, _("A GUID, e.g. 11111111-2222-3333-4444-555555555555 (not a name or an e-mail)."), "not_a_guid"
)


class TeamsConnection(ChannelConfiguration):
    """Microsoft Teams meetings for sessions, through Microsoft Graph (application permissions)."""

    CHANNEL_CODE = "TEAMS"
    REMOTE_URL_FIELDS = ("login_url", "graph_url")
    CREDENTIALS_SENT_TO = ("login_url", "tenant_id", "client_id")
    SECRET_USER_FIELDS = ("client_id",)

    class LobbyBypass(models.TextChoices):
        """Graph's ``lobbyBypassScope``: who joins without waiting in the lobby."""

        ORGANIZER = "organizer", _("Only the organizer (everyone else waits in the lobby)")
        INVITED = "invited", _("People the organizer invited")
        ORGANIZATION = "organization", _("People of the organization")
        ORGANIZATION_EXCLUDING_GUESTS = "organizationExcludingGuests", _("People of the organization, not guests")
        ORGANIZATION_AND_FEDERATED = "organizationAndFederated", _("People of the organization and trusted ones")
        EVERYONE = "everyone", _("Everyone (no lobby)")

    class Presenters(models.TextChoices):
        """Graph's ``onlineMeetingPresenters``: who may present."""

        ORGANIZER = "organizer", _("Only the organizer")
        ORGANIZATION = "organization", _("People of the organization")
        EVERYONE = "everyone", _("Everyone")

    tenant_id = models.CharField(
        max_length=36,
        validators=[validate_guid],
        verbose_name=_("tenant ID"),
        help_text=_("The directory (tenant) ID of the app registration (a GUID)."),
    )
    client_id = models.CharField(
        max_length=36,
        validators=[validate_guid],
        verbose_name=_("client ID"),
        help_text=_("The application (client) ID of the app registration (a GUID)."),
    )
    client_secret = EncryptedTextField(
        verbose_name=_("client secret"), help_text=_("A client secret of the app registration (its value).")
    )
    organizer_id = models.CharField(
        max_length=36,
        validators=[validate_guid],
        verbose_name=_("organizer user ID"),
        help_text=_(
            "The object ID (a GUID) of the Microsoft 365 user who organizes the meetings; the tenant's "
            "application access policy must be granted to this user."
        ),
    )
    lobby_bypass = models.CharField(
        max_length=32,
        choices=LobbyBypass.choices,
        default=LobbyBypass.ORGANIZATION,
        verbose_name=_("who bypasses the lobby"),
        help_text=_("Everyone else waits in the lobby until the organizer (or a presenter) admits them."),
    )
    dial_in_bypasses_lobby = models.BooleanField(
        default=False,
        verbose_name=_("callers by phone bypass the lobby"),
    )
    allowed_presenters = models.CharField(
        max_length=16, choices=Presenters.choices, default=Presenters.ORGANIZER, verbose_name=_("who may present")
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
        verbose_name = _("Microsoft Teams connection")
        constraints = [
            models.CheckConstraint(
                condition=Q(tenant_id__regex=GUID_PATTERN)
                & Q(client_id__regex=GUID_PATTERN)
                & Q(organizer_id__regex=GUID_PATTERN),
                name="classroom_teams_ids_are_guids",
                violation_error_message=_("The tenant, client and organizer IDs are GUIDs."),
            ),
        ]

    def secrets(self) -> list[str]:
        return [self.client_secret] if self.client_secret else []
