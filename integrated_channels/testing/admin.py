from django.contrib import admin

from integrated_channels.integrated_channel.admin import ChannelConfigurationAdmin
from integrated_channels.testing.models import TestChannelConfiguration


@admin.register(TestChannelConfiguration)
class TestChannelConfigurationAdmin(ChannelConfigurationAdmin):
    __test__ = False  # not a pytest test class
    fields = (
        "customer",
        "active",
        "send_in_progress",
        "records_per_call",
        "refuse_course_ids",
        "api_key",
        "created",
        "modified",
    )
