from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from enterprise.fields import EncryptedTextField
from integrated_channels.integrated_channel.models import ChannelConfiguration


class TestChannelConfiguration(ChannelConfiguration):
    """A customer's test channel: records what it would send (``integrated_channels.testing.outbox``)."""

    __test__ = False  # not a pytest test class

    CHANNEL_CODE = "TEST"

    records_per_call = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(100)], help_text=_("Records per call.")
    )
    refuse_course_ids = models.TextField(
        blank=True, help_text=_("One course id per line: records of these courses are refused, as a remote would.")
    )
    api_key = EncryptedTextField(
        blank=True, help_text=_("A secret like a real channel's, never shown back; stored encrypted.")
    )

    class Meta:
        verbose_name = _("test channel configuration")
        verbose_name_plural = _("test channel configurations")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(records_per_call__gte=1, records_per_call__lte=100),
                name="test_channel_records_per_call_range",
            )
        ]

    def refused_courses(self) -> set[str]:
        return {line.strip() for line in self.refuse_course_ids.splitlines() if line.strip()}

    def secrets(self) -> list[str]:
        return [self.api_key]
