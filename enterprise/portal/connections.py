"""The portal's connection forms: a customer's administrator creates and edits their connections.

The form is the connection's own admin form (``integrated_channel.admin.connection_forms``, decision
0445): the connector's fields in the admin's sections, the mapping screen with its drop-downs, the
filters' builder, the sample file, the secrets write-only (never shown back; blank keeps the
stored one; a changed host asks for them again) — without the customer, which the page sets. Only
the connectors platform staff allowed the customer (``PortalConnector``) are offered; a connection
of another customer, or of a connector no longer allowed, answers 404 like a missing one. Each save
is a row of the portal's audit log (``connections:create`` / ``connections:change``, with
``saved`` or ``refused``), never with the values posted.

The rows the admin edits in inlines (the xAPI import's mapping and filters, Power BI's columns) are
edited on the connection's *rows* page with the admin's own inline formsets
(``connections:rows``); a connection is deleted after a confirmation page listing what goes with it
(``connections:delete``; its runs are kept, as when the admin deletes it).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from enterprise.portal.access import customer_of, portal_view
from enterprise.portal.connectors import allowed_connectors, connection_of
from integrated_channels.integrated_channel.admin.connection_forms import (
    connection_form,
    delete_connection,
    deleted_summary,
    row_formsets,
    save_rows,
)
from integrated_channels.integrated_channel.models.authorization import AuthorizedConnection


def edit_url(customer, configuration_id: int) -> str:
    return reverse(
        "enterprise_portal:connection_edit",
        kwargs={"customer_uuid": customer.uuid, "configuration_id": configuration_id},
    )


def _url(name: str, customer, configuration_id: int) -> str:
    return reverse(
        f"enterprise_portal:{name}", kwargs={"customer_uuid": customer.uuid, "configuration_id": configuration_id}
    )


def _channel(customer, code: str):
    for channel in allowed_connectors(customer):
        if channel.code == code:
            return channel
    raise Http404(_("No such connector."))


@require_http_methods(["GET", "HEAD", "POST"])
@portal_view
def create(request, customer_uuid, channel_code, *, customers):
    """A new connection of an allowed connector."""
    customer = customer_of(customers, customer_uuid)
    channel = _channel(customer, channel_code)
    return _form_page(request, customers, customer, channel, None)


@require_http_methods(["GET", "HEAD", "POST"])
@portal_view
def edit(request, customer_uuid, configuration_id, *, customers):
    """The customer's connection: its fields, mapping and filters; Test connection."""
    customer = customer_of(customers, customer_uuid)
    configuration = connection_of(customer, configuration_id)
    return _form_page(request, customers, customer, configuration.get_channel(), configuration)


def _form_page(request, customers, customer, channel, configuration):
    try:
        spec = connection_form(channel.get_configuration_model(), request)
    except LookupError:  # a connector whose connections have no admin form: nothing to edit here either
        raise Http404(_("This connector's connections are set up by the platform's staff.")) from None
    if request.method == "POST":
        form = spec.bind(customer, configuration, request.POST, request.FILES)
        action = "connections:change" if configuration is not None else "connections:create"
        if form.is_valid():
            saved = form.save()
            request.portal_audit.note(action=action, customer=customer, saved=1)
            columns = getattr(form, "sample_columns", None)
            text = _("%(name)s saved.") % {"name": saved.name}
            if columns:
                text += " " + _("Columns of the sample file: %(columns)s.") % {"columns": ", ".join(columns)}
            messages.success(request, text)
            return HttpResponseRedirect(edit_url(customer, saved.pk))
        request.portal_audit.note(action=action, customer=customer, refused=1)
        status = 400
    else:
        form = spec.bind(customer, configuration)
        status = 200
    sections = [
        {
            "title": section.title,
            "fields": [
                {"field": form[name], "composite": name in spec.composite, "secret": name in spec.secrets}
                for name in section.fields
                if name in form.fields
            ],
        }
        for section in spec.sections
    ]
    context = {
        "customer": customer,
        "customers": customers,
        "section": "connectors",
        "channel": channel,
        "configuration": configuration,
        "form": form,
        "sections": [section for section in sections if section["fields"]],
        "inline_rows": spec.inline_rows,
        "rows_url": _url("connection_rows", customer, configuration.pk)
        if configuration is not None and spec.inline_rows
        else "",
        "delete_url": _url("connection_delete", customer, configuration.pk) if configuration is not None else "",
        "authorize_url": _url("connection_authorize", customer, configuration.pk)
        if isinstance(configuration, AuthorizedConnection)
        else "",
        "authorize_callback_url": request.build_absolute_uri(reverse("enterprise_portal:connection_authorized")),
        "connectors_url": reverse("enterprise_portal:connectors", kwargs={"customer_uuid": customer.uuid}),
        "test_url": reverse(
            "enterprise_portal:connector_test",
            kwargs={"customer_uuid": customer.uuid, "configuration_id": configuration.pk},
        )
        if configuration is not None and channel.test_connection
        else "",
    }
    return TemplateResponse(request, "enterprise_portal/connection_form.html", context, status=status)


def _base_context(customers, customer, configuration):
    return {
        "customer": customer,
        "customers": customers,
        "section": "connectors",
        "channel": configuration.get_channel(),
        "configuration": configuration,
        "connectors_url": reverse("enterprise_portal:connectors", kwargs={"customer_uuid": customer.uuid}),
        "edit_url": edit_url(customer, configuration.pk),
    }


@require_http_methods(["GET", "HEAD", "POST"])
@portal_view
def rows(request, customer_uuid, configuration_id, *, customers):
    """The admin's inline tables of the connection (its own formsets and validation), saved together or not at all."""
    customer = customer_of(customers, customer_uuid)
    configuration = connection_of(customer, configuration_id)
    model = type(configuration)
    try:
        formsets = row_formsets(model, request, configuration)
    except LookupError:
        raise Http404(_("This connector's connections are set up by the platform's staff.")) from None
    if not formsets:
        raise Http404(_("This connection has no rows of its own."))
    status = 200
    if request.method == "POST":
        if all(item.formset.is_valid() for item in formsets):
            counts = save_rows(model, request, configuration, formsets)
            request.portal_audit.note(action="connections:rows", customer=customer, saved=1, **counts)
            messages.success(request, _("%(name)s: rows saved.") % {"name": configuration.name})
            return HttpResponseRedirect(_url("connection_rows", customer, configuration.pk))
        request.portal_audit.note(action="connections:rows", customer=customer, refused=1)
        status = 400
    context = {**_base_context(customers, customer, configuration), "formsets": formsets}
    return TemplateResponse(request, "enterprise_portal/connection_rows.html", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
@portal_view
def delete(request, customer_uuid, configuration_id, *, customers):
    """A confirmation page (what is deleted with it; its runs are kept), then the admin's delete."""
    customer = customer_of(customers, customer_uuid)
    configuration = connection_of(customer, configuration_id)
    summary = deleted_summary(configuration)
    if request.method == "POST" and not summary["protected"]:
        name = configuration.name
        delete_connection(request, configuration)
        request.portal_audit.note(action="connections:delete", customer=customer, deleted=1)
        messages.success(request, _("The connection %(name)s was deleted; its runs are kept.") % {"name": name})
        return HttpResponseRedirect(reverse("enterprise_portal:connectors", kwargs={"customer_uuid": customer.uuid}))
    status = 200
    if request.method == "POST":
        request.portal_audit.note(action="connections:delete", customer=customer, refused=1)
        status = 409
    context = {**_base_context(customers, customer, configuration), "summary": summary}
    return TemplateResponse(request, "enterprise_portal/connection_delete.html", context, status=status)
