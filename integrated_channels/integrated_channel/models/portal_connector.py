"""Which connectors a customer's administrators may use in the portal: platform staff decide (issue 24).

One row per (customer, connector code). No row: the customer's portal shows no connector. The code
is checked against the registry when saved through the admin (``PortalConnectorAdmin``), and the
portal ignores a row whose connector is no longer registered.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from enterprise.models import EnterpriseCustomer


class PortalConnector(models.Model):
    customer = models.ForeignKey(EnterpriseCustomer, on_delete=models.CASCADE, related_name="portal_connectors")
    channel = models.CharField(
        max_length=32, verbose_name=_("connector"), help_text=_("The connector's code in the registry, e.g. SFTP.")
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("portal connector")
        verbose_name_plural = _("portal connectors")
        ordering = ["customer", "channel"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "channel"], name="portal_connector_unique"),
            models.CheckConstraint(condition=~models.Q(channel=""), name="portal_connector_channel_not_empty"),
        ]

    def __str__(self):
        return f"{self.customer_id}: {self.channel}"
