"""The Manage Learners page of a customer: extra admin URLs of the customer admin.

Thin views: they parse the forms, call one service of ``enterprise.services`` and render. A CSV
upload is stored, previewed (the real service inside a rolled-back transaction), and applied
only when the operator confirms the preview (the django-import-export flow).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from enterprise.admin.manage_learners_forms import (
    ConfirmUploadForm,
    LinkLearnersForm,
    SapUserIdsForm,
    max_upload_text,
)
from enterprise.exceptions import EnterpriseError, UploadExpired
from enterprise.services import learner_ids, upload_store
from enterprise.services.catalog_picker import catalog_suggestions, course_modes
from enterprise.services.learner_lists import LIST_PARAMS, linked_learners_page, pending_learners_page
from enterprise.services.learner_lists import pager_urls as _pager_urls
from enterprise.services.learner_lists import position_from_params as _position
from enterprise.services.linking import delete_pending_learners, unlink_users
from enterprise.services.manage_learners import (
    SubmissionResult,
    confirm_upload,
    link_learner,
    preview_upload,
    single_outcome,
)
from enterprise.services.reports import report_file
from enterprise.services.unenrollment import (
    confirm_unenroll_upload,
    preview_unenroll_upload,
    unenroll_learner,
    unenroll_outcome,
    unenroll_users,
)
from enterprise.uploads import refused_upload

#: Refused rows of a SAP user id upload listed on the page (the summary counts them all).
SAP_ERRORS_SHOWN = 100


class ManageLearners:
    """The views, bound to the customer ``ModelAdmin`` whose permissions they use."""

    def __init__(self, model_admin):
        self.model_admin = model_admin
        self.opts = model_admin.model._meta

    def urls(self):
        wrap = self.model_admin.admin_site.admin_view
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path("<path:object_id>/manage_learners/", wrap(self.page), name=f"{prefix}_manage_learners"),
            path(
                "<path:object_id>/manage_learners/report/", wrap(self.report), name=f"{prefix}_manage_learners_report"
            ),
            path("manage_learners/course_modes/", wrap(self.course_modes), name=f"{prefix}_course_modes"),
            path("manage_learners/catalog_search/", wrap(self.catalog_search), name=f"{prefix}_catalog_search"),
        ]

    def _customer(self, request, object_id):
        customer = self.model_admin.get_object(request, object_id)
        if customer is None:
            raise Http404(_("No enterprise customer with this id."))
        if not self.model_admin.has_change_permission(request, customer):
            raise PermissionDenied
        return customer

    def _page_url(self, customer, request=None) -> str:
        url = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_manage_learners", args=[customer.pk])
        params = {k: request.GET[k] for k in LIST_PARAMS if request is not None and request.GET.get(k)}
        return f"{url}?{urlencode(params)}" if params else url

    # -- the page -------------------------------------------------------------------------

    def page(self, request, object_id):
        customer = self._customer(request, object_id)
        if request.method == "POST":
            action = request.POST.get("action", "link")
            handler = {
                "link": self._link,
                "confirm": self._confirm,
                "unenroll": self._unenroll,
                "unenroll_selected": self._unenroll_selected,
                "unlink": self._unlink,
                "delete_pending": self._delete_pending,
                "sap_user_ids": self._sap_user_ids,
            }.get(action)
            if handler is None:
                raise Http404(_("Unknown action."))
            return handler(request, customer)
        return self._render(request, customer, LinkLearnersForm())

    def _link(self, request, customer):
        form = LinkLearnersForm(request.POST, request.FILES)
        if (refusal := refused_upload(request)) is not None:  # stopped before it was read
            form.is_valid()
            form.add_error("bulk_upload_csv", refusal.message)
            return self._render(request, customer, form)
        if not form.is_valid():
            return self._render(request, customer, form)
        upload = form.cleaned_data.get("bulk_upload_csv")
        token = ""
        try:
            if upload is None:
                result = link_learner(
                    customer=customer, identifier=form.cleaned_data["email_or_username"], **form.enrollment_kwargs()
                )
            else:
                token, result = preview_upload(customer=customer, upload=upload, **form.enrollment_kwargs())
        except EnterpriseError as exc:
            form.add_service_error(exc)
            return self._render(request, customer, form)
        if upload is None:
            return self._single_done(request, customer, form, result)
        confirm = ConfirmUploadForm(initial={"token": token, **_initial(form)})
        return self._render(request, customer, LinkLearnersForm(), result=result, confirm=confirm)

    def _single_done(self, request, customer, form, result: SubmissionResult):
        level, text = single_outcome(result)
        if level == "error":
            form.add_error("email_or_username", text)
            return self._render(request, customer, form)
        messages.add_message(request, getattr(messages, level.upper()), text)
        return HttpResponseRedirect(self._page_url(customer))

    def _confirm(self, request, customer):
        form = ConfirmUploadForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("The confirmation was incomplete: upload the file again."))
            return HttpResponseRedirect(self._page_url(customer))
        token = form.cleaned_data["token"]
        unenroll = form.cleaned_data.get("operation") == ConfirmUploadForm.UNENROLL
        kwargs = form.enrollment_kwargs()
        try:
            if unenroll:
                result = confirm_unenroll_upload(
                    customer=customer, token=token, course_id=kwargs["course_id"], program_id=kwargs["program_id"]
                )
            else:
                result = confirm_upload(customer=customer, token=token, **kwargs)
        except UploadExpired as exc:
            messages.error(request, exc.message)
            return HttpResponseRedirect(self._page_url(customer))
        except EnterpriseError as exc:  # e.g. the course vanished from the catalog since the preview
            messages.error(request, exc.message)
            return HttpResponseRedirect(self._page_url(customer))
        if result.applied:
            messages.success(request, _("Done: %(summary)s.") % {"summary": result.summary()})
            return self._render(request, customer, LinkLearnersForm(), result=result)
        messages.error(request, result.refused)
        confirm = ConfirmUploadForm(
            initial={"token": token, "operation": form.cleaned_data.get("operation"), **_initial(form)}
        )
        return self._render(request, customer, LinkLearnersForm(), result=result, confirm=confirm)

    def _unenroll(self, request, customer):
        """The learners of a submission (one learner, or a CSV file previewed first) leave a course or program."""
        form = LinkLearnersForm(request.POST, request.FILES)
        if not form.is_valid():
            return self._render(request, customer, form)
        upload = form.cleaned_data.get("bulk_upload_csv")
        target = {k: form.cleaned_data.get(k, "") for k in ("course_id", "program_id")}
        token = ""
        try:
            if upload is None:
                result = unenroll_learner(
                    customer=customer, identifier=form.cleaned_data["email_or_username"], **target
                )
            else:
                token, result = preview_unenroll_upload(customer=customer, upload=upload, **target)
        except EnterpriseError as exc:
            form.add_service_error(exc)
            return self._render(request, customer, form)
        if upload is None:
            level, text = unenroll_outcome(result, single=True)
            if level == "error":
                form.add_error("email_or_username", text)
                return self._render(request, customer, form)
            messages.add_message(request, getattr(messages, level.upper()), text)
            return HttpResponseRedirect(self._page_url(customer))
        confirm = ConfirmUploadForm(initial={"token": token, "operation": ConfirmUploadForm.UNENROLL, **_initial(form)})
        return self._render(request, customer, LinkLearnersForm(), result=result, confirm=confirm)

    def _unenroll_selected(self, request, customer):
        user_ids = [int(v) for v in request.POST.getlist("user_id") if v.isdigit()]
        try:
            result = unenroll_users(
                customer=customer,
                user_ids=user_ids,
                course_id=request.POST.get("course_id", ""),
                program_id=request.POST.get("program_id", ""),
            )
        except EnterpriseError as exc:
            messages.error(request, exc.message)
        else:
            self._unenroll_message(request, result)
        return HttpResponseRedirect(self._page_url(customer, request))

    @staticmethod
    def _unenroll_message(request, result: SubmissionResult) -> None:
        level, text = unenroll_outcome(result)
        messages.add_message(request, getattr(messages, level.upper()), text)

    def _sap_user_ids(self, request, customer):
        """Issue 22 item 6: SAP user ids from a CSV (e-mail, SAP user id); refused rows listed with their line."""
        form = SapUserIdsForm(request.POST, request.FILES, prefix="sap")
        if (refusal := refused_upload(request)) is not None:
            form.is_valid()
            form.add_error("sap_user_ids_csv", refusal.message)
            return self._render(request, customer, LinkLearnersForm(), sap_form=form)
        if not form.is_valid():
            return self._render(request, customer, LinkLearnersForm(), sap_form=form)
        try:
            result = learner_ids.set_from_csv(
                customer=customer,
                file=form.cleaned_data["sap_user_ids_csv"],
                changed_by=request.user,
                dry_run=form.cleaned_data["check_only"],
            )
        except EnterpriseError as exc:
            form.add_error("sap_user_ids_csv", exc.message)
            return self._render(request, customer, LinkLearnersForm(), sap_form=form)
        return self._render(
            request, customer, LinkLearnersForm(), sap_form=SapUserIdsForm(prefix="sap"), sap_result=result
        )

    def _unlink(self, request, customer):
        user_ids = [int(v) for v in request.POST.getlist("user_id") if v.isdigit()]
        count = unlink_users(customer=customer, user_ids=user_ids)
        messages.success(
            request, ngettext("Unlinked %(count)d learner.", "Unlinked %(count)d learners.", count) % {"count": count}
        )
        return HttpResponseRedirect(self._page_url(customer, request))

    def _delete_pending(self, request, customer):
        pending_ids = [int(v) for v in request.POST.getlist("pending_id") if v.isdigit()]
        count = delete_pending_learners(customer=customer, pending_ids=pending_ids)
        messages.success(
            request,
            ngettext("Deleted %(count)d pending learner.", "Deleted %(count)d pending learners.", count)
            % {"count": count},
        )
        return HttpResponseRedirect(self._page_url(customer, request))

    def _render(
        self,
        request,
        customer,
        form,
        *,
        result: SubmissionResult | None = None,
        confirm=None,
        sap_form=None,
        sap_result=None,
    ):
        report_token = ""
        if result is not None:
            report_token = upload_store.save_file(report_file(result), customer=customer, suffix=".report.csv")
        params = request.GET
        linked = linked_learners_page(
            customer=customer, search=params.get("linked_q", ""), **_position(params, "linked")
        )
        pending = pending_learners_page(
            customer=customer, search=params.get("pending_q", ""), **_position(params, "pending")
        )
        context = {
            **self.model_admin.admin_site.each_context(request),
            "opts": self.opts,
            "original": customer,
            "customer": customer,
            "title": _("Manage Learners: %(name)s") % {"name": customer.name},
            "form": form,
            "result": result,
            **(result.table() if result is not None else {}),
            "confirm": confirm,
            "report_token": report_token,
            "linked": linked,
            "pending": pending,
            "max_upload": max_upload_text(),
            "page_url": self._page_url(customer),
            "list_params": {k: params.get(k, "") for k in LIST_PARAMS},
            "linked_urls": _pager_urls(self._page_url(customer), params, "linked", linked),
            "pending_urls": _pager_urls(self._page_url(customer), params, "pending", pending),
            "current_url": self._page_url(customer, request),
            "media": self.model_admin.media + form.media,
            "catalog_search_url": reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_catalog_search",
            ),
            "unchosen_file": _unchosen_file(request, form),
            "sap_form": sap_form or SapUserIdsForm(prefix="sap"),
            "sap_result": sap_result,
            "sap_errors": sap_result.errors[:SAP_ERRORS_SHOWN] if sap_result is not None else [],
            "sap_errors_hidden": max(0, len(sap_result.errors) - SAP_ERRORS_SHOWN) if sap_result is not None else 0,
        }
        return TemplateResponse(request, "enterprise/admin/manage_learners.html", context)

    # -- the report and the course modes -----------------------------------------------------

    def report(self, request, object_id):
        customer = self._customer(request, object_id)
        try:
            file = upload_store.open_file(request.GET.get("token", ""), customer=customer)
        except UploadExpired as exc:
            raise Http404(exc.message) from exc
        return FileResponse(
            file, as_attachment=True, filename=f"manage-learners-{customer.slug}.csv", content_type="text/csv"
        )

    def course_modes(self, request):
        if not self.model_admin.has_view_or_change_permission(request):
            raise PermissionDenied
        status, body = course_modes(request.GET.get("course_id", ""))
        return JsonResponse(body, status=status)

    def catalog_search(self, request):
        """Suggestions of the Course ID / Program ID pickers: catalog entries whose title or id contains ``q``."""
        if not self.model_admin.has_view_or_change_permission(request):
            raise PermissionDenied
        status, body = catalog_suggestions(request.GET.get("q", ""), request.GET.get("kind", "course"))
        return JsonResponse(body, status=status)


def _unchosen_file(request, form) -> str:
    """The name of a CSV file the operator chose before an error: browsers never keep a chosen file."""
    upload = request.FILES.get("bulk_upload_csv") if request.method == "POST" and form.is_bound else None
    return upload.name if upload is not None and form.errors else ""


def _initial(form) -> dict[str, object]:
    kwargs = form.enrollment_kwargs()
    return {
        "course_id": kwargs["course_id"],
        "program_id": kwargs["program_id"],
        "course_mode": kwargs["mode"],
        "notify": kwargs["notify"],
    }
