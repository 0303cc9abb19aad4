from django.contrib import admin

from integrated_channels.integrated_channel.admin import ChannelConfigurationAdmin
from tests.testconnector.models import EchoConnection


@admin.register(EchoConnection)
class EchoConnectionAdmin(ChannelConfigurationAdmin):
    fields = ("customer", "active", "endpoint", "token")
