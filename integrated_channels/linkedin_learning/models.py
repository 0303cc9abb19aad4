"""A customer's LinkedIn Learning connection (app key and secret), its filters, catalogs and tags."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from enterprise.fields import EncryptedTextField
from integrated_channels.integrated_channel.models import ChannelConfiguration, ContentConnection
from integrated_channels.integrated_channel.models.configuration import ChannelConfigurationQuerySet
from integrated_channels.integrated_channel.models.content_connection import split_names

#: The library Lynda.com's courses live in since LinkedIn Learning absorbed Lynda.com (decision 0245).
LYNDA_LIBRARY = "Lynda"


class LinkedInLearningConnectionManager(models.Manager.from_queryset(ChannelConfigurationQuerySet)):
    """The LinkedIn Learning rows only: the Lynda proxy's rows share the table (see ``LyndaConnectionManager``)."""

    def get_queryset(self):
        return super().get_queryset().filter(channel=LinkedInLearningConnection.CHANNEL_CODE)


class LinkedInLearningConnection(ChannelConfiguration, ContentConnection):
    CHANNEL_CODE = "LINKEDIN_LEARNING"
    REMOTE_URL_FIELDS = ("api_url", "token_url")
    CREDENTIALS_SENT_TO = ("api_url", "token_url")
    SECRET_USER_FIELDS = ("client_id",)

    client_id = models.CharField(
        max_length=255, verbose_name=_("app key"), help_text=_("Client id of the application made in LinkedIn "
                                                               "Learning's admin portal.")
    )  # fmt: skip
    client_secret = EncryptedTextField(verbose_name=_("secret key"), help_text=_("The application's client secret."))
    api_url = models.URLField(max_length=512, default="https://api.linkedin.com", verbose_name=_("API URL"))
    token_url = models.URLField(
        max_length=512, default="https://www.linkedin.com/oauth/v2/accessToken", verbose_name=_("token URL")
    )
    languages = models.CharField(
        max_length=255,
        blank=True,
        help_text=_(
            "Filter: import only the courses in these languages (e.g. en, fr), separated by commas. Empty: all."
        ),
    )
    libraries = models.CharField(
        max_length=255,
        blank=True,
        help_text=_(
            "Filter: import only the courses of these LinkedIn Learning libraries (e.g. Business, Technology), "
            "separated by commas. Empty: all."
        ),
    )
    progress_days = models.PositiveSmallIntegerField(
        default=30,
        help_text=_("Without a start date, the progress import reads the activity of this many past days."),
    )

    objects = LinkedInLearningConnectionManager()

    class Meta:
        verbose_name = _("LinkedIn Learning connection")
        verbose_name_plural = _("LinkedIn Learning connections")

    def secrets(self) -> list[str]:
        return [self.client_secret] if self.client_secret else []

    def language_list(self) -> list[str]:
        return [name.lower() for name in split_names(self.languages)]

    def library_list(self) -> list[str]:
        return split_names(self.libraries)


class LyndaConnectionManager(models.Manager.from_queryset(ChannelConfigurationQuerySet)):
    """The Lynda rows only: the proxy shares its table with LinkedIn Learning's connections, and
    ``LyndaConnection.objects.get(pk=...)`` must not answer with (and re-save as Lynda) a LinkedIn row."""

    def get_queryset(self):
        return super().get_queryset().filter(channel=LyndaConnection.CHANNEL_CODE)


class LyndaConnection(LinkedInLearningConnection):
    """The seed's Lynda tile: a LinkedIn Learning connection limited to the former Lynda library."""

    CHANNEL_CODE = "LYNDA"

    objects = LyndaConnectionManager()

    class Meta:
        proxy = True
        verbose_name = _("Lynda connection (LinkedIn Learning)")
        verbose_name_plural = _("Lynda connections (LinkedIn Learning)")

    def save(self, *args, **kwargs):
        self.libraries = LYNDA_LIBRARY
        super().save(*args, **kwargs)

    def library_list(self) -> list[str]:
        return [LYNDA_LIBRARY]
