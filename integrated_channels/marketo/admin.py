from django.contrib import admin

from integrated_channels.integrated_channel.admin import ChannelConfigurationAdmin
from integrated_channels.marketo.models import MarketoConnection


@admin.register(MarketoConnection)
class MarketoConnectionAdmin(ChannelConfigurationAdmin):
    pass
