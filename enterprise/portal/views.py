"""The portal's Learners pages: thin views over ``enterprise.services``, scoped to the user's customers.

Every view goes through ``access.portal_view`` (sign-in, customer administrator, the audit row of
a POST) and looks its customer up among the administered ones (``access.customer_of``: 404 for any
other). The Learners page calls the same services as the admin's Manage Learners page —
``link_learner``, ``preview_upload`` / ``confirm_upload`` (with a course or program, a mode and
notify), ``unenroll_learner``, ``preview_unenroll_upload`` / ``confirm_unenroll_upload``,
``unenroll_users``, ``unlink_users``, ``delete_pending_learners``, the ``learner_lists`` pages,
the ``catalog_picker`` answers — with ``disclose_other_customers=False``, as the REST API does
for a customer's administrator.
"""

from __future__ import annotations

import hashlib

from django.contrib import messages
from django.core.cache import cache
from django.http import FileResponse, Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from enterprise.app_settings import enterprise_settings
from enterprise.exceptions import EnterpriseError, TemplateRenderError, UploadExpired
from enterprise.models import EnrollmentNotificationEmailTemplate
from enterprise.portal.access import customer_of, portal_view
from enterprise.portal.audit import result_counts
from enterprise.portal.forms import ConfirmForm, LinkForm, UnenrollSelectedForm
from enterprise.portal.learner_rows import linked_rows, pending_rows
from enterprise.services import upload_store
from enterprise.services.catalog_picker import catalog_suggestions, course_modes
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
from enterprise.services.notifications import preview_email, template_for
from enterprise.services.reports import report_file
from enterprise.services.unenrollment import (
    confirm_unenroll_upload,
    preview_unenroll_upload,
    unenroll_learner,
    unenroll_outcome,
    unenroll_users,
)
from enterprise.uploads import refused_upload

TEMPLATE_TYPES = tuple(EnrollmentNotificationEmailTemplate.TemplateType.values)
LINK_FIELDS_SECONDS = 300  # how long the unbound link form's rendered fields are kept (per customer, language, modes)


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
        "unenroll": _unenroll,
        "confirm": _confirm,
        "unenroll_selected": _unenroll_selected,
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


@require_safe
@portal_view
def catalog_search(request, customer_uuid, *, customers):
    """Suggestions of the Course ID / Program ID pickers (the admin's answers, ``catalog_picker``)."""
    customer_of(customers, customer_uuid)
    status, body = catalog_suggestions(request.GET.get("q", ""), request.GET.get("kind", "course"))
    return JsonResponse(body, status=status)


@require_safe
@portal_view
def modes(request, customer_uuid, *, customers):
    """The enrollment modes of a course, for the mode drop-down (``catalog_picker.course_modes``)."""
    customer_of(customers, customer_uuid)
    status, body = course_modes(request.GET.get("course_id", ""))
    return JsonResponse(body, status=status)


@require_safe
@portal_view
def email_preview(request, customer_uuid, template_type, *, customers):
    """The enrollment e-mail that notified learners get: the customer's template of the type, or the
    default one, rendered with sample data (``notifications.preview_email``, as the admin's preview)."""
    customer = customer_of(customers, customer_uuid)
    if template_type not in TEMPLATE_TYPES:
        raise Http404(_("Unknown template type."))
    template = template_for(customer_id=customer.pk, template_type=template_type)
    preview, error = None, ""
    if template is not None:
        try:
            preview = preview_email(template=template, template_type=template_type)
        except TemplateRenderError as exc:
            error = exc.message
    context = {
        "customer": customer,
        "customers": customers,
        "section": "learners",
        "template_type": template_type,
        "template": template,
        "own_template": template is not None and template.customer_id == customer.pk,
        "preview": preview,
        "error": error,
        "page_url": _page_url(customer),
    }
    return TemplateResponse(request, "enterprise_portal/email_preview.html", context)


def _page_url(customer, request=None) -> str:
    url = reverse("enterprise_portal:learners", kwargs={"customer_uuid": customer.uuid})
    params = {k: request.GET[k] for k in LIST_PARAMS if request is not None and request.GET.get(k)}
    return f"{url}?{urlencode(params)}" if params else url


def _note(request, action: str, customer, result: SubmissionResult | None = None, **counts) -> None:
    request.portal_audit.note(
        action=f"learners:{action}", customer=customer, **(result_counts(result) if result else {}), **counts
    )


def _initial(form) -> dict[str, object]:
    kwargs = form.enrollment_kwargs()
    return {
        "course_id": kwargs["course_id"],
        "program_id": kwargs["program_id"],
        "course_mode": kwargs["mode"],
        "notify": kwargs["notify"],
    }


