"""E-mail templates, with "Preview (course)" and "Preview (program)" buttons on their edit page.

The buttons post the form as it is on screen (saved or not) to the preview view, which renders
it with sample data in a new tab; the HTML body is shown in a sandboxed frame.
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext as _

from enterprise.exceptions import TemplateRenderError
from enterprise.models import EnrollmentNotificationEmailTemplate, EnterpriseCustomer
from enterprise.services.notifications import preview_email

PREVIEW_TYPES = tuple(EnrollmentNotificationEmailTemplate.TemplateType.values)


@admin.register(EnrollmentNotificationEmailTemplate)
class EnrollmentNotificationEmailTemplateAdmin(admin.ModelAdmin):
    list_display = ("__str__", "customer", "template_type", "subject_line", "modified")
    list_select_related = ("customer",)
    list_filter = ("template_type",)
    search_fields = ("customer__name", "subject_line")
    autocomplete_fields = ("customer",)
    readonly_fields = ("created", "modified")
    change_form_template = "admin/enterprise/enrollmentnotificationemailtemplate/change_form.html"

    def get_urls(self):
        opts = self.model._meta
        return [
            path(
                "<path:object_id>/preview/<str:template_type>/",
                self.admin_site.admin_view(self.preview_view),
                name=f"{opts.app_label}_{opts.model_name}_preview",
            ),
            *super().get_urls(),
        ]

    def preview_view(self, request, object_id, template_type):
        """Render the posted (or else the saved) template as a ``template_type`` e-mail with sample data."""
        if template_type not in PREVIEW_TYPES:
            raise Http404(_("Unknown template type."))
        template = self.get_object(request, object_id)
        if template is None:
            raise Http404(_("No such template."))
        if not self.has_view_or_change_permission(request, template):
            raise PermissionDenied
        if request.method == "POST":
            customer_id = request.POST.get("customer") or None
            posted_type = request.POST.get("template_type")
            template = EnrollmentNotificationEmailTemplate(
                customer=EnterpriseCustomer.objects.filter(pk=customer_id).first() if customer_id else None,
                template_type=posted_type if posted_type in PREVIEW_TYPES else template.template_type,
                subject_line=request.POST.get("subject_line", ""),
                plaintext_template=request.POST.get("plaintext_template", ""),
                html_template=request.POST.get("html_template", ""),
            )
        preview, error = None, ""
        try:
            preview = preview_email(template=template, template_type=template_type)
        except TemplateRenderError as exc:
            error = exc.message
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": template,
            "title": _("Preview (%(type)s)") % {"type": template_type},
            "preview_type": template_type,
            "preview": preview,
            "error": error,
            "type_mismatch": template.template_type != template_type,
        }
        return TemplateResponse(request, "enterprise/admin/email_template_preview.html", context)
