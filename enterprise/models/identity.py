"""The id a learner has at their customer's identity provider (e.g. their SAP SuccessFactors user id)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from enterprise.models.base import TimeStampedModel
from enterprise.models.customer import EnterpriseCustomerIdentityProvider


class LearnerRemoteIdentity(TimeStampedModel):
    """A user's remote id at one identity provider, recorded at single sign-on.

    Channels use it to name the learner in the customer's system (SAP SuccessFactors' userID).
    One remote id per (identity provider, user), and a remote id names one user per provider.
    """

    identity_provider = models.ForeignKey(
        EnterpriseCustomerIdentityProvider, on_delete=models.CASCADE, related_name="learner_identities"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="remote_identities")
    remote_id = models.CharField(max_length=255)

    class Meta:
        verbose_name = _("learner remote identity")
        verbose_name_plural = _("learner remote identities")
        constraints = [
            models.UniqueConstraint(fields=["identity_provider", "user"], name="remote_identity_one_per_provider"),
            models.UniqueConstraint(fields=["identity_provider", "remote_id"], name="remote_identity_unique_remote_id"),
        ]

    def __str__(self):
        return f"{self.remote_id} @ {self.identity_provider_id}"