def _bound_link_form(request, customer, customers, action):
    """The submitted form, or the page showing why it was refused."""
    form = LinkForm(request.POST, request.FILES)
    if (refusal := refused_upload(request)) is not None:  # stopped before it was read
        form.is_valid()
        form.add_error("csv_file", refusal.message)
        _note(request, action, customer, refused=1)
        return None, _render(request, customer, customers, form)
    if not form.is_valid():
        _note(request, action, customer, refused=1)
        return None, _render(request, customer, customers, form)
    return form, None


def _link(request, customer, customers):
    """Link one learner or preview a CSV file, optionally enrolling them (and notifying them)."""
    form, refused = _bound_link_form(request, customer, customers, "link")
    if refused is not None:
        return refused
    upload = form.cleaned_data.get("csv_file")
    action = "link" if upload is None else "link_preview"
    try:
        if upload is None:
            result = link_learner(
                customer=customer,
                identifier=form.cleaned_data["email"],
                disclose_other_customers=False,
                **form.enrollment_kwargs(),
            )
        else:
            token, result = preview_upload(
                customer=customer, upload=upload, disclose_other_customers=False, **form.enrollment_kwargs()
            )
    except EnterpriseError as exc:
        _note(request, action, customer, refused=1)
        form.add_service_error(exc)
        return _render(request, customer, customers, form)
    _note(request, action, customer, result)
    if upload is None:
        level, text = single_outcome(result)
        if level == "error":
            form.add_error("email", text)
            return _render(request, customer, customers, form)
        messages.add_message(request, getattr(messages, level.upper()), text)
        return HttpResponseRedirect(_page_url(customer))
    confirm = ConfirmForm(initial={"token": token, "operation": ConfirmForm.LINK, **_initial(form)})
    return _render(request, customer, customers, LinkForm(), result=result, confirm=confirm)


def _unenroll(request, customer, customers):
    """Unenroll one learner, or preview the unenrollment of a CSV file, from a course or program."""
    form, refused = _bound_link_form(request, customer, customers, "unenroll")
    if refused is not None:
        return refused
    upload = form.cleaned_data.get("csv_file")
    action = "unenroll" if upload is None else "unenroll_preview"
    try:
        if upload is None:
            result = unenroll_learner(customer=customer, identifier=form.cleaned_data["email"], **form.target())
        else:
            token, result = preview_unenroll_upload(customer=customer, upload=upload, **form.target())
    except EnterpriseError as exc:
        _note(request, action, customer, refused=1)
        form.add_service_error(exc)
        return _render(request, customer, customers, form)
    _note(request, action, customer, result)
    if upload is None:
        level, text = unenroll_outcome(result, single=True)
        if level == "error":
            form.add_error("email", text)
            return _render(request, customer, customers, form)
        messages.add_message(request, getattr(messages, level.upper()), text)
        return HttpResponseRedirect(_page_url(customer))
    confirm = ConfirmForm(initial={"token": token, "operation": ConfirmForm.UNENROLL, **_initial(form)})
    return _render(request, customer, customers, LinkForm(), result=result, confirm=confirm)


def _confirm(request, customer, customers):
    form = ConfirmForm(request.POST)
    if not form.is_valid():
        _note(request, "confirm", customer, refused=1)
        messages.error(request, _("The confirmation was incomplete: upload the file again."))
        return HttpResponseRedirect(_page_url(customer))
    token = form.cleaned_data["token"]
    operation = form.cleaned_data.get("operation") or ConfirmForm.LINK
    kwargs = form.enrollment_kwargs()
    action = f"confirm_{operation}"
    try:
        if operation == ConfirmForm.UNENROLL:
            result = confirm_unenroll_upload(
                customer=customer, token=token, course_id=kwargs["course_id"], program_id=kwargs["program_id"]
            )
        else:
            result = confirm_upload(customer=customer, token=token, disclose_other_customers=False, **kwargs)
    except EnterpriseError as exc:  # UploadExpired (too old, another customer's token), a course gone since
        _note(request, action, customer, refused=1)
        messages.error(request, exc.message)
        return HttpResponseRedirect(_page_url(customer))
    _note(request, action, customer, result)
    if result.applied:
        messages.success(request, _("Done: %(summary)s.") % {"summary": result.summary()})
        return _render(request, customer, customers, LinkForm(), result=result)
    messages.error(request, result.refused)
    confirm = ConfirmForm(initial={"token": token, "operation": operation, **_initial(form)})
    return _render(request, customer, customers, LinkForm(), result=result, confirm=confirm)


def _ids(request, name: str) -> list[int]:
    return [int(v) for v in request.POST.getlist(name) if v.isdigit() and len(v) < 19]


