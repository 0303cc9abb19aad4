"""Who sees and does what through the API (docs/api/roles.md, decisions 0050 and 0155).

- **Staff** act through Django's model permissions, as in the admin: the view (or change)
  permission for reads, add / change / delete for writes, and each custom action mapped to the
  permission its admin page needs. Staff without it are refused (403) before anything is looked up.
- **Everyone else** signed in passes here and is scoped on querysets (``customers_visible_to``): a
  customer's administrators see that customer, learners their own data. Another customer's objects
  are simply not found (404) rather than forbidden, so their existence is not disclosed either.
"""

from __future__ import annotations

from django.db.models import QuerySet
from rest_framework.permissions import DjangoModelPermissions

from enterprise.models import EnterpriseCustomer, EnterpriseCustomerAdmin


def is_staff(user) -> bool:
    return bool(user and user.is_authenticated and user.is_staff)


def customers_visible_to(user) -> QuerySet[EnterpriseCustomer]:
    """The customers ``user`` may see and change: all for staff, the administered ones otherwise.

    Staff reach a view only with its model permission (``ModelPermissions``), so "all" is what their
    permission grants.
    """
    customers = EnterpriseCustomer.objects.all()
    if is_staff(user):
        return customers
    return customers.filter(pk__in=administered_customer_ids(user))


def administered_customer_ids(user) -> QuerySet:
    return EnterpriseCustomerAdmin.objects.filter(user_id=user.pk).values("customer_id")


def has_model_permission(user, perm: str) -> bool:
    """``user.has_perm(perm)``, where a view permission is also granted by the change one (as in the admin)."""
    if user.has_perm(perm):
        return True
    app_label, _dot, codename = perm.partition(".")
    return codename.startswith("view_") and user.has_perm(f"{app_label}.change_{codename[len('view_') :]}")


class ModelPermissions(DjangoModelPermissions):
    """Staff need the model permission of the request; other signed-in users are scoped by the view.

    The model is the view's ``permission_model`` (else its queryset's). A view maps what the method
    alone does not say with ``action_permissions``: keys are action names (viewsets) or HTTP methods
    (plain views), values the permissions required, e.g. ``{"link": ["enterprise.change_enterprisecustomer"]}``.
    """

    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
    }
    #: Refuse signed-in users who are not staff (actions no customer administrator or learner may do).
    staff_only = False
    message = "You do not have permission to perform this action."

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if not user.is_staff:
            if self.staff_only:
                self.message = "Only staff may do this."
            return not self.staff_only
        missing = [perm for perm in self.required_permissions(request, view) if not has_model_permission(user, perm)]
        if missing:
            self.message = f"Your account lacks the permission {', '.join(missing)}."
        return not missing

    def required_permissions(self, request, view) -> list[str]:
        mapped = getattr(view, "action_permissions", {})
        for key in (getattr(view, "action", None), request.method):
            if key in mapped:
                return list(mapped[key])
        if self.perms_map.get(request.method) == []:  # OPTIONS: the view's description, no data
            return []
        model = getattr(view, "permission_model", None) or self._queryset(view).model
        return self.get_required_permissions(request.method, model)


class StaffModelPermissions(ModelPermissions):
    """Staff with the model permission only: customer administrators and learners get 403."""

    staff_only = True
