from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from integrated_channels.integrated_channel.admin import ChannelConfigurationAdmin
from integrated_channels.moodle.models import MoodleConfiguration


@admin.register(MoodleConfiguration)
class MoodleConfigurationAdmin(ChannelConfigurationAdmin):
    list_display = ("customer", "name", "active", "base_url", "category_id", "last_run", "modified")
    list_filter = ("active",)
    fieldsets = (
        (None, {"fields": ("customer", "active")}),
        (_("Moodle site"), {"fields": ("base_url", "service_short_name", "token", "username", "password")}),
        (
            _("What is sent"),
            {
                "fields": (
                    "category_id",
                    "grade_assignment_name",
                    "send_in_progress",
                    "courses_per_call",
                    "calls_per_minute",
                )
            },
        ),
        (_("History"), {"fields": ("created", "modified"), "classes": ("collapse",)}),
    )
