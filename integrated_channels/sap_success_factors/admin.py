from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from integrated_channels.integrated_channel.admin import ChannelConfigurationAdmin
from integrated_channels.sap_success_factors.models import SAPSuccessFactorsConfiguration


@admin.register(SAPSuccessFactorsConfiguration)
class SAPSuccessFactorsConfigurationAdmin(ChannelConfigurationAdmin):
    list_display = ("customer", "name", "active", "base_url", "company_id", "completion_mode", "last_run", "modified")
    list_filter = ("active", "completion_mode")
    raw_id_fields = ("identity_provider",)
    fieldsets = (
        (None, {"fields": ("customer", "active", "identity_provider")}),
        (
            _("SAP SuccessFactors tenant"),
            {"fields": ("base_url", "company_id", "client_id", "client_secret", "sap_user_id", "user_type")},
        ),
        (
            _("What is sent"),
            {
                "fields": (
                    "provider_id",
                    "completion_mode",
                    "events_per_call",
                    "send_in_progress",
                    "credit_hours",
                    "calls_per_minute",
                    "locale",
                )
            },
        ),
        (_("History"), {"fields": ("created", "modified"), "classes": ("collapse",)}),
    )
