"""Who may use the portal, and for which customers (decision 0330).

A user reaches the portal only as the administrator of one or more customers
(``EnterpriseCustomerAdmin``, the REST API's customer-admin role). ``is_staff`` grants nothing
here: platform staff work in the Django admin, where their model permissions apply. Another
customer's pages answer 404, never 403, so their existence is not disclosed (decision 0156).
"""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import resolve_url

from enterprise.models import EnterpriseCustomer
from enterprise.portal import audit


def administered_customers(user) -> QuerySet[EnterpriseCustomer]:
    """The customers ``user`` administers, by name (none for an anonymous user)."""
    if not (user and user.is_authenticated and user.is_active):
        return EnterpriseCustomer.objects.none()
    return EnterpriseCustomer.objects.filter(admins__user_id=user.pk).order_by("name", "pk")


def login_url() -> str:
    """``ENTERPRISE_PORTAL_LOGIN_URL`` (a host LMS's sign-in page), else the portal's own."""
    return resolve_url(getattr(settings, "ENTERPRISE_PORTAL_LOGIN_URL", "") or "enterprise_portal:login")


def portal_view(view):
    """Sign-in required (anonymous: redirected to the login page); the view gets ``customers``,
    the list of the customers the user administers (one query; refused with 403 when empty).

    Every POST of a signed-in user writes one row of the audit log (``audit.record``), whatever
    the answer: the view's own, or the 404 / 403 it raised.
    """

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), login_url())
        if request.method != "POST":
            return _call(view, request, args, kwargs)
        return audited(request, lambda customers, _note: _call(view, request, args, kwargs, customers))

    return wrapped


def audited(request, call):
    """``call(customers, note)``'s answer, with one row of the audit log whatever it is: the view's
    own status, or the 404 / 403 it raised (``customers``: those the user administers)."""
    note = audit.start(request)
    customers = []
    status = 500
    try:
        customers = list(administered_customers(request.user))
        response = call(customers, note)
        status = response.status_code
        return response
    except Http404:
        status = 404
        raise
    except PermissionDenied:
        status = 403
        raise
    finally:
        audit.record(request, note, customers=customers, status_code=status)


def _call(view, request, args, kwargs, customers=None):
    if customers is None:
        customers = list(administered_customers(request.user))
    if not customers:
        raise PermissionDenied("You do not administer any customer.")
    return view(request, *args, customers=customers, **kwargs)


def customer_of(customers: list[EnterpriseCustomer], customer_uuid) -> EnterpriseCustomer:
    """The administered customer ``customer_uuid``: 404 for another customer's, as for a missing one."""
    for customer in customers:
        if customer.uuid == customer_uuid:
            return customer
    raise Http404("No such customer.")
