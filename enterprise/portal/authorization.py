"""Authorize a Canvas or Blackboard Learn connection from the portal (OAuth 2 authorization code).

The customer's administrator posts *Authorize* on their connection's page (``connections:authorize``):
``services.authorization.start`` keeps a nonce for that connection in their session and signs a
state naming it; the browser goes to the remote's authorization page. The remote sends it back to
the portal's callback (``/portal/connectors/oauth/complete/``, the redirect URI to register with
the remote application), which reads the connection from the signed state, looks it up among the
user's own customers' connections of an allowed connector (404 otherwise, before any exchange),
and lets ``services.authorization.complete`` check the nonce against this session, once, and
exchange the code. The callback then goes to that connection's portal page: a URL built here,
never one taken from the request. The callback is audited like a POST (``connections:authorized``,
``ok`` or ``refused``).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from enterprise.portal.access import audited, customer_of, login_url, portal_view
from enterprise.portal.connections import edit_url
from enterprise.portal.connectors import connection_of
from integrated_channels.integrated_channel.models import ChannelConfiguration
from integrated_channels.integrated_channel.models.authorization import AuthorizedConnection
from integrated_channels.integrated_channel.services import authorization


def callback_url(request) -> str:
    return request.build_absolute_uri(reverse("enterprise_portal:connection_authorized"))


def _authorizable(customer, configuration_id):
    configuration = connection_of(customer, configuration_id)
    if not isinstance(configuration, AuthorizedConnection):
        raise Http404(_("This connection is not authorized in the remote system."))
    return configuration


@require_POST
@portal_view
def authorize(request, customer_uuid, configuration_id, *, customers):
    """Send the administrator to the remote system to grant access to this connection."""
    customer = customer_of(customers, customer_uuid)
    configuration = _authorizable(customer, configuration_id)
    target = authorization.start(configuration, session=request.session, redirect_uri=callback_url(request))
    request.portal_audit.note(action="connections:authorize", customer=customer, started=1)
    return HttpResponseRedirect(target)


@require_GET
def authorized(request):
    """The remote's redirect back: the state's connection must be one of the user's customers', the
    nonce this session's; back to that connection's page (audited: ``connections:authorized``)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), login_url())
    return audited(request, lambda customers, note: _complete(request, customers, note))


def _complete(request, customers, note):
    if not customers:
        raise PermissionDenied("You do not administer any customer.")
    try:
        pk = authorization.connection_of(request.GET.get("state", ""))
    except authorization.AuthorizationRefused:
        raise Http404(_("No such authorization.")) from None
    customer_id = ChannelConfiguration.objects.filter(pk=pk).values_list("customer_id", flat=True).first()
    customer = next((c for c in customers if c.pk == customer_id), None)
    if customer is None:
        raise Http404(_("No such connection."))
    configuration = _authorizable(customer_of(customers, customer.uuid), pk)
    note.note(action="connections:authorized", customer=customer)
    try:
        configuration = authorization.complete(
            params=request.GET, session=request.session, redirect_uri=callback_url(request), user=request.user
        )
    except authorization.AuthorizationRefused as exc:
        note.note(refused=1)
        messages.error(request, exc.message)
        return HttpResponseRedirect(edit_url(customer, configuration.pk))
    note.note(ok=1)
    messages.success(
        request,
        _("%(remote)s authorized the connection %(name)s.")
        % {"remote": configuration.channel_name, "name": configuration.name},
    )
    return HttpResponseRedirect(edit_url(customer, configuration.pk))
