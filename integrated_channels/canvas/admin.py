from django.contrib import admin, messages
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from integrated_channels.canvas import authorization
from integrated_channels.canvas.models import CanvasConfiguration
from integrated_channels.integrated_channel.admin import ChannelConfigurationAdmin
from integrated_channels.integrated_channel.admin.runs import changeable_object


@admin.register(CanvasConfiguration)
class CanvasConfigurationAdmin(ChannelConfigurationAdmin):
    change_form_template = "admin/canvas/connection_change_form.html"
    list_display = ("customer", "name", "active", "base_url", "account_id", "authorization", "last_run", "modified")
    list_filter = ("active",)
    readonly_fields = (*ChannelConfigurationAdmin.readonly_fields, "authorization")
    fieldsets = (
        (None, {"fields": ("customer", "active")}),
        (_("Canvas account"), {"fields": ("base_url", "account_id", "client_id", "client_secret", "authorization")}),
        (_("What is sent"), {"fields": ("assignment_name", "send_in_progress", "calls_per_minute")}),
        (_("History"), {"fields": ("created", "modified"), "classes": ("collapse",)}),
    )

    @admin.display(description=_("authorization"))
    def authorization(self, obj):
        if obj is None or not obj.pk or not obj.authorized:
            return _("Not authorized: save, then Authorize in Canvas.")
        return format_html("Authorized by {} on {}", obj.authorized_by or "?", obj.authorized_at)

    def callback_url(self, request) -> str:
        return request.build_absolute_uri(reverse("admin:canvas_canvasconfiguration_oauth_complete"))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra = dict(extra_context or {})
        obj = self.get_object(request, object_id)
        if obj is not None and self.has_change_permission(request, obj):
            extra["canvas_authorize_url"] = reverse("admin:canvas_canvasconfiguration_authorize", args=[obj.pk])
            extra["canvas_callback_url"] = self.callback_url(request)
            extra["canvas_authorized"] = obj.authorized
        return super().change_view(request, object_id, form_url, extra)

    def get_urls(self):
        return [
            path(
                "oauth/complete/",
                self.admin_site.admin_view(self.complete_view),
                name="canvas_canvasconfiguration_oauth_complete",
            ),
            path(
                "<path:object_id>/authorize/",
                self.admin_site.admin_view(self.authorize_view),
                name="canvas_canvasconfiguration_authorize",
            ),
            *super().get_urls(),
        ]

    def authorize_view(self, request, object_id):
        """POST only (CSRF-checked), change permission: send the administrator to Canvas to grant access."""
        configuration = changeable_object(self, request, object_id)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        return HttpResponseRedirect(
            authorization.start(configuration, session=request.session, redirect_uri=self.callback_url(request))
        )

    def complete_view(self, request):
        """Canvas's redirect back (GET): the state must be one this browser session started."""
        try:
            pk = authorization.connection_of(request.GET.get("state", ""))
        except authorization.AuthorizationRefused as exc:
            messages.error(request, exc.message)
            return HttpResponseRedirect(reverse("admin:canvas_canvasconfiguration_changelist"))
        changeable_object(self, request, str(pk))  # 404 / 403 like the change page
        change_url = reverse("admin:canvas_canvasconfiguration_change", args=[pk])
        try:
            configuration = authorization.complete(
                params=request.GET, session=request.session, redirect_uri=self.callback_url(request), user=request.user
            )
        except authorization.AuthorizationRefused as exc:
            messages.error(request, exc.message)
            return HttpResponseRedirect(change_url)
        messages.success(request, _("Canvas authorized the connection %(name)s.") % {"name": configuration})
        return HttpResponseRedirect(change_url)
