"""Enterprise customers and the identity providers their learners sign in through."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from enterprise.models.base import TimeStampedModel


class EnterpriseCustomer(TimeStampedModel):
    """A company whose employees learn on the platform."""

    class ConsentEnforcement(models.TextChoices):
        AT_ENROLLMENT = "at_enrollment", _("At enrollment")
        AT_LOGIN = "at_login", _("At login")
        EXTERNALLY_MANAGED = "externally_managed", _("Managed externally")

    uuid = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=255)
    slug = models.SlugField(max_length=255, unique=True, help_text=_("Short, unique name used in URLs."))
    active = models.BooleanField(default=True, help_text=_("Inactive customers send no data to their channels."))
    country = CountryField(blank=True)
    enable_data_sharing_consent = models.BooleanField(
        default=False,
        help_text=_(
            "When on, learners' data is sent to the customer's channels only for courses where "
            "they granted data-sharing consent. When off, all learners' data is sent."
        ),
    )
    enforce_data_sharing_consent = models.CharField(
        max_length=32,
        choices=ConsentEnforcement.choices,
        default=ConsentEnforcement.AT_ENROLLMENT,
        help_text=_("When learners are asked for data-sharing consent."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("enterprise customer")
        verbose_name_plural = _("enterprise customers")

    def __str__(self):
        return self.name


class EnterpriseCustomerIdentityProvider(TimeStampedModel):
    """A SAML identity provider of a customer. One identity provider belongs to one customer."""

    customer = models.ForeignKey(EnterpriseCustomer, on_delete=models.CASCADE, related_name="identity_providers")
    provider_id = models.SlugField(
        max_length=255,
        unique=True,
        help_text=_("Identifier of the SAML identity provider (one customer per identity provider)."),
    )
    name = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["provider_id"]
        verbose_name = _("identity provider")
        verbose_name_plural = _("identity providers")

    def __str__(self):
        return self.name or self.provider_id
