"""E-mail templates, with a "Preview (course)" or "Preview (program)" button on their edit page.

A template of one type offers that type's placeholders only: its help texts and the list above
its fields name them, and its edit page shows the Preview button of its own type. The button
posts the form as it is on screen (saved or not) to the preview view, which renders it with
sample data in a new tab; the HTML body is shown in a sandboxed frame.
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

from enterprise.exceptions import TemplateRenderError
from enterprise.models import EnrollmentNotificationEmailTemplate, EnterpriseCustomer
from enterprise.services.notifications import preview_email
from enterprise.templating import PLACEHOLDERS

TEMPLATE_FIELDS = ("subject_line", "plaintext_template", "html_template")


def placeholder_help(template_type: str | None) -> str:
    """The help text of a template field: the placeholders its type allows (both lists before a type is chosen)."""
    types = [template_type] if template_type in PLACEHOLDERS else list(PLACEHOLDERS)
    parts = [
        _("%(kind)s templates: %(names)s.")
        % {"kind": kind.capitalize(), "names": ", ".join("{" + name + "}" for name in PLACEHOLDERS[kind])}
        for kind in types
    ]
    return " ".join([*parts, _("Write {{ and }} for literal braces.")])


def placeholder_table(template_type: str | None):
    """What each placeholder of ``template_type`` (or of both types) holds, for the page."""
    types = [template_type] if template_type in PLACEHOLDERS else list(PLACEHOLDERS)
    sections = []
    for kind in types:
        rows = format_html_join(
            "", "<tr><th scope='row'><code>{{{}}}</code></th><td>{}</td></tr>", PLACEHOLDERS[kind].items()
        )
        caption = _("Placeholders of %(kind)s e-mails") % {"kind": kind}
        sections.append(
            format_html(
                '<table class="placeholders" data-type="{}"><caption>{}</caption>{}</table>', kind, caption, rows
            )
        )
    return format_html_join("", "{}", ((section,) for section in sections))


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

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        template_type = obj.template_type if obj is not None else request.POST.get("template_type")
        for name in TEMPLATE_FIELDS:
            if name in form.base_fields:
                form.base_fields[name].help_text = placeholder_help(template_type)
        return form

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        template_type = obj.template_type if obj is not None else request.POST.get("template_type")
        context["placeholder_table"] = placeholder_table(template_type)
        context["preview_types"] = [obj.template_type] if obj is not None and obj.template_type in PREVIEW_TYPES else []
        return super().render_change_form(request, context, add, change, form_url, obj)

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
