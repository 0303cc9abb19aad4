from django.contrib import admin

from integrated_channels.integrated_channel.admin import ChannelConfigurationAdmin
from integrated_channels.powerbi.models import PowerBIConnection


@admin.register(PowerBIConnection)
class PowerBIConnectionAdmin(ChannelConfigurationAdmin):
    pass
