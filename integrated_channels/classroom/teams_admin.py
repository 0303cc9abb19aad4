"""Admin of Microsoft Teams connections (the secret is write-only, as for every connection)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from integrated_channels.classroom.teams_models import TeamsConnection
from integrated_channels.integrated_channel.admin import ChannelConfigurationAdmin


@admin.register(TeamsConnection)
class TeamsConnectionAdmin(ChannelConfigurationAdmin):
    list_display = ("customer", "name", "active", "organizer_id", "modified")
    fieldsets = (
        (None, {"fields": ("customer", "active")}),
        (_("App registration"), {"fields": ("tenant_id", "client_id", "client_secret")}),
        (_("Meetings"), {"fields": ("organizer_id", "lobby_bypass", "dial_in_bypasses_lobby", "allowed_presenters")}),
        (_("Addresses"), {"fields": ("login_url", "graph_url"), "classes": ("collapse",)}),
        (_("History"), {"fields": ("created", "modified"), "classes": ("collapse",)}),
    )
