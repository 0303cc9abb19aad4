"""A customer's Cornerstone (CSOD) portal, and the session each learner arrives from Cornerstone with.

Cornerstone pulls: it polls this platform's course list for the customer (HTTP Basic with the
connection's catalog user and password) and launches a course with the learner's Cornerstone
GUID, a callback path and a session token; completions are later posted to that callback, with
that session token (``CornerstoneLearnerSession``, one per learner and course, the token
encrypted).
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from enterprise.fields import EncryptedTextField
from integrated_channels.integrated_channel.models import ChannelConfiguration

COMPLETION_PATH = "/services/x/content-online-content-api/v1/completions"


def validate_callback_path(value: str) -> None:
    """A callback is a path on the portal (never a URL of another host: the session token goes there)."""
    if not value.startswith("/") or value.startswith("//") or "\\" in value or any(c in value for c in "?#@\r\n"):
        raise ValidationError(_("The callback must be a path on the Cornerstone portal, such as /abc/123."))


class CornerstoneConfiguration(ChannelConfiguration):
    """The seed's Cornerstone configuration (edx-enterprise ``CSOD``)."""

    CHANNEL_CODE = "CSOD"
    REMOTE_URL_FIELDS = CREDENTIALS_SENT_TO = ("base_url",)
    SECRET_USER_FIELDS = ("client_key", "catalog_user")

    base_url = models.URLField(
        verbose_name=_("Cornerstone portal URL"),
        help_text=_("The customer's portal, e.g. https://acme.csod.com (learners' callback paths are added to it)."),
    )
    client_key = models.CharField(
        max_length=255, verbose_name=_("provider key"), help_text=_("Key Cornerstone issued for this content provider.")
    )
    client_secret = EncryptedTextField(verbose_name=_("provider secret"))
    completion_path = models.CharField(
        max_length=255,
        default=COMPLETION_PATH,
        validators=[validate_callback_path],
        help_text=_("Path of the completion API under each learner's callback path."),
    )
    catalog_user = models.CharField(
        max_length=100,
        default="cornerstone",
        help_text=_("User name Cornerstone sends (HTTP Basic) when it polls the course list."),
    )
    catalog_password = EncryptedTextField(
        verbose_name=_("course list password"),
        help_text=_("Password Cornerstone sends when it polls the course list (give it to Cornerstone)."),
    )

    class Meta:
        verbose_name = _("Cornerstone configuration")
        verbose_name_plural = _("Cornerstone configurations")

    def secrets(self) -> list[str]:
        return [value for value in (self.client_secret, self.catalog_password) if value]


class CornerstoneLearnerSession(models.Model):
    """What Cornerstone gave when a learner launched a course from it: where and how to report the completion."""

    configuration = models.ForeignKey(CornerstoneConfiguration, on_delete=models.CASCADE, related_name="sessions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    course_id = models.CharField(max_length=255)
    user_guid = models.CharField(max_length=255)
    callback_path = models.CharField(max_length=255, validators=[validate_callback_path])
    session_token = EncryptedTextField()
    subdomain = models.CharField(max_length=255, blank=True)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("Cornerstone learner session")
        verbose_name_plural = _("Cornerstone learner sessions")
        constraints = [
            models.UniqueConstraint(fields=["configuration", "user", "course_id"], name="csod_session_unique"),
        ]

    def __str__(self):
        return f"{self.user_id} / {self.course_id}"
