from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from integrated_channels.integrated_channel.admin import ChannelConfigurationAdmin
from integrated_channels.integrated_channel.admin.configuration import ChannelConfigurationForm
from integrated_channels.integrated_channel.imports.forms import ExportMappingField
from integrated_channels.marketo.models import MarketoConnection


class MarketoConnectionForm(ChannelConfigurationForm):
    """The lead mapping as the mapping screen (decision 0400): one row per learner field, a drop-down of
    the instance's lead fields as Test connection read them from ``leads/describe.json``, then the fields an
    administrator added to the cp_ custom objects (``customobjects/{name}/describe.json``) as ``cp_….field``."""

    lead_mapping = ExportMappingField(
        label=_("Lead mapping"),
        target_label=_("Marketo field (lead, or cp_object.field)"),
        help_text=_("e-mail must map to email (the lookup field). Run Test connection to refresh the lead fields."),
    )

    class Meta:
        model = MarketoConnection
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("lead_mapping")
        if field is not None:
            field.configure(self.instance.learner_fields(), self.instance.mapping_targets())


@admin.register(MarketoConnection)
class MarketoConnectionAdmin(ChannelConfigurationAdmin):
    form = MarketoConnectionForm
