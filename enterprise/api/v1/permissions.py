"""Who sees what: staff see every customer, a customer's administrators only that customer.

Scoping is done on querysets (``customers_visible_to``), so another customer's objects are
simply not found (404) rather than forbidden: their existence is not disclosed either.
"""

from __future__ import annotations

from django.db.models import QuerySet
from rest_framework.permissions import BasePermission

from enterprise.models import EnterpriseCustomer, EnterpriseCustomerAdmin


def is_staff(user) -> bool:
    return bool(user and user.is_authenticated and user.is_staff)


def customers_visible_to(user) -> QuerySet[EnterpriseCustomer]:
    """The customers ``user`` may see and change: all for staff, the administered ones otherwise."""
    customers = EnterpriseCustomer.objects.all()
    if is_staff(user):
        return customers
    return customers.filter(pk__in=administered_customer_ids(user))


def administered_customer_ids(user) -> QuerySet:
    return EnterpriseCustomerAdmin.objects.filter(user_id=user.pk).values("customer_id")


class IsStaff(BasePermission):
    message = "Only staff may do this."

    def has_permission(self, request, view):
        return is_staff(request.user)
