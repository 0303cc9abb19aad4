"""A customer's miniOrange account (its customer key and API key) and what its user import reads."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from enterprise.fields import EncryptedTextField
from integrated_channels.directory.models import DirectoryImportSettings
from integrated_channels.integrated_channel.models import ChannelConfiguration

ATTRIBUTES = ("username", "email", "firstName", "lastName", "phone", "customerId", "status")
DEFAULT_MAPPING = {"email": "email", "first_name": "firstName", "last_name": "lastName"}
#: A user's custom attribute, read as ``customAttributes.<name>``.
CUSTOM = re.compile(r"^customAttributes\.[A-Za-z0-9_ -]{1,80}$")
MAX_BATCH = 500


class MiniOrangeConfiguration(DirectoryImportSettings, ChannelConfiguration):
    CHANNEL_CODE = "MINIORANGE"
    REMOTE_URL_FIELDS = CREDENTIALS_SENT_TO = ("base_url",)
    SECRET_USER_FIELDS = ("customer_key",)
    ATTRIBUTES = ATTRIBUTES
    DEFAULT_MAPPING = DEFAULT_MAPPING

    base_url = models.URLField(
        default="https://login.xecurify.com",
        verbose_name=_("miniOrange address"),
        help_text=_("Where the account's APIs answer (https://login.xecurify.com, or the account's own domain)."),
    )
    customer_key = models.CharField(
        max_length=32, help_text=_("The account's customer key (Settings > Account Details).")
    )
    api_key = EncryptedTextField(verbose_name=_("API key"), help_text=_("The account's API key."))
    batch_size = models.PositiveSmallIntegerField(
        default=MAX_BATCH,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_BATCH)],
        help_text=_("Users per call of the get-all-users API."),
    )

    class Meta:
        verbose_name = _("miniOrange connection")
        verbose_name_plural = _("miniOrange connections")

    def clean(self):
        errors = {}
        try:
            super().clean()
        except ValidationError as exc:
            errors.update(exc.message_dict)
        if self.customer_key and not self.customer_key.isdigit():
            errors["customer_key"] = _("A customer key is a number.")
        errors.update(self.import_errors())
        if errors:
            raise ValidationError(errors)

    def offers(self, column: str) -> bool:
        return column in ATTRIBUTES or bool(CUSTOM.match(column))

    def secrets(self) -> list[str]:
        return [self.api_key] if self.api_key else []
