"""An Adobe Commerce connection: the store, its integration's credentials, its base currency."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from enterprise.currencies import CURRENCIES
from enterprise.fields import EncryptedTextField
from integrated_channels.integrated_channel.models import ChannelConfiguration


class AdobeCommerceConfiguration(ChannelConfiguration):
    CHANNEL_CODE = "ADOBE_COMMERCE"

    class Auth(models.TextChoices):
        OAUTH1 = "oauth1", _("OAuth 1.0a (integration)")
        BEARER = "bearer", _("Bearer token")

    base_url = models.URLField(help_text=_("The store's base URL, e.g. https://shop.example.com."))
    store_code = models.SlugField(max_length=64, default="default", help_text=_("Store view code in REST paths."))
    currency = models.CharField(max_length=3, default="USD", help_text=_("The store's base currency (ISO 4217)."))
    auth = models.CharField(max_length=16, choices=Auth.choices, default=Auth.OAUTH1)
    consumer_key = models.CharField(max_length=255, blank=True)
    consumer_secret = EncryptedTextField(blank=True)
    access_token = models.CharField(max_length=255, blank=True)
    access_token_secret = EncryptedTextField(blank=True)
    bearer_token = EncryptedTextField(blank=True)
    attribute_set_id = models.PositiveIntegerField(default=4, help_text=_("Attribute set of the products."))
    category_id = models.PositiveIntegerField(null=True, blank=True, help_text=_("Category the products go in."))
    enrollment_mode = models.SlugField(
        max_length=100, default="verified", help_text=_("Course mode a purchase enrolls in, e.g. verified.")
    )
    product_url_suffix = models.CharField(
        max_length=16,
        default=".html",
        blank=True,
        help_text=_("The store's Product URL Suffix (Stores > Configuration > Catalog > SEO): the Buy-now link's end."),
    )
    orders_synced_until = models.DateTimeField(
        null=True, blank=True, editable=False, help_text=_("Orders updated before this were read by the last sync.")
    )

    class Meta:
        app_label = "adobe_commerce"
        verbose_name = _("Adobe Commerce connection")

    def clean(self):
        super().clean()
        errors = {}
        if self.currency not in CURRENCIES:
            errors["currency"] = _("Not an ISO 4217 currency code.")
        if self.auth == self.Auth.OAUTH1:
            for name in ("consumer_key", "consumer_secret", "access_token", "access_token_secret"):
                if not getattr(self, name):
                    errors[name] = _("An OAuth 1.0a integration needs all four credentials.")
        elif not self.bearer_token:
            errors["bearer_token"] = _("Give the bearer token.")
        if errors:
            raise ValidationError(errors)

    def secrets(self) -> list[str]:
        return [s for s in (self.consumer_secret, self.access_token_secret, self.bearer_token) if s]


class ProcessedOrderLine(models.Model):
    """An order line already turned into an enrollment (or refused): an order is processed once."""

    class Outcome(models.TextChoices):
        ENROLLED = "enrolled", _("Enrolled")
        REFUSED = "refused", _("Refused")

    configuration = models.ForeignKey(AdobeCommerceConfiguration, on_delete=models.CASCADE, related_name="order_lines")
    order_id = models.CharField(max_length=64)
    item_id = models.CharField(max_length=64)
    sku = models.CharField(max_length=255)
    email = models.EmailField(max_length=254)
    amount = models.DecimalField(max_digits=12, decimal_places=3)
    currency = models.CharField(max_length=3)
    purchased_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    message = models.TextField(blank=True)
    content_type = models.CharField(max_length=16, blank=True, help_text=_("course or program; empty if refused."))
    refunded_at = models.DateTimeField(null=True, blank=True, help_text=_("When a credit memo unenrolled it."))
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "adobe_commerce"
        constraints = [
            models.UniqueConstraint(fields=["configuration", "item_id"], name="commerce_order_line_once"),
            # a line is recorded by the store's id of it; a line without one is a run error (decision 0566)
            models.CheckConstraint(condition=~models.Q(item_id=""), name="commerce_order_line_has_item_id"),
        ]

    def __str__(self):
        return f"order {self.order_id} item {self.item_id}"


class ExportedProduct(models.Model):
    """A product the store saved (its bulk operation completed): the Buy-now link of the public catalog,
    and the image last sent (an unchanged image is not sent again)."""

    configuration = models.ForeignKey(
        AdobeCommerceConfiguration, on_delete=models.CASCADE, related_name="exported_products"
    )
    sku = models.CharField(max_length=64)
    url_key = models.CharField(max_length=255)
    image_sha256 = models.CharField(max_length=64, blank=True)
    exported_at = models.DateTimeField()

    class Meta:
        app_label = "adobe_commerce"
        constraints = [models.UniqueConstraint(fields=["configuration", "sku"], name="commerce_exported_once")]

    def __str__(self):
        return self.sku

    def product_url(self) -> str:
        return f"{self.configuration.base_url.rstrip('/')}/{self.url_key}{self.configuration.product_url_suffix}"
