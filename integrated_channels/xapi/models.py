"""xAPI configurations: an LRS to send statements to, and a statement import from the customer's SFTP server."""

from __future__ import annotations

import posixpath

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from enterprise.fields import EncryptedTextField
from integrated_channels.integrated_channel.models import ChannelConfiguration, SFTPConnection
from integrated_channels.xapi import paths

MAX_ENROLLMENTS_PER_CALL = 500


class XAPIConfiguration(ChannelConfiguration):
    """A customer's Learning Record Store: registered and completed statements are POSTed to it."""

    CHANNEL_CODE = "XAPI"
    REMOTE_URL_FIELDS = CREDENTIALS_SENT_TO = ("endpoint",)

    class Version(models.TextChoices):
        V1_0_3 = "1.0.3", "1.0.3"

    endpoint = models.URLField(
        max_length=1024,
        verbose_name=_("LRS statements endpoint"),
        help_text=_("The LRS's statements resource, e.g. https://lrs.example.com/xAPI/statements."),
    )
    key = EncryptedTextField(verbose_name=_("LRS key"), help_text=_("Basic-auth user (key) of the LRS."))
    secret = EncryptedTextField(verbose_name=_("LRS secret"), help_text=_("Basic-auth password (secret) of the LRS."))
    version = models.CharField(
        max_length=8, choices=Version.choices, default=Version.V1_0_3, verbose_name=_("xAPI version")
    )
    activity_iri_base = models.URLField(
        max_length=512,
        verbose_name=_("activity IRI base"),
        help_text=_(
            "Course activities are identified as this base followed by the course id, e.g. "
            "https://lms.example.com/courses/ gives https://lms.example.com/courses/course-v1:Org+X+2026."
        ),
    )
    enrollments_per_call = models.PositiveSmallIntegerField(
        default=50,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_ENROLLMENTS_PER_CALL)],
        help_text=_(
            "Enrollments whose statements go in one POST (one JSON array; one or two statements each). "
            "An array the LRS refuses is sent again one enrollment per call, so only the refused ones fail."
        ),
    )

    class Meta:
        verbose_name = _("xAPI LRS configuration")
        verbose_name_plural = _("xAPI LRS configurations")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(enrollments_per_call__gte=1, enrollments_per_call__lte=MAX_ENROLLMENTS_PER_CALL),
                name="xapi_enrollments_per_call_range",
            )
        ]

    def secrets(self) -> list[str]:
        return [value for value in (self.key, self.secret) if value]


class XAPIImportConfiguration(ChannelConfiguration, SFTPConnection):
    """The seed's "Import xAPI": a CSV of statements dropped on the customer's SFTP server (decision 0071)."""

    CHANNEL_CODE = "XAPI_IMPORT"
    REMOTE_HOST_FIELDS = ("host",)
    CREDENTIALS_SENT_TO = ("host", "port")
    SECRET_USER_FIELDS = ("username",)

    source_file = models.CharField(
        max_length=1024,
        help_text=_(
            "Path of the CSV on the server (relative to the login folder, or absolute), "
            "e.g. import/xapi/statements.csv."
        ),
    )
    activity_iri_base = models.CharField(
        max_length=512,
        blank=True,
        verbose_name=_("activity IRI base"),
        help_text=_(
            "Removed from the start of object.id to give the course id (e.g. https://lms.example.com/courses/). "
            "Empty: object.id is the course id itself."
        ),
    )
    sample_columns = models.JSONField(
        default=list, blank=True, editable=False, help_text=_("Columns of the last sample file uploaded.")
    )

    class Meta:
        verbose_name = _("xAPI statement import")
        verbose_name_plural = _("xAPI statement imports")
        constraints = [
            models.CheckConstraint(condition=models.Q(port__gte=1, port__lte=65535), name="xapi_import_port_range"),
        ]

    def clean(self):
        super().clean()
        errors = self.connection_errors()
        if not posixpath.basename((self.source_file or "").strip()):
            errors["source_file"] = _("Give the path of a file.")
        if errors:
            raise ValidationError(errors)

    def secrets(self) -> list[str]:
        return self.connection_secrets()

    def remote_path(self) -> str:
        return posixpath.normpath(self.source_file.strip())

    def run_errors(self, mappings=None) -> list[str]:
        """Why this import cannot run now ([] when it can)."""
        mapped = {mapping.path for mapping in (mappings if mappings is not None else self.mappings.all())}
        missing = [path for path in paths.MANDATORY if path not in mapped]
        return [f"Map these JSON paths to columns first: {', '.join(missing)}."] if missing else []


