from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from integrated_channels.integrated_channel.admin import ChannelConfigurationAdmin
from integrated_channels.learningstudio.models import LearningStudioConfiguration, LearningStudioJob


@admin.register(LearningStudioConfiguration)
class LearningStudioConfigurationAdmin(ChannelConfigurationAdmin):
    list_display = ("customer", "name", "active", "endpoint_url", "client_string", "last_run", "modified")
    list_filter = ("active",)
    fieldsets = (
        (None, {"fields": ("customer", "active")}),
        (
            _("LearningStudio campus"),
            {
                "fields": (
                    "endpoint_url",
                    "wsdl_location",
                    "sis_username",
                    "sis_password",
                    "timestamp_lifetime",
                    "client_string",
                )
            },
        ),
        (
            _("Roles"),
            {
                "fields": (
                    "role_attribute",
                    "student_role_id",
                    "professor_role_id",
                    "teaching_assistant_role_id",
                    "dropped_role_id",
                )
            },
        ),
        (_("Enrollable nodes"), {"fields": ("node_role_id", "node_attribute", "enrollable_nodes")}),
        (
            _("What is sent"),
            {"fields": ("person_properties", "auto_generated_passwords", "datasource", "memberships_per_request")},
        ),
        (_("History"), {"fields": ("created", "modified"), "classes": ("collapse",)}),
    )


@admin.register(LearningStudioJob)
class LearningStudioJobAdmin(admin.ModelAdmin):
    """The job ids LearningStudio answered for ProcessRequest batches (decision 0103: not polled)."""

    list_display = ("job_id", "configuration", "run", "memberships", "created")
    list_filter = ("configuration",)
    search_fields = ("=job_id",)
    date_hierarchy = "created"
    raw_id_fields = ("run", "configuration")
    readonly_fields = ("job_id", "configuration", "run", "memberships", "created")
