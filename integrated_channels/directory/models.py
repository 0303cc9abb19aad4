"""The import settings of a directory connection (abstract: each connector's model inherits them)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from enterprise.learner_fields import fields_of
from integrated_channels.integrated_channel.imports import mapping
from integrated_channels.integrated_channel.imports.filters import parse_conditions


class DirectoryImportSettings(models.Model):
    """Mapping (learner field ← directory attribute), conditions, manager filter, leavers."""

    #: The directory attributes offered in the mapping screen (each connector sets its list).
    ATTRIBUTES: tuple[str, ...] = ()
    #: The default mapping of a new connection.
    DEFAULT_MAPPING: dict = {}

    attribute_mapping = models.JSONField(
        default=dict,
        blank=True,
        validators=[mapping.validate_shape],
        help_text=_(
            'Learner attribute → directory attribute, e.g. {"email": "mail", "manager": "manager.mail"}. '
            'null means "do not import from source": the stored value is left intact.'
        ),
    )
    import_conditions = models.JSONField(
        default=list,
        blank=True,
        help_text=_(
            'Filter: import only the people for whom every condition holds, e.g. [{"column": "department", '
            '"op": "eq", "value": "Sales"}]; op is eq, ne, in (value a list) or contains; case-insensitive.'
        ),
    )
    import_under_managers = models.TextField(
        blank=True,
        help_text=_(
            "Filter: import only the people under these managers (e-mails, one per line), directly or through "
            "other managers. Empty: everyone. Needs the manager attribute mapped."
        ),
    )
    unlink_leavers = models.BooleanField(
        default=False,
        help_text=_(
            "Unlink the learners this connection imported who are no longer in the directory (pending ones are "
            "removed). Counted from the first import with this option on."
        ),
    )

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self._state.adding and not self.attribute_mapping and self.DEFAULT_MAPPING:
            self.attribute_mapping = dict(self.DEFAULT_MAPPING)
        super().save(*args, **kwargs)

    def learner_fields(self):
        return fields_of(self.customer if self.customer_id else None)

    def manager_filter(self) -> set[str]:
        return {line.strip().lower() for line in (self.import_under_managers or "").splitlines() if line.strip()}

    def run_errors(self) -> list[str]:
        missing = mapping.missing(self.attribute_mapping, self.learner_fields())
        return [f"Mandatory attributes not mapped: {', '.join(missing)}."] if missing else []

    def import_errors(self) -> dict:
        """The errors of the import settings, by field (for ``clean``)."""
        errors: dict = {}
        value = self.attribute_mapping
        if self.manager_filter():
            if isinstance(value, dict) and not value.get("manager"):
                errors["import_under_managers"] = _("Map the manager attribute to filter by manager.")
            bad = [email for email in self.manager_filter() if "@" not in email]
            if bad:
                errors["import_under_managers"] = _("Not e-mail addresses: %(values)s.") % {"values": ", ".join(bad)}
        fields = self.learner_fields()
        if isinstance(value, dict):
            try:
                mapping.validate(value, fields)
            except ValidationError as exc:
                errors["attribute_mapping"] = exc.messages
            else:
                unknown = [c for c in mapping.imported(value).values() if not self.offers(c)]
                if unknown:
                    errors["attribute_mapping"] = [
                        _("Not an attribute of this directory: %(c)s.") % {"c": ", ".join(unknown)}
                    ]
        try:
            parse_conditions(self.import_conditions)
        except ValidationError as exc:
            errors["import_conditions"] = exc.messages
        if self.active and isinstance(value, dict):
            missing = mapping.missing(value, fields)
            if missing:
                errors["active"] = _("Map the mandatory attributes before activating: %(names)s.") % {
                    "names": ", ".join(missing)
                }
        return errors

    def offers(self, column: str) -> bool:
        """Whether ``column`` is an attribute the connector can read (connectors with open lists override)."""
        return column in self.ATTRIBUTES
