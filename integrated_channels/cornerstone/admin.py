from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from integrated_channels.cornerstone.models import CornerstoneConfiguration, CornerstoneLearnerSession
from integrated_channels.integrated_channel.admin import ChannelConfigurationAdmin


@admin.register(CornerstoneConfiguration)
class CornerstoneConfigurationAdmin(ChannelConfigurationAdmin):
    list_display = ("customer", "name", "active", "base_url", "last_run", "modified")
    list_filter = ("active",)
    fieldsets = (
        (None, {"fields": ("customer", "active")}),
        (_("Cornerstone portal"), {"fields": ("base_url", "client_key", "client_secret", "completion_path")}),
        (_("Course list Cornerstone polls"), {"fields": ("catalog_user", "catalog_password")}),
        (_("What is sent"), {"fields": ("send_in_progress",)}),
        (_("History"), {"fields": ("created", "modified"), "classes": ("collapse",)}),
    )


@admin.register(CornerstoneLearnerSession)
class CornerstoneLearnerSessionAdmin(admin.ModelAdmin):
    """Read-only: what Cornerstone sent with each learner's launch (never the session token)."""

    list_display = ("configuration", "user", "course_id", "user_guid", "callback_path", "modified")
    search_fields = ("=user_guid", "course_id", "user__username", "user__email")
    list_select_related = ("configuration__customer", "user")
    fields = ("configuration", "user", "course_id", "user_guid", "callback_path", "subdomain", "modified")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
