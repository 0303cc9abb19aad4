from django.contrib import admin

from integrated_channels.integrated_channel.admin import ChannelConfigurationAdmin
from integrated_channels.salesforce_records.models import SalesforceRecordsConnection


@admin.register(SalesforceRecordsConnection)
class SalesforceRecordsConnectionAdmin(ChannelConfigurationAdmin):
    pass
