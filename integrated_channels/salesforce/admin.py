from django.contrib import admin

from integrated_channels.directory.admin import IMPORT_FIELDS, DirectoryConfigurationForm
from integrated_channels.integrated_channel.admin import ChannelConfigurationAdmin
from integrated_channels.salesforce.models import SalesforceConfiguration

CONNECTION_FIELDS = (
    "customer",
    "active",
    "my_domain_url",
    "auth_flow",
    "client_id",
    "client_secret",
    "jwt_username",
    "jwt_private_key",
    "jwt_audience",
    "api_version",
    "bulk_threshold",
    "records",
    "active_users_only",
    "contacts_column",
    "contacts_values",
    *IMPORT_FIELDS,
)


class SalesforceConfigurationForm(DirectoryConfigurationForm):
    class Meta:
        model = SalesforceConfiguration
        fields = CONNECTION_FIELDS


@admin.register(SalesforceConfiguration)
class SalesforceConfigurationAdmin(ChannelConfigurationAdmin):
    form = SalesforceConfigurationForm
    list_display = ("customer", "name", "my_domain_url", "records", "active", "modified")
    fields = (*CONNECTION_FIELDS, "created", "modified")
    readonly_fields = ("created", "modified")