def _unenroll_selected(request, customer, customers):
    form = UnenrollSelectedForm(request.POST)
    form.is_valid()
    try:
        result = unenroll_users(
            customer=customer,
            user_ids=_ids(request, "user_id"),
            course_id=form.cleaned_data.get("course_id", ""),
            program_id=form.cleaned_data.get("program_id", ""),
        )
    except EnterpriseError as exc:
        _note(request, "unenroll_selected", customer, refused=1)
        messages.error(request, exc.message)
    else:
        _note(request, "unenroll_selected", customer, result)
        level, text = unenroll_outcome(result)
        messages.add_message(request, getattr(messages, level.upper()), text)
    return HttpResponseRedirect(_page_url(customer, request))


def _unlink(request, customer, customers):
    count = unlink_users(customer=customer, user_ids=_ids(request, "user_id"))
    _note(request, "unlink", customer, unlinked=count)
    messages.success(
        request, ngettext("Unlinked %(count)d learner.", "Unlinked %(count)d learners.", count) % {"count": count}
    )
    return HttpResponseRedirect(_page_url(customer, request))


def _delete_pending(request, customer, customers):
    count = delete_pending_learners(customer=customer, pending_ids=_ids(request, "pending_id"))
    _note(request, "delete_pending", customer, removed=count)
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
    count_limit = enterprise_settings.PORTAL_LEARNERS_COUNT_LIMIT  # "more than N" past it (decision 0450)
    linked = linked_learners_page(
        customer=customer,
        search=params.get("linked_q", ""),
        count_limit=count_limit,
        **position_from_params(params, "linked"),
    )
    pending = pending_learners_page(
        customer=customer,
        search=params.get("pending_q", ""),
        count_limit=count_limit,
        **position_from_params(params, "pending"),
    )
    page_url = _page_url(customer)
    uuid_kwargs = {"customer_uuid": customer.uuid}
    context = {
        "customer": customer,
        "customers": customers,
        "section": "learners",
        "form": form,
        "result": result,
        **(result.table() if result is not None else {}),
        "confirm": confirm,
        "report_token": report_token,
        "linked": linked,
        "pending": pending,
        "linked_rows": linked_rows(linked.items),
        "link_fields": "" if form.is_bound else _unbound_link_fields(customer, form),
        "pending_rows": pending_rows(pending.items),
        "page_url": page_url,
        "current_url": _page_url(customer, request),
        "list_params": {k: params.get(k, "") for k in LIST_PARAMS},
        "linked_urls": pager_urls(page_url, params, "linked", linked),
        "pending_urls": pager_urls(page_url, params, "pending", pending),
        "catalog_search_url": reverse("enterprise_portal:catalog_search", kwargs=uuid_kwargs),
        "course_modes_url": reverse("enterprise_portal:course_modes", kwargs=uuid_kwargs),
        "email_previews": [
            (kind, reverse("enterprise_portal:email_preview", kwargs={**uuid_kwargs, "template_type": kind}))
            for kind in TEMPLATE_TYPES
        ],
        "unchosen_file": _unchosen_file(request, form),
        "max_upload": _("%(size).0f MB, %(rows)s rows")
        % {
            "size": enterprise_settings.MANAGE_LEARNERS_MAX_UPLOAD_BYTES / (1024 * 1024),
            "rows": f"{enterprise_settings.MANAGE_LEARNERS_MAX_ROWS:,}",
        },
    }
    return TemplateResponse(request, "enterprise_portal/learners.html", context)


def _unbound_link_fields(customer, form: LinkForm) -> SafeString:
    """The unbound link form's fieldsets, rendered once a few minutes per customer, language and
    offered modes (decision 0515): the widgets' templates were a sixth of the page's CPU. A bound
    form (errors, values typed) is always rendered with the page."""
    choices = form.fields["course_mode"].widget.choices
    key = (
        "enterprise_portal:link-fields:"
        + hashlib.sha256(repr((customer.pk, get_language(), choices)).encode()).hexdigest()
    )
    html = cache.get(key)
    if html is None:
        email_previews = [
            (
                kind,
                reverse(
                    "enterprise_portal:email_preview", kwargs={"customer_uuid": customer.uuid, "template_type": kind}
                ),
            )
            for kind in TEMPLATE_TYPES
        ]
        html = render_to_string("enterprise_portal/_link_fields.html", {"form": form, "email_previews": email_previews})
        cache.set(key, html, LINK_FIELDS_SECONDS)
    return mark_safe(html)  # noqa: S308 - rendered by our template above, values escaped there


def _unchosen_file(request, form) -> str:
    """The name of a CSV file chosen before an error: browsers never keep a chosen file."""
    upload = request.FILES.get("csv_file") if request.method == "POST" and form.is_bound else None
    return upload.name if upload is not None and form.errors else ""
