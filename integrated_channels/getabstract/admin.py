from django.contrib import admin

from integrated_channels.getabstract.models import GetAbstractConnection
from integrated_channels.integrated_channel.admin import ChannelConfigurationAdmin


@admin.register(GetAbstractConnection)
class GetAbstractConnectionAdmin(ChannelConfigurationAdmin):
    fields = (
        "customer",
        "name",
        "active",
        "client_id",
        "client_secret",
        "api_url",
        "language",
        *GetAbstractConnection.SSH_FIELDS,
        "directory",
        "sheet",
        "catalogs",
        "custom_tags",
        "learner_access",
        "notify_emails",
        "notify_when",
    )
