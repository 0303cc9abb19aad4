"""Admin of connections an administrator authorizes in the remote system (Canvas, Blackboard Learn).

The connection's page gets an *Authorize* button (POST, change permission) and shows the callback
URL to register as the remote application's redirect URI; the callback is an admin view (staff,
change permission on the connection its state names). The work is ``services.authorization``.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from integrated_channels.integrated_channel.admin.configuration import ChannelConfigurationAdmin
from integrated_channels.integrated_channel.admin.runs import changeable_object
from integrated_channels.integrated_channel.services import authorization


class AuthorizedConnectionAdmin(ChannelConfigurationAdmin):
    change_form_template = "admin/integrated_channel/authorized_connection_change_form.html"
    readonly_fields = (*ChannelConfigurationAdmin.readonly_fields, "authorization")

    def _name(self, suffix: str) -> str:
        opts = self.model._meta
        return f"{opts.app_label}_{opts.model_name}_{suffix}"

    @admin.display(description=_("authorization"))
    def authorization(self, obj):
        if obj is None or not obj.pk or not obj.authorized:
            return _("Not authorized: save, then Authorize.")
        return format_html("Authorized by {} on {}", obj.authorized_by or "?", obj.authorized_at)

    def callback_url(self, request) -> str:
        return request.build_absolute_uri(reverse(f"admin:{self._name('oauth_complete')}"))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra = dict(extra_context or {})
        obj = self.get_object(request, object_id)
        if obj is not None and self.has_change_permission(request, obj):
            extra["authorize_url"] = reverse(f"admin:{self._name('authorize')}", args=[obj.pk])
            extra["authorize_callback_url"] = self.callback_url(request)
            extra["authorized"] = obj.authorized
            extra["remote_name"] = obj.channel_name
        return super().change_view(request, object_id, form_url, extra)

    def get_urls(self):
        return [
            path(
                "oauth/complete/",
                self.admin_site.admin_view(self.complete_view),
                name=self._name("oauth_complete"),
            ),
            path(
                "<path:object_id>/authorize/",
                self.admin_site.admin_view(self.authorize_view),
                name=self._name("authorize"),
            ),
            *super().get_urls(),
        ]

    def authorize_view(self, request, object_id):
        """POST only (CSRF-checked), change permission: send the administrator to the remote to grant access."""
        configuration = changeable_object(self, request, object_id)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        return HttpResponseRedirect(
            authorization.start(configuration, session=request.session, redirect_uri=self.callback_url(request))
        )

    def complete_view(self, request):
        """The remote's redirect back (GET): the state must be one this browser session started."""
        if not self.has_change_permission(request):  # refused before the state is read, like the change page
            raise PermissionDenied
        try:
            pk = authorization.connection_of(request.GET.get("state", ""))
        except authorization.AuthorizationRefused as exc:
            messages.error(request, exc.message)
            return HttpResponseRedirect(reverse(f"admin:{self._name('changelist')}"))
        changeable_object(self, request, str(pk))  # 404 / 403 like the change page
        change_url = reverse(f"admin:{self._name('change')}", args=[pk])
        try:
            configuration = authorization.complete(
                params=request.GET, session=request.session, redirect_uri=self.callback_url(request), user=request.user
            )
        except authorization.AuthorizationRefused as exc:
            messages.error(request, exc.message)
            return HttpResponseRedirect(change_url)
        messages.success(
            request,
            _("%(remote)s authorized the connection %(name)s.")
            % {"remote": configuration.channel_name, "name": configuration},
        )
        return HttpResponseRedirect(change_url)
