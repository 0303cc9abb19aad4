"""SCIM bearer tokens (one customer each, stored hashed) and the SCIM users identity providers pushed.

A ``ScimUser`` is the resource as the identity provider last wrote it (``resource``: the SCIM
JSON, every attribute it sent, returned as it was stored) plus the columns filters and
uniqueness read. The learner it provisions is the customer's linked or pending learner of
``email``: linking, unlinking and the learner attributes go through the enterprise services,
never through this table (decision 0250).
"""

import uuid

from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from enterprise.models import EnterpriseCustomer


class ScimToken(models.Model):
    """A bearer token an identity provider presents; only its SHA-256 is stored."""

    customer = models.ForeignKey(EnterpriseCustomer, on_delete=models.CASCADE, related_name="scim_tokens")
    name = models.CharField(max_length=100, blank=True, help_text=_("What the token is for, e.g. 'Entra ID'."))
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(
        max_length=8, editable=False, help_text=_("The token's first characters, to recognise it.")
    )
    created = models.DateTimeField(default=timezone.now, editable=False)
    last_used = models.DateTimeField(null=True, blank=True, editable=False)
    revoked = models.DateTimeField(
        null=True, blank=True, help_text=_("When set, the token is refused (requests answer 401).")
    )

    class Meta:
        verbose_name = _("SCIM token")
        verbose_name_plural = _("SCIM tokens")
        ordering = ["-created"]

    def __str__(self):
        return f"{self.prefix}… ({self.name or self.customer_id})"

    @property
    def is_active(self) -> bool:
        return self.revoked is None


class ScimUser(models.Model):
    """A SCIM User resource of one customer."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    customer = models.ForeignKey(EnterpriseCustomer, on_delete=models.CASCADE, related_name="scim_users")
    user_name = models.CharField(max_length=255)
    external_id = models.CharField(max_length=255, blank=True)
    email = models.EmailField(
        max_length=254,
        blank=True,
        help_text=_("The learner's e-mail (normalised); a user without one is stored but is no learner yet."),
    )
    email_type = models.CharField(max_length=32, blank=True)
    display_name = models.CharField(max_length=255, blank=True)
    given_name = models.CharField(max_length=255, blank=True)
    family_name = models.CharField(max_length=255, blank=True)
    active = models.BooleanField(default=True)
    resource = models.JSONField(default=dict, help_text=_("The SCIM resource as last written, without id and meta."))
    version = models.PositiveIntegerField(default=1)
    created = models.DateTimeField(default=timezone.now, editable=False)
    modified = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("SCIM user")
        verbose_name_plural = _("SCIM users")
        constraints = [
            models.UniqueConstraint(
                "customer",
                Lower("user_name"),
                name="scim_user_unique_user_name_ci",
                violation_error_message=_("A SCIM user of this customer already has this userName."),
            ),
            models.UniqueConstraint(
                fields=["customer", "email"],
                condition=~models.Q(email=""),
                name="scim_user_unique_email",
                violation_error_message=_("A SCIM user of this customer already has this e-mail."),
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "created"], name="scim_user_customer_created"),
            models.Index(fields=["customer", "external_id"], name="scim_user_customer_external"),
        ]

    def __str__(self):
        return f"{self.user_name} @ {self.customer_id}"
