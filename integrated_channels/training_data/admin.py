"""Admin of Training Data Access connections (runs, schedule and Test connection come from the framework)."""

from django.contrib import admin

from integrated_channels.integrated_channel.admin import ChannelConfigurationAdmin
from integrated_channels.training_data.models import TrainingDataAccessConfiguration


@admin.register(TrainingDataAccessConfiguration)
class TrainingDataAccessConfigurationAdmin(ChannelConfigurationAdmin):
    list_display = ("customer", "name", "active", "interface_type", "modified")
    fields = ("customer", "name", "active", "allowed_origins", "interface_type", "cdn_base_url")