class XAPIImportMapping(models.Model):
    """One xAPI JSON path filled from one CSV column, with the column's type."""

    configuration = models.ForeignKey(XAPIImportConfiguration, on_delete=models.CASCADE, related_name="mappings")
    path = models.CharField(max_length=255, verbose_name=_("xAPI JSON path"), help_text=_("e.g. result.score.scaled"))
    column = models.CharField(max_length=255, verbose_name=_("CSV column"))
    value_type = models.CharField(
        max_length=8,
        choices=[(name, name) for name in paths.TYPES],
        default=paths.STRING,
        verbose_name=_("type"),
    )

    class Meta:
        verbose_name = _("mapping")
        verbose_name_plural = _("mapping: xAPI JSON path ← CSV column")
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["configuration", "path"], name="xapi_mapping_one_per_path")]

    def __str__(self):
        return f"{self.path} ← {self.column} ({self.value_type})"

    def clean(self):
        super().clean()
        self.path, self.column = (self.path or "").strip(), (self.column or "").strip()
        error = paths.path_error(self.path, self.value_type)
        if error:
            raise ValidationError({"path": error})


class XAPIImportFilter(models.Model):
    """A condition every imported row must meet (rows that do not are skipped, not imported)."""

    class Operator(models.TextChoices):
        EQUALS = "equals", _("equals")
        NOT_EQUALS = "not_equals", _("does not equal")
        CONTAINS = "contains", _("contains")
        IN = "in", _("is one of (comma-separated)")
        AFTER = "after", _("date after")
        BEFORE = "before", _("date before")

    configuration = models.ForeignKey(XAPIImportConfiguration, on_delete=models.CASCADE, related_name="filters")
    name = models.CharField(max_length=255)
    field = models.CharField(
        max_length=255,
        help_text=_("A CSV column, or a mapped JSON path (then compared as the mapping's type)."),
    )
    operator = models.CharField(max_length=16, choices=Operator.choices, default=Operator.EQUALS)
    value = models.CharField(max_length=1024, blank=True)

    class Meta:
        verbose_name = _("filter")
        verbose_name_plural = _("filters (a row is imported only when it meets all of them)")
        ordering = ["id"]

    def __str__(self):
        return f"{self.name}: {self.field} {self.operator} {self.value}"

    def clean(self):
        super().clean()
        self.field = (self.field or "").strip()
        if self.operator in (self.Operator.AFTER, self.Operator.BEFORE):
            try:
                paths.parse_date(self.value.strip())
            except paths.ValueRefused as exc:
                raise ValidationError({"value": str(exc)}) from None


class XAPIStatement(models.Model):
    """One xAPI statement the platform holds for a customer: imported from a drop, or sent to an LRS.

    The statement store every reader shares (the drops' xAPI activity export, reports): deduplicated
    by statement id per customer (the first one kept, as an LRS keeps the first statement of an id);
    ``raw`` is the statement as imported or sent, the other fields its indexed parts (decision 0232).
    """

    class Source(models.TextChoices):
        IMPORTED = "imported", _("imported")
        SENT = "sent", _("sent to an LRS")

    customer = models.ForeignKey("enterprise.EnterpriseCustomer", on_delete=models.CASCADE, related_name="+")
    statement_id = models.UUIDField(verbose_name=_("statement id"))
    actor = models.CharField(max_length=320, help_text=_("The actor's mbox (mailto:…), account or name."))
    verb = models.CharField(max_length=1024)
    object_id = models.CharField(max_length=2048, verbose_name=_("object id"))
    result = models.JSONField(null=True, blank=True)
    context = models.JSONField(null=True, blank=True)
    timestamp = models.DateTimeField(help_text=_("The statement's timestamp (when it was stored, if it had none)."))
    stored = models.DateTimeField(auto_now_add=True)
    raw = models.JSONField(help_text=_("The whole statement."))
    source = models.CharField(max_length=8, choices=Source.choices)
    run = models.ForeignKey(
        "integrated_channel.Run", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("xAPI statement")
        verbose_name_plural = _("xAPI statements")
        constraints = [
            models.UniqueConstraint(fields=["customer", "statement_id"], name="xapi_statement_unique_id"),
        ]
        indexes = [models.Index(fields=["customer", "timestamp"], name="xapi_statement_time")]

    def __str__(self):
        return f"{self.statement_id} {self.verb}"
