"""A customer's Blackboard Learn server: the REST application, the refresh token an administrator granted."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from enterprise.fields import EncryptedTextField
from integrated_channels.integrated_channel.models import ChannelConfiguration
from integrated_channels.integrated_channel.models.authorization import AuthorizedConnection

FINAL_GRADE_COLUMN = "(edX Integration) Final Grade"


class BlackboardConfiguration(AuthorizedConnection, ChannelConfiguration):
    """The seed's Blackboard configuration (edx-enterprise ``BLACKBOARD``)."""

    CHANNEL_CODE = "BLACKBOARD"
    REMOTE_URL_FIELDS = CREDENTIALS_SENT_TO = ("base_url",)
    SECRET_USER_FIELDS = ("client_id",)
    AUTHORIZATION_FIELDS = ("base_url", "client_id")

    base_url = models.URLField(
        verbose_name=_("Blackboard Learn base URL"), help_text=_("The Learn server, e.g. https://learn.acme.edu.")
    )
    client_id = models.CharField(max_length=255, verbose_name=_("application key"))
    client_secret = EncryptedTextField(verbose_name=_("application secret"))
    grade_column_name = models.CharField(
        max_length=255,
        default=FINAL_GRADE_COLUMN,
        help_text=_("Name of the gradebook column created in each course for the learners' final grades."),
    )
    calls_per_minute = models.PositiveIntegerField(default=0, help_text=_("Rate limit; 0 for none."))

    class Meta:
        verbose_name = _("Blackboard configuration")
        verbose_name_plural = _("Blackboard configurations")

    def secrets(self) -> list[str]:
        return [value for value in (self.client_secret, self.refresh_token) if value]
