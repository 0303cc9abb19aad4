from django.contrib import admin

from integrated_channels.integrated_channel.admin import ChannelConfigurationAdmin
from integrated_channels.linkedin_learning.models import LinkedInLearningConnection, LyndaConnection

COMMON = ("customer", "name", "active", "client_id", "client_secret", "api_url", "token_url")
CONTENT = ("catalogs", "custom_tags", "learner_access", "progress_days", "notify_emails", "notify_when")


@admin.register(LinkedInLearningConnection)
class LinkedInLearningConnectionAdmin(ChannelConfigurationAdmin):
    fields = (*COMMON, "languages", "libraries", *CONTENT)


@admin.register(LyndaConnection)
class LyndaConnectionAdmin(ChannelConfigurationAdmin):
    fields = (*COMMON, "languages", *CONTENT)

    def get_queryset(self, request):
        return super().get_queryset(request).filter(channel=LyndaConnection.CHANNEL_CODE)
