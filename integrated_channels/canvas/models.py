"""A customer's Canvas account: the developer key, the refresh token an administrator granted, where courses go."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from enterprise.fields import EncryptedTextField
from integrated_channels.integrated_channel.models import ChannelConfiguration
from integrated_channels.integrated_channel.models.authorization import AuthorizedConnection

FINAL_GRADE_ASSIGNMENT = "(edX integration) Final Grade"


class CanvasConfiguration(AuthorizedConnection, ChannelConfiguration):
    """The seed's Canvas configuration (edx-enterprise ``CANVAS``)."""

    CHANNEL_CODE = "CANVAS"
    REMOTE_URL_FIELDS = CREDENTIALS_SENT_TO = ("base_url",)
    SECRET_USER_FIELDS = ("client_id",)
    #: A change of these makes the granted refresh token useless: it is forgotten (authorize again).
    AUTHORIZATION_FIELDS = ("base_url", "client_id")

    base_url = models.URLField(
        verbose_name=_("Canvas base URL"), help_text=_("The Canvas instance, e.g. https://acme.instructure.com.")
    )
    account_id = models.PositiveBigIntegerField(
        verbose_name=_("Canvas account id"), help_text=_("The (sub-)account the courses are created in.")
    )
    client_id = models.CharField(max_length=255, verbose_name=_("developer key client id"))
    client_secret = EncryptedTextField(verbose_name=_("developer key secret"))
    assignment_name = models.CharField(
        max_length=255,
        default=FINAL_GRADE_ASSIGNMENT,
        help_text=_("Name of the assignment created in each course to receive the learners' grades."),
    )
    calls_per_minute = models.PositiveIntegerField(default=0, help_text=_("Rate limit; 0 for none."))

    class Meta:
        verbose_name = _("Canvas configuration")
        verbose_name_plural = _("Canvas configurations")

    def secrets(self) -> list[str]:
        return [value for value in (self.client_secret, self.refresh_token) if value]
