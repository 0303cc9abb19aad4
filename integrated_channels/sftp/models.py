"""A customer's SFTP connection: server, credentials, verified host key, paths, attribute mapping."""

from __future__ import annotations

import posixpath

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from enterprise.learner_fields import fields_of
from integrated_channels.integrated_channel.imports import mapping
from integrated_channels.integrated_channel.imports.filters import parse_conditions
from integrated_channels.integrated_channel.models import ChannelConfiguration, SFTPConnection
from integrated_channels.sftp.layout import EXPORT_DIR, USER_IMPORT_DIR  # noqa: F401 - the folder layout


def default_mapping() -> dict:
    return {"email": "email"}


class SFTPConfiguration(ChannelConfiguration, SFTPConnection):
    """The seed's FTP / Box / Custom FTP connection, as one SFTP connector (decision 0060)."""

    CHANNEL_CODE = "SFTP"
    REMOTE_HOST_FIELDS = ("host",)
    CREDENTIALS_SENT_TO = ("host", "port")
    SECRET_USER_FIELDS = ("username",)

    base_path = models.CharField(
        max_length=1024,
        default=".",
        help_text=_("Remote folder holding import/ and export/ (relative to the login folder, or absolute)."),
    )
    attribute_mapping = models.JSONField(
        default=default_mapping,
        blank=True,
        validators=[mapping.validate_shape],
        help_text=_(
            'Learner attribute → source column, e.g. {"email": "Email", "manager": "Manager email", '
            '"department": null}. null means "do not import from source": the stored value is left intact.'
        ),
    )
    source_columns = models.JSONField(
        default=list,
        blank=True,
        editable=False,
        help_text=_("The columns of the last sample file (or Test connection): the mapping screen's drop-downs."),
    )
    import_conditions = models.JSONField(
        default=list,
        blank=True,
        help_text=_(
            'Filter: import only the rows where every condition holds, e.g. [{"column": "Status", "op": "eq", '
            '"value": "Active"}]; op is eq, ne, in (value a list) or contains; case-insensitive.'
        ),
    )
    unlink_leavers = models.BooleanField(
        default=False,
        help_text=_(
            "Unlink the learners this connection imported who are no longer in the files (pending ones are "
            "removed). Counted from the first import with this option on."
        ),
    )
    zip_exports = models.BooleanField(default=False, help_text=_("Upload exports as .zip archives."))
    import_under_managers = models.TextField(
        blank=True,
        help_text=_(
            "Filter: import only the people under these managers (e-mails, one per line), directly or through "
            "other managers, as the files' manager column says. Empty: everyone. Needs the manager attribute mapped."
        ),
    )

    class Meta:
        verbose_name = _("SFTP connection")
        verbose_name_plural = _("SFTP connections")
        constraints = [
            models.CheckConstraint(condition=models.Q(port__gte=1, port__lte=65535), name="sftp_port_range"),
        ]

    def clean(self):
        super().clean()
        errors = self.connection_errors()
        if self.manager_filter() and isinstance(self.attribute_mapping, dict):
            if not (self.attribute_mapping or {}).get("manager"):
                errors["import_under_managers"] = _("Map the manager attribute to filter by manager.")
            bad = [email for email in self.manager_filter() if "@" not in email]
            if bad:
                errors["import_under_managers"] = _("Not e-mail addresses: %(values)s.") % {"values": ", ".join(bad)}
        fields = self.learner_fields()
        if isinstance(self.attribute_mapping, dict) and "attribute_mapping" not in errors:
            try:
                mapping.validate(self.attribute_mapping, fields)
            except ValidationError as exc:
                errors["attribute_mapping"] = exc.messages
        try:
            parse_conditions(self.import_conditions)
        except ValidationError as exc:
            errors["import_conditions"] = exc.messages
        if self.active and isinstance(self.attribute_mapping, dict):
            missing = mapping.missing(self.attribute_mapping, fields)
            if missing:
                errors["active"] = _("Map the mandatory attributes before activating: %(names)s.") % {
                    "names": ", ".join(missing)
                }
        if errors:
            raise ValidationError(errors)

    def secrets(self) -> list[str]:
        return self.connection_secrets()

    def learner_fields(self):
        """The customer's learner fields (built-in ones only before a customer is chosen)."""
        return fields_of(self.customer if self.customer_id else None)

    def run_errors(self) -> list[str]:
        """Why this connection cannot run now ([] when it can)."""
        missing = mapping.missing(self.attribute_mapping, self.learner_fields())
        return [f"Mandatory attributes not mapped: {', '.join(missing)}."] if missing else []

    def manager_filter(self) -> set[str]:
        """The normalised e-mails of the managers whose people are imported (empty: no filter)."""
        return {line.strip().lower() for line in (self.import_under_managers or "").splitlines() if line.strip()}

    def remote_path(self, *parts: str) -> str:
        return posixpath.normpath(posixpath.join(self.base_path or ".", *parts))
