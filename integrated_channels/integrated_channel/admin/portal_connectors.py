"""Platform staff choose the connectors each customer's administrators may use in the portal."""

from django import forms
from django.contrib import admin

from integrated_channels.integrated_channel.models import PortalConnector
from integrated_channels.integrated_channel.registry import registry


class PortalConnectorForm(forms.ModelForm):
    channel = forms.ChoiceField(label=PortalConnector._meta.get_field("channel").verbose_name.capitalize())

    class Meta:
        model = PortalConnector
        fields = ["customer", "channel"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = [(c.code, c.name) for c in registry.connectors()]


@admin.register(PortalConnector)
class PortalConnectorAdmin(admin.ModelAdmin):
    form = PortalConnectorForm
    list_display = ["customer", "channel", "created"]
    list_filter = ["channel"]
    list_select_related = ["customer"]
    search_fields = ["customer__name", "customer__slug", "channel"]
    autocomplete_fields = ["customer"]
