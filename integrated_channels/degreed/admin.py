from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from integrated_channels.degreed.models import DegreedConfiguration
from integrated_channels.integrated_channel.admin import ChannelConfigurationAdmin


@admin.register(DegreedConfiguration)
class DegreedConfigurationAdmin(ChannelConfigurationAdmin):
    list_display = ("customer", "name", "active", "base_url", "last_run", "modified")
    list_filter = ("active",)
    fieldsets = (
        (None, {"fields": ("customer", "name", "active")}),
        (_("Degreed organisation"), {"fields": ("base_url", "token_base_url", "client_id", "client_secret")}),
        (_("What is sent"), {"fields": ("send_in_progress", "send_skills", "calls_per_minute")}),
        (_("History"), {"fields": ("created", "modified"), "classes": ("collapse",)}),
    )
