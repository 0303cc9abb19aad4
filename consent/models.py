"""Data-sharing consent per (customer, user, course), with an append-only history."""

from django.conf import settings
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from enterprise.models import EnterpriseCustomer


class DataSharingConsent(models.Model):
    """The current answer of a learner: granted, declined, or not asked yet (``granted`` is null)."""

    customer = models.ForeignKey(EnterpriseCustomer, on_delete=models.CASCADE, related_name="consents")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="data_sharing_consents")
    course_id = models.CharField(max_length=255)
    granted = models.BooleanField(null=True, default=None)
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("data-sharing consent")
        verbose_name_plural = _("data-sharing consents")
        constraints = [
            models.UniqueConstraint(fields=["customer", "user", "course_id"], name="dsc_unique_customer_user_course")
        ]
        indexes = [models.Index(fields=["customer", "course_id", "granted"], name="dsc_customer_course_granted")]

    def __str__(self):
        state = {True: "granted", False: "declined", None: "not asked"}[self.granted]
        return f"{self.user_id} / {self.course_id}: {state}"

    def save(self, *args, **kwargs):
        """Save and append a history row whenever the answer is new or changed (both or neither)."""
        update_fields = kwargs.get("update_fields")
        with transaction.atomic():
            adding = self._state.adding
            previous = None
            if not adding:
                previous = type(self).objects.filter(pk=self.pk).values_list("granted", flat=True).first()
            super().save(*args, **kwargs)
            granted_saved = update_fields is None or "granted" in update_fields
            if adding or (granted_saved and previous != self.granted):
                DataSharingConsentHistory.objects.create(consent=self, granted=self.granted)


class DataSharingConsentHistory(models.Model):
    """One row per change of a consent answer; never updated."""

    consent = models.ForeignKey(DataSharingConsent, on_delete=models.CASCADE, related_name="history")
    granted = models.BooleanField(null=True)
    changed_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["consent", "changed_at", "id"]
        verbose_name = _("data-sharing consent history")
        verbose_name_plural = _("data-sharing consent history")

    def __str__(self):
        state = {True: "granted", False: "declined", None: "not asked"}[self.granted]
        return f"consent {self.consent_id} {state} at {self.changed_at:%Y-%m-%d %H:%M:%S}"
