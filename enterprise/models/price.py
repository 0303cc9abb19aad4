"""Prices of courses and programs: per customer, or a default for customers without their own.

Keyed by the catalog id (course id, program UUID) rather than a foreign key to the local tables,
so prices work with any catalog backend (DESIGN §4: the Open edX backend has no local rows).
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from enterprise.currencies import CURRENCIES, decimals_of, minor_units
from enterprise.models.base import TimeStampedModel


class PricedContent(models.TextChoices):
    COURSE = "course", _("Course")
    PROGRAM = "program", _("Program")


class Price(TimeStampedModel):
    customer = models.ForeignKey(
        "enterprise.EnterpriseCustomer",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="prices",
        help_text=_("Empty: the default price, for every customer without a price of its own."),
    )
    content_type = models.CharField(max_length=16, choices=PricedContent.choices)
    content_id = models.CharField(
        max_length=255,
        help_text=_("The course id (e.g. course-v1:Org+CS101+2027) or the program UUID."),
    )
    amount = models.DecimalField(
        max_digits=12,
        decimal_places=3,
        validators=[MinValueValidator(Decimal("0.001"))],
        help_text=_("Greater than zero, with no more decimals than the currency has (JPY none, KWD three)."),
    )
    currency = models.CharField(
        max_length=3,
        help_text=_("ISO 4217 code, e.g. USD, EUR, JPY."),
    )

    class Meta:
        ordering = ["content_type", "content_id", "customer_id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="price_amount_positive"),
            models.CheckConstraint(condition=models.Q(currency__in=sorted(CURRENCIES)), name="price_currency_iso4217"),
            models.CheckConstraint(
                condition=models.Q(content_type__in=PricedContent.values), name="price_content_type_known"
            ),
            models.UniqueConstraint(
                fields=["customer", "content_type", "content_id"],
                condition=models.Q(customer__isnull=False),
                name="price_one_per_customer_content",
                violation_error_message=_("This customer already has a price for this course or program."),
            ),
            models.UniqueConstraint(
                fields=["content_type", "content_id"],
                condition=models.Q(customer__isnull=True),
                name="price_one_default_per_content",
                violation_error_message=_("This course or program already has a default price."),
            ),
        ]

    def __str__(self):
        whose = self.customer_id or "default"
        return f"{self.content_type} {self.content_id}: {self.amount} {self.currency} ({whose})"

    def clean(self):
        super().clean()
        errors = {}
        if self.currency and self.currency not in CURRENCIES:
            errors["currency"] = _("Not an ISO 4217 currency code a price can be in, e.g. USD or EUR.")
        elif self.amount is not None and self.currency:
            allowed = minor_units(self.currency)
            if decimals_of(self.amount) > allowed:
                errors["amount"] = _("%(currency)s has %(n)d decimal(s); this amount has more.") % {
                    "currency": self.currency,
                    "n": allowed,
                }
        if self.content_type == PricedContent.PROGRAM and self.content_id:
            try:
                self.content_id = str(uuid.UUID(self.content_id))
            except ValueError:
                errors["content_id"] = _("A program is named by its UUID.")
        if errors:
            raise ValidationError(errors)
