"""The portal's pages: thin views over ``enterprise.services``, scoped to the user's customers.

Every view goes through ``access.portal_view`` (sign-in, customer administrator) and looks its
customer up among the administered ones (``access.customer_of``: 404 for any other). The
Learners page calls the same services as the admin's Manage Learners page — ``link_learner``,
``preview_upload`` / ``confirm_upload``, ``unlink_users``, ``delete_pending_learners``, the
``learner_lists`` pages — with ``disclose_other_customers=False``, as the REST API does for a
customer's administrator.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_safe

from enterprise.app_settings import enterprise_settings
from enterprise.exceptions import EnterpriseError, UploadExpired
from enterprise.portal.access import customer_of, portal_view
from enterprise.portal.forms import ConfirmForm, LinkForm
from enterprise.services import upload_store
from enterprise.services.learner_lists import (
    LIST_PARAMS,
    linked_learners_page,
    pager_urls,
    pending_learners_page,
    position_from_params,
)
from enterprise.services.linking import delete_pending_learners, unlink_users
from enterprise.services.manage_learners import (
    SubmissionResult,
    confirm_upload,
    link_learner,
    preview_upload,
    single_outcome,
)
from enterprise.services.reports import report_file
from enterprise.uploads import refused_upload


@require_safe
@portal_view
def index(request, *, customers):
    """The customers the user administers; straight to the Learners page when there is one."""
    if len(customers) == 1:
        return redirect("enterprise_portal:learners", customer_uuid=customers[0].uuid)
    return TemplateResponse(request, "enterprise_portal/index.html", {"customers": customers})


@require_http_methods(["GET", "HEAD", "POST"])
@portal_view
def learners(request, customer_uuid, *, customers):
    customer = customer_of(customers, customer_uuid)
    if request.method != "POST":
        return _render(request, customer, customers, LinkForm())
    handler = {
        "link": _link,
        "confirm": _confirm,
        "unlink": _unlink,
        "delete_pending": _delete_pending,
    }.get(request.POST.get("action", ""))
    if handler is None:
        raise Http404(_("Unknown action."))
    return handler(request, customer, customers)


@require_safe
@portal_view
def report(request, customer_uuid, *, customers):
    """The CSV report of a submission's every row; its token is bound to the customer (else 404)."""
    customer = customer_of(customers, customer_uuid)
    try:
        file = upload_store.open_file(request.GET.get("token", ""), customer=customer)
    except UploadExpired as exc:
        raise Http404(exc.message) from exc
    return FileResponse(file, as_attachment=True, filename=f"learners-{customer.slug}.csv", content_type="text/csv")


def _page_url(customer, request=None) -> str:
    url = reverse("enterprise_portal:learners", kwargs={"customer_uuid": customer.uuid})
    params = {k: request.GET[k] for k in LIST_PARAMS if request is not None and request.GET.get(k)}
    return f"{url}?{urlencode(params)}" if params else url


def _link(request, customer, customers):
    form = LinkForm(request.POST, request.FILES)
    if (refusal := refused_upload(request)) is not None:  # stopped before it was read
        form.is_valid()
        form.add_error("csv_file", refusal.message)
        return _render(request, customer, customers, form)
    if not form.is_valid():
        return _render(request, customer, customers, form)
    upload = form.cleaned_data.get("csv_file")
    try:
        if upload is None:
            result = link_learner(
                customer=customer, identifier=form.cleaned_data["email"], disclose_other_customers=False
            )
        else:
            token, result = preview_upload(customer=customer, upload=upload, disclose_other_customers=False)
    except EnterpriseError as exc:
        form.add_service_error(exc)
        return _render(request, customer, customers, form)
    if upload is None:
        level, text = single_outcome(result)
        if level == "error":
            form.add_error("email", text)
            return _render(request, customer, customers, form)
        messages.add_message(request, getattr(messages, level.upper()), text)
        return HttpResponseRedirect(_page_url(customer))
    confirm = ConfirmForm(initial={"token": token})
    return _render(request, customer, customers, LinkForm(), result=result, confirm=confirm)


def _confirm(request, customer, customers):
    form = ConfirmForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The confirmation was incomplete: upload the file again."))
        return HttpResponseRedirect(_page_url(customer))
    token = form.cleaned_data["token"]
    try:
        result = confirm_upload(customer=customer, token=token, disclose_other_customers=False)
    except EnterpriseError as exc:  # UploadExpired: too old, or another customer's token
        messages.error(request, exc.message)
        return HttpResponseRedirect(_page_url(customer))
    if result.applied:
        messages.success(request, _("Done: %(summary)s.") % {"summary": result.summary()})
        return _render(request, customer, customers, LinkForm(), result=result)
    messages.error(request, result.refused)
    return _render(
        request, customer, customers, LinkForm(), result=result, confirm=ConfirmForm(initial={"token": token})
    )


def _ids(request, name: str) -> list[int]:
    return [int(v) for v in request.POST.getlist(name) if v.isdigit() and len(v) < 19]


def _unlink(request, customer, customers):
    count = unlink_users(customer=customer, user_ids=_ids(request, "user_id"))
    messages.success(
        request, ngettext("Unlinked %(count)d learner.", "Unlinked %(count)d learners.", count) % {"count": count}
    )
    return HttpResponseRedirect(_page_url(customer, request))


def _delete_pending(request, customer, customers):
    count = delete_pending_learners(customer=customer, pending_ids=_ids(request, "pending_id"))
    messages.success(
        request,
        ngettext("Removed %(count)d pending learner.", "Removed %(count)d pending learners.", count) % {"count": count},
    )
    return HttpResponseRedirect(_page_url(customer, request))


def _render(request, customer, customers, form, *, result: SubmissionResult | None = None, confirm=None):
    report_token = ""
    if result is not None:
        report_token = upload_store.save_file(report_file(result), customer=customer, suffix=".report.csv")
    params = request.GET
    linked = linked_learners_page(
        customer=customer, search=params.get("linked_q", ""), **position_from_params(params, "linked")
    )
    pending = pending_learners_page(
        customer=customer, search=params.get("pending_q", ""), **position_from_params(params, "pending")
    )
    page_url = _page_url(customer)
    context = {
        "customer": customer,
        "customers": customers,
        "form": form,
        "result": result,
        **(result.table() if result is not None else {}),
        "confirm": confirm,
        "report_token": report_token,
        "linked": linked,
        "pending": pending,
        "page_url": page_url,
        "current_url": _page_url(customer, request),
        "list_params": {k: params.get(k, "") for k in LIST_PARAMS},
        "linked_urls": pager_urls(page_url, params, "linked", linked),
        "pending_urls": pager_urls(page_url, params, "pending", pending),
        "max_upload": _("%(size).0f MB, %(rows)s rows")
        % {
            "size": enterprise_settings.MANAGE_LEARNERS_MAX_UPLOAD_BYTES / (1024 * 1024),
            "rows": f"{enterprise_settings.MANAGE_LEARNERS_MAX_ROWS:,}",
        },
    }
    return TemplateResponse(request, "enterprise_portal/learners.html", context)
