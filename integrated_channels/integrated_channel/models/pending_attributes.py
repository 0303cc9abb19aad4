"""Attributes imported for a pending learner, applied when the learner links (any user-import connector)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class PendingLearnerAttributes(models.Model):
    """Attributes imported for a pending learner (whose row has no attributes field), applied when they link.

    Keyed by (customer, normalised e-mail) like the pending learner itself; ``imports.attributes``
    merges them into ``EnterpriseCustomerUser.attributes`` when that learner is linked, and drops the
    row. Every user-import connector (SFTP, Workday, Entra ID, miniOrange, Salesforce, SCIM) stores
    here, so the model belongs to the framework, not to one connector (it lived in the sftp app until
    migration 0011).
    """

    customer = models.ForeignKey("enterprise.EnterpriseCustomer", on_delete=models.CASCADE, related_name="+")
    email = models.CharField(max_length=254)
    attributes = models.JSONField(default=dict)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("pending learner attributes")
        verbose_name_plural = _("pending learner attributes")
        constraints = [models.UniqueConstraint(fields=["customer", "email"], name="pending_learner_attributes_unique")]

    def __str__(self):
        return f"{self.email} ({self.customer_id})"
