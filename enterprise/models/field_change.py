"""The audit of a learner's identifying fields (the SAP user id): who changed it, when, how, from what to what."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class LearnerFieldChange(models.Model):
    """One change of an audited learner field (``learner_fields.Field.audited``) of one learner.

    Written by the service that changes the value (``enterprise.services.learner_ids``) in the same
    transaction, whatever asked for it: the admin, the REST API, a Manage Learners CSV, a connector
    import. Runs of SAP SuccessFactors also read it to pick up learners whose id changed since their
    last run (the learner's attributes carry no modification time of their own).
    """

    class Source(models.TextChoices):
        ADMIN = "admin", _("admin page")
        API = "api", _("REST API")
        CSV = "csv", _("Manage Learners CSV")
        IMPORT = "import", _("connector import")

    customer = models.ForeignKey("enterprise.EnterpriseCustomer", on_delete=models.CASCADE, related_name="+")
    learner = models.ForeignKey(
        "enterprise.EnterpriseCustomerUser", on_delete=models.CASCADE, related_name="field_changes"
    )
    key = models.CharField(max_length=64, help_text=_("The learner field changed (e.g. sap_user_id)."))
    old_value = models.CharField(max_length=255, blank=True)
    new_value = models.CharField(max_length=255, blank=True)
    source = models.CharField(max_length=8, choices=Source.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    run_id = models.PositiveBigIntegerField(null=True, blank=True, help_text=_("The import run, for imports."))
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("learner field change")
        verbose_name_plural = _("learner field changes")
        indexes = [
            models.Index(fields=["customer", "key", "created"], name="field_change_customer_created"),
            models.Index(fields=["learner", "-created"], name="field_change_learner_created"),
        ]

    def __str__(self):
        return f"{self.key} of {self.learner_id}: {self.old_value!r} -> {self.new_value!r}"
