"""The admin of directory connections: the mapping screen offers the connector's attribute list."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from enterprise.learner_fields import BUILT_IN
from integrated_channels.integrated_channel.admin.configuration import ChannelConfigurationForm
from integrated_channels.integrated_channel.imports import mapping
from integrated_channels.integrated_channel.imports.forms import ConditionsField, MappingField, column_labels

IMPORT_FIELDS = ("attribute_mapping", "import_under_managers", "import_conditions", "unlink_leavers")


class DirectoryConfigurationForm(ChannelConfigurationForm):
    """Drop-downs of the directory's attributes (the model's ``ATTRIBUTES``) for each learner field and
    for the filters' builder (a connector with an open list, ``offers``, accepts other attributes too)."""

    attribute_mapping = MappingField(
        label=_("Map attributes"),
        help_text=_("Every learner field of the customer: an attribute of the directory, or do not import."),
    )
    import_conditions = ConditionsField(
        label=_("Filter by attribute"),
        help_text=_(
            "Import only the people for whom every filter holds (case-insensitive): = or ≠ a value (= with an "
            "empty value: the attribute is empty), in (values separated by commas), contains."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        instance = self.instance
        fields = instance.learner_fields() if instance.customer_id else BUILT_IN
        field = self.fields.get("attribute_mapping")
        if field is not None:
            mapped = mapping.imported(instance.attribute_mapping).values() if instance.pk else ()
            field.configure(
                fields, [*type(instance).ATTRIBUTES, *(c for c in mapped if c not in type(instance).ATTRIBUTES)]
            )
        conditions = self.fields.get("import_conditions")
        if conditions is not None:
            stored = instance.attribute_mapping if instance.pk else {}
            kept = [c["column"] for c in instance.import_conditions or [] if isinstance(c, dict) and c.get("column")]
            columns = [*type(instance).ATTRIBUTES, *mapping.imported(stored).values(), *kept]
            conditions.configure(columns, column_labels(stored, fields), known=lambda column: instance.offers(column))
