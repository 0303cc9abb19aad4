"""The audit log of the enterprise portal: one row per POST a customer administrator made there."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from enterprise.models.customer import EnterpriseCustomer


class PortalAction(models.Model):
    """Who did what in the portal, for which customer, how many rows it touched and how it was answered.

    Written by ``enterprise.portal.audit`` for every POST that reaches a portal page (decision 0380),
    refused ones included (another customer's page: no customer, status 404). Never updated; the
    user and the customer are kept by name when their rows are deleted.
    """

    created = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    username = models.CharField(max_length=150, help_text=_("The user's username when they acted."))
    customer = models.ForeignKey(
        EnterpriseCustomer,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty when the request named no customer the user administers (refused)."),
    )
    customer_name = models.CharField(max_length=255, blank=True)
    action = models.CharField(max_length=64, help_text=_("The page and what was asked of it, e.g. learners:link."))
    counts = models.JSONField(default=dict, blank=True, help_text=_("Rows by outcome, e.g. {'linked': 3}."))
    status_code = models.PositiveSmallIntegerField(help_text=_("The HTTP status the portal answered."))
    path = models.CharField(max_length=255)

    class Meta:
        verbose_name = _("portal action")
        verbose_name_plural = _("portal actions")
        ordering = ["-created", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(action=""), name="portal_action_has_action"),
            models.CheckConstraint(
                condition=Q(status_code__gte=100, status_code__lte=599), name="portal_action_http_status"
            ),
        ]
        indexes = [models.Index(fields=["customer", "-created"], name="portal_action_customer")]

    def __str__(self):
        return f"{self.username} {self.action} ({self.customer_name or '-'}) {self.created:%Y-%m-%d %H:%M:%S}"
