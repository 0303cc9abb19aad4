from django.contrib import admin

from integrated_channels.directory.admin import IMPORT_FIELDS, DirectoryConfigurationForm
from integrated_channels.integrated_channel.admin import ChannelConfigurationAdmin
from integrated_channels.miniorange.models import MiniOrangeConfiguration

CONNECTION_FIELDS = ("customer", "active", "base_url", "customer_key", "api_key", "batch_size", *IMPORT_FIELDS)


class MiniOrangeConfigurationForm(DirectoryConfigurationForm):
    class Meta:
        model = MiniOrangeConfiguration
        fields = CONNECTION_FIELDS


@admin.register(MiniOrangeConfiguration)
class MiniOrangeConfigurationAdmin(ChannelConfigurationAdmin):
    form = MiniOrangeConfigurationForm
    list_display = ("customer", "name", "customer_key", "active", "modified")
    fields = (*CONNECTION_FIELDS, "created", "modified")
    readonly_fields = ("created", "modified")
