"""Schedules of operations: each operation of a connection repeats on its own (decision 0173).

One ``OperationSchedule`` per (connection, operation): enabled or not, a first run (date and time)
and an interval of N hours or days. ``services.schedules`` keeps a django-celery-beat
``PeriodicTask`` in step with it (enabled only while the schedule and the connection are), which
Celery beat (``DatabaseScheduler``) reads.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from integrated_channels.integrated_channel.models.configuration import ChannelConfiguration

MAX_EVERY = 1000


class OperationSchedule(models.Model):
    class Unit(models.TextChoices):
        HOURS = "hours", _("hours")
        DAYS = "days", _("days")

    configuration = models.ForeignKey(ChannelConfiguration, on_delete=models.CASCADE, related_name="schedules")
    operation = models.CharField(max_length=32, help_text=_("The operation's code."))
    enabled = models.BooleanField(default=False, verbose_name=_("enable schedule"))
    start = models.DateTimeField(verbose_name=_("start"), help_text=_("First run (date and time)."))
    every = models.PositiveIntegerField(
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_EVERY)],
        verbose_name=_("repeat every"),
    )
    unit = models.CharField(max_length=8, choices=Unit.choices, default=Unit.DAYS)
    periodic_task = models.OneToOneField(
        "django_celery_beat.PeriodicTask", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("operation schedule")
        verbose_name_plural = _("operation schedules")
        ordering = ["configuration", "operation"]
        constraints = [
            models.UniqueConstraint(fields=["configuration", "operation"], name="operation_schedule_unique"),
            models.CheckConstraint(condition=models.Q(every__gte=1), name="operation_schedule_every_positive"),
        ]

    def __str__(self):
        state = "" if self.enabled else " (disabled)"
        return f"{self.operation} every {self.every} {self.unit} from {self.start:%Y-%m-%d %H:%M}{state}"

    def clean(self):
        super().clean()
        try:
            self.configuration.get_channel().get_operation(self.operation)
        except LookupError as exc:
            raise ValidationError({"operation": str(exc)}) from None

    @property
    def interval(self) -> datetime.timedelta:
        if self.unit == self.Unit.HOURS:
            return datetime.timedelta(hours=self.every)
        return datetime.timedelta(days=self.every)
