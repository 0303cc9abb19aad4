from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from integrated_channels.blackboard.models import BlackboardConfiguration
from integrated_channels.integrated_channel.admin.authorization import AuthorizedConnectionAdmin


@admin.register(BlackboardConfiguration)
class BlackboardConfigurationAdmin(AuthorizedConnectionAdmin):
    list_display = ("customer", "name", "active", "base_url", "authorization", "last_run", "modified")
    list_filter = ("active",)
    fieldsets = (
        (None, {"fields": ("customer", "active")}),
        (_("Blackboard Learn server"), {"fields": ("base_url", "client_id", "client_secret", "authorization")}),
        (_("What is sent"), {"fields": ("grade_column_name", "send_in_progress", "calls_per_minute")}),
        (_("History"), {"fields": ("created", "modified"), "classes": ("collapse",)}),
    )
