from django.contrib import admin

from integrated_channels.directory.admin import IMPORT_FIELDS, DirectoryConfigurationForm
from integrated_channels.entra_id.models import EntraIDConfiguration
from integrated_channels.integrated_channel.admin import ChannelConfigurationAdmin

CONNECTION_FIELDS = (
    "customer",
    "active",
    "tenant_id",
    "client_id",
    "client_secret",
    "login_url",
    "graph_url",
    *IMPORT_FIELDS,
    "unlink_disabled",
    "use_delta",
)


class EntraIDConfigurationForm(DirectoryConfigurationForm):
    class Meta:
        model = EntraIDConfiguration
        fields = CONNECTION_FIELDS


@admin.register(EntraIDConfiguration)
class EntraIDConfigurationAdmin(ChannelConfigurationAdmin):
    """The connection; its import's schedule, on-demand runs and execution status are the framework's pages."""

    form = EntraIDConfigurationForm
    list_display = ("customer", "name", "tenant_id", "primary_domain", "active", "modified")
    fields = (*CONNECTION_FIELDS, "primary_domain", "created", "modified")
    readonly_fields = ("primary_domain", "created", "modified")
