"""Admin of Adobe Commerce connections (secrets write-only through the framework's form)."""

from django.contrib import admin

from integrated_channels.adobe_commerce.models import AdobeCommerceConfiguration
from integrated_channels.integrated_channel.admin import ChannelConfigurationAdmin


@admin.register(AdobeCommerceConfiguration)
class AdobeCommerceConfigurationAdmin(ChannelConfigurationAdmin):
    list_display = ("customer", "name", "active", "base_url", "currency", "modified")
    fields = (
        "customer",
        "name",
        "active",
        "base_url",
        "store_code",
        "currency",
        "auth",
        "consumer_key",
        "consumer_secret",
        "access_token",
        "access_token_secret",
        "bearer_token",
        "attribute_set_id",
        "category_id",
        "enrollment_mode",
    )
