from django.contrib import admin

from integrated_channels.harvard_managementor.models import HarvardManageMentorConnection
from integrated_channels.integrated_channel.admin import ChannelConfigurationAdmin


@admin.register(HarvardManageMentorConnection)
class HarvardManageMentorConnectionAdmin(ChannelConfigurationAdmin):
    fields = (
        "customer",
        "name",
        "active",
        *HarvardManageMentorConnection.SSH_FIELDS,
        "directory",
        "catalogs",
        "custom_tags",
        "learner_access",
        "notify_emails",
        "notify_when",
    )
