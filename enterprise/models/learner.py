"""Linked learners (users attached to a customer) and pending learners (known by e-mail only)."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from enterprise.emails import normalize_email
from enterprise.models.base import TimeStampedModel
from enterprise.models.customer import EnterpriseCustomer


class EnterpriseCustomerUserQuerySet(models.QuerySet):
    def linked(self):
        return self.filter(linked=True)


class EnterpriseCustomerUser(TimeStampedModel):
    """A user linked to a customer.

    Unlinking is soft: the row stays with ``linked=False`` and ``unlinked_at`` set, so the
    history of who belonged to which customer is kept. The database refuses a second linked
    row for the same user (a learner is linked to at most one customer) and a second row for
    the same (customer, user) pair (re-linking reuses the row).
    """

    # No index of its own: ``ecu_unique_customer_user`` and ``ecu_customer_linked_created`` start with it.
    customer = models.ForeignKey(EnterpriseCustomer, on_delete=models.CASCADE, related_name="learners", db_index=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enterprise_links")
    active = models.BooleanField(default=True, help_text=_("Inactive learners are kept but not exported."))
    linked = models.BooleanField(default=True)
    unlinked_at = models.DateTimeField(null=True, blank=True)
    attributes = models.JSONField(
        default=dict,
        blank=True,
        help_text=_("Learner attributes (manager e-mail, department, …), filled by connector imports."),
    )

    objects = EnterpriseCustomerUserQuerySet.as_manager()

    class Meta:
        verbose_name = _("enterprise customer user")
        verbose_name_plural = _("enterprise customer users")
        constraints = [
            models.UniqueConstraint(fields=["customer", "user"], name="ecu_unique_customer_user"),
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(linked=True),
                name="ecu_user_linked_to_one_customer",
                violation_error_message=_("This learner is already linked to another enterprise customer."),
            ),
            models.CheckConstraint(
                condition=models.Q(linked=True, unlinked_at__isnull=True) | models.Q(linked=False),
                name="ecu_linked_has_no_unlinked_at",
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "linked", "-created"], name="ecu_customer_linked_created"),
        ]

    def __str__(self):
        return f"{self.user_id} @ {self.customer_id}"

    def unlink(self) -> None:
        self.linked = False
        self.unlinked_at = timezone.now()
        self.save(update_fields=["linked", "unlinked_at", "modified"])


class PendingEnterpriseCustomerUser(TimeStampedModel):
    """A learner known only by e-mail; linked automatically when a user with that e-mail appears.

    E-mails are stored normalised (stripped, lower-cased) and the database holds one pending
    row per e-mail address, compared case-insensitively (so also one per customer): the same
    one-customer rule as linked learners.
    """

    # No index of its own: ``pending_ecu_customer_created`` starts with it.
    customer = models.ForeignKey(
        EnterpriseCustomer, on_delete=models.CASCADE, related_name="pending_learners", db_index=False
    )
    user_email = models.EmailField(max_length=254)

    class Meta:
        verbose_name = _("pending enterprise customer user")
        verbose_name_plural = _("pending enterprise customer users")
        constraints = [
            models.UniqueConstraint(
                Lower("user_email"),
                name="pending_ecu_unique_email_ci",
                violation_error_message=_("This e-mail address is already pending for an enterprise customer."),
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "-created"], name="pending_ecu_customer_created"),
            # Prefix searches on the (already lower-cased) address; PostgreSQL needs the pattern
            # operator class for LIKE 'abc%' to use a B-tree index, other databases ignore it.
            models.Index(fields=["user_email"], name="pending_ecu_email_prefix", opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self):
        return self.user_email

    def save(self, *args, **kwargs):
        self.user_email = normalize_email(self.user_email)
        super().save(*args, **kwargs)
