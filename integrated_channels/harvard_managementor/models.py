"""A customer's Harvard ManageMentor connection: the file drop its files arrive on, catalogs and tags."""

from __future__ import annotations

import posixpath

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from integrated_channels.integrated_channel.models import ChannelConfiguration, ContentConnection, SFTPConnection


class HarvardManageMentorConnection(ChannelConfiguration, SFTPConnection, ContentConnection):
    CHANNEL_CODE = "HMM"
    REMOTE_HOST_FIELDS = ("host",)
    CREDENTIALS_SENT_TO = ("host", "port")
    SECRET_USER_FIELDS = ("username",)

    directory = models.CharField(
        max_length=1024,
        default=".",
        help_text=_("Folder of the files on the server (relative to the login folder, or absolute)."),
    )

    class Meta:
        verbose_name = _("Harvard ManageMentor connection")
        verbose_name_plural = _("Harvard ManageMentor connections")
        constraints = [models.CheckConstraint(condition=models.Q(port__gte=1, port__lte=65535), name="hmm_port_range")]

    def clean(self):
        super().clean()
        errors = self.connection_errors()
        if errors:
            raise ValidationError(errors)

    def secrets(self) -> list[str]:
        return self.connection_secrets()

    def remote_directory(self) -> str:
        return posixpath.normpath((self.directory or ".").strip())
