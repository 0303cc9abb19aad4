"""A customer's getAbstract connection: API client id and secret (summaries' metadata) and the file drop."""

from __future__ import annotations

import posixpath

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from enterprise.fields import EncryptedTextField
from integrated_channels.integrated_channel.models import ChannelConfiguration, ContentConnection, SFTPConnection


class GetAbstractConnection(ChannelConfiguration, SFTPConnection, ContentConnection):
    CHANNEL_CODE = "GETABSTRACT"
    REMOTE_URL_FIELDS = ("api_url",)
    REMOTE_HOST_FIELDS = ("host",)
    CREDENTIALS_SENT_TO = ("api_url", "host", "port")
    SECRET_USER_FIELDS = ("username", "client_id")

    client_id = models.CharField(max_length=255, verbose_name=_("client id"))
    client_secret = EncryptedTextField(verbose_name=_("client secret"))
    api_url = models.URLField(max_length=512, default="https://www.getabstract.com", verbose_name=_("API URL"))
    directory = models.CharField(
        max_length=1024,
        default=".",
        help_text=_("Folder of the user feeds (report_export_*.xlsx) on the server."),
    )
    sheet = models.CharField(
        max_length=100, default="Report", help_text=_("Name of the sheet of the feed that holds the usage rows.")
    )
    language = models.CharField(
        max_length=8, default="en", help_text=_("Language of the summaries' metadata asked from the API.")
    )

    class Meta:
        verbose_name = _("getAbstract connection")
        verbose_name_plural = _("getAbstract connections")
        constraints = [
            models.CheckConstraint(condition=models.Q(port__gte=1, port__lte=65535), name="getabstract_port_range")
        ]

    def clean(self):
        super().clean()
        errors = self.connection_errors()
        if errors:
            raise ValidationError(errors)

    def secrets(self) -> list[str]:
        return [*self.connection_secrets(), *([self.client_secret] if self.client_secret else [])]

    def remote_directory(self) -> str:
        return posixpath.normpath((self.directory or ".").strip())
