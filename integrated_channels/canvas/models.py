"""A customer's Canvas account: the developer key, the refresh token an administrator granted, where courses go."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from enterprise.fields import EncryptedTextField
from integrated_channels.integrated_channel.models import ChannelConfiguration

FINAL_GRADE_ASSIGNMENT = "(edX integration) Final Grade"


class CanvasConfiguration(ChannelConfiguration):
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
    refresh_token = EncryptedTextField(
        blank=True,
        editable=False,
        help_text=_("Granted by a Canvas administrator through Authorize in Canvas; never shown."),
    )
    authorized_at = models.DateTimeField(null=True, blank=True, editable=False)
    authorized_by = models.CharField(max_length=255, blank=True, editable=False)
    assignment_name = models.CharField(
        max_length=255,
        default=FINAL_GRADE_ASSIGNMENT,
        help_text=_("Name of the assignment created in each course to receive the learners' grades."),
    )
    calls_per_minute = models.PositiveIntegerField(default=0, help_text=_("Rate limit; 0 for none."))

    class Meta:
        verbose_name = _("Canvas configuration")
        verbose_name_plural = _("Canvas configurations")

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._authorized_for = tuple(getattr(instance, name, None) for name in cls.AUTHORIZATION_FIELDS)
        return instance

    def save(self, *args, **kwargs):
        loaded = getattr(self, "_authorized_for", None)
        if loaded is not None and loaded != tuple(getattr(self, name) for name in self.AUTHORIZATION_FIELDS):
            self.refresh_token, self.authorized_at, self.authorized_by = "", None, ""
        super().save(*args, **kwargs)
        self._authorized_for = tuple(getattr(self, name) for name in self.AUTHORIZATION_FIELDS)

    @property
    def authorized(self) -> bool:
        return bool(self.refresh_token)

    def secrets(self) -> list[str]:
        return [value for value in (self.client_secret, self.refresh_token) if value]
