"""The audit log of portal actions: every POST that reaches a portal page writes one ``PortalAction``.

``access.portal_view`` calls ``record`` after the view answered (or raised 404/403): the row says
who, for which of their customers, which action, its counts and the HTTP status. A view names its
action and counts on ``request.portal_audit`` (``note``); unnamed, the action is the URL's name
and the posted ``action`` field. Anonymous POSTs are only redirected to the sign-in page and
change nothing: no row (sign-ins themselves are logged by django-axes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from enterprise.models import PortalAction

_ACTION = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


@dataclass
class Audit:
    """What a view says about the POST it handled."""

    action: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    customer: object = None

    def note(self, action: str = "", customer=None, **counts: int) -> None:
        if action:
            self.action = action
        if customer is not None:
            self.customer = customer
        self.counts.update({name: int(count) for name, count in counts.items() if count})


def start(request) -> Audit:
    request.portal_audit = Audit()
    return request.portal_audit


def default_action(request) -> str:
    """``<url name>`` or ``<url name>:<posted action>`` (a posted action is kept only if it looks like one)."""
    match = getattr(request, "resolver_match", None)
    name = match.url_name if match is not None and match.url_name else "portal"
    posted = request.POST.get("action", "")
    return f"{name}:{posted}" if _ACTION.match(posted) else name


def record(request, audit: Audit, *, customers, status_code: int) -> PortalAction:
    customer = audit.customer
    if customer is None:  # the view did not get as far as its customer: the URL's, if administered
        wanted = (getattr(request, "resolver_match", None) or _NoMatch).kwargs.get("customer_uuid")
        customer = next((c for c in customers if c.uuid == wanted), None)
    user = request.user
    return PortalAction.objects.create(
        user=user,
        username=user.get_username()[:150],
        customer=customer,
        customer_name=customer.name[:255] if customer is not None else "",
        action=(audit.action or default_action(request))[:64],
        counts=audit.counts,
        status_code=status_code,
        path=request.path[:255],
    )


class _NoMatch:
    kwargs: dict = {}


def result_counts(result) -> dict[str, int]:
    """The counts of a Manage Learners ``SubmissionResult``: rows by status and enrollment outcome, notified."""
    counts = {str(status.value): count for status, count in result.counts.items() if status.value != "header"}
    counts.update({f"enrollment_{status.value}": count for status, count in result.enrollment_counts.items()})
    if result.notifications:
        counts["notified"] = result.notifications
    return counts
