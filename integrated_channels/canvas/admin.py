from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from integrated_channels.canvas.models import CanvasConfiguration
from integrated_channels.integrated_channel.admin.authorization import AuthorizedConnectionAdmin


@admin.register(CanvasConfiguration)
class CanvasConfigurationAdmin(AuthorizedConnectionAdmin):
    list_display = ("customer", "name", "active", "base_url", "account_id", "authorization", "last_run", "modified")
    list_filter = ("active",)
    fieldsets = (
        (None, {"fields": ("customer", "active")}),
        (_("Canvas account"), {"fields": ("base_url", "account_id", "client_id", "client_secret", "authorization")}),
        (_("What is sent"), {"fields": ("assignment_name", "send_in_progress", "calls_per_minute")}),
        (_("History"), {"fields": ("created", "modified"), "classes": ("collapse",)}),
    )
