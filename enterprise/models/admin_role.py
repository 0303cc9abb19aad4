"""Customer administrators: users who manage one customer through the REST API."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from enterprise.models.base import TimeStampedModel
from enterprise.models.customer import EnterpriseCustomer


class EnterpriseCustomerAdmin(TimeStampedModel):
    """``user`` administers ``customer``: sees and changes that customer's data, and no other's."""

    customer = models.ForeignKey(EnterpriseCustomer, on_delete=models.CASCADE, related_name="admins")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enterprise_admin_of")

    class Meta:
        verbose_name = _("enterprise customer administrator")
        verbose_name_plural = _("enterprise customer administrators")
        constraints = [models.UniqueConstraint(fields=["customer", "user"], name="eca_unique_customer_user")]
        indexes = [models.Index(fields=["user"], name="eca_user")]

    def __str__(self):
        return f"{self.user_id} administers {self.customer_id}"
