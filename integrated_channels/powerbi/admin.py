from django.contrib import admin

from integrated_channels.integrated_channel.admin import ChannelConfigurationAdmin
from integrated_channels.powerbi.models import PowerBIConnection, XAPIColumn


class XAPIColumnInline(admin.TabularInline):
    """The xAPI activity report's columns; each path is checked on save (``XAPIColumn.clean``)."""

    model = XAPIColumn
    extra = 0
    fields = ("position", "name", "path", "value_type")


@admin.register(PowerBIConnection)
class PowerBIConnectionAdmin(ChannelConfigurationAdmin):
    inlines = (XAPIColumnInline,)
