"""A customer's Degreed organisation: the API host, the OAuth client, what is sent."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from enterprise.fields import EncryptedTextField
from integrated_channels.integrated_channel.models import ChannelConfiguration


class DegreedConfiguration(ChannelConfiguration):
    """The seed's Degreed (v2 API) configuration."""

    CHANNEL_CODE = "DEGREED2"
    REMOTE_URL_FIELDS = CREDENTIALS_SENT_TO = ("base_url", "token_base_url")
    SECRET_USER_FIELDS = ("client_id",)

    base_url = models.URLField(
        verbose_name=_("Degreed API base URL"),
        help_text=_("The organisation's Degreed API host, e.g. https://api.degreed.com (or the EU / CA host)."),
    )
    token_base_url = models.URLField(
        blank=True,
        verbose_name=_("Degreed token base URL"),
        help_text=_(
            "Host of the OAuth token endpoint (/oauth/token) when it is not the API host, e.g. https://degreed.com. "
            "Empty: the API host."
        ),
    )
    client_id = models.CharField(max_length=255, verbose_name=_("OAuth client id"))
    client_secret = EncryptedTextField(verbose_name=_("OAuth client secret"))
    send_skills = models.BooleanField(
        default=False,
        help_text=_(
            "Assign each exported course the skills the catalog lists for it (PATCH of the course's skills "
            "relationship). Degreed's public API reference does not document this call: turn it on once your "
            "Degreed technical specialist confirms your organisation accepts it (decision 0424)."
        ),
    )
    calls_per_minute = models.PositiveIntegerField(
        default=70, help_text=_("Calls per minute this organisation allows; 0 for no limit.")
    )

    class Meta:
        verbose_name = _("Degreed configuration")
        verbose_name_plural = _("Degreed configurations")

    def secrets(self) -> list[str]:
        return [self.client_secret]

    @property
    def token_url(self) -> str:
        return (self.token_base_url or self.base_url).rstrip("/") + "/oauth/token"
