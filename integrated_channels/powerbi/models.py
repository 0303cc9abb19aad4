"""A Power BI connection (a Microsoft Entra app registration and a workspace) and its push state."""

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from enterprise.fields import EncryptedTextField
from integrated_channels.integrated_channel.exporters.reports import TranscriptStatus
from integrated_channels.integrated_channel.models import ChannelConfiguration

guid = RegexValidator(
    r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$", _("A GUID, e.g. 0f1e…-…")
)


class PowerBIConnection(ChannelConfiguration):
    CHANNEL_CODE = "POWERBI"
    REMOTE_URL_FIELDS = ("authority_url", "api_url")
    CREDENTIALS_SENT_TO = ("authority_url",)
    SECRET_USER_FIELDS = ("client_id",)

    tenant_id = models.CharField(
        max_length=64,
        verbose_name=_("tenant"),
        help_text=_("The Microsoft Entra tenant: its id (a GUID) or a verified domain, e.g. contoso.onmicrosoft.com."),
    )
    client_id = models.CharField(
        max_length=36, validators=[guid], verbose_name=_("application (client) id"), help_text=_("A GUID.")
    )
    client_secret = EncryptedTextField(verbose_name=_("client secret"))
    workspace_id = models.CharField(
        max_length=36,
        blank=True,
        validators=[guid],
        verbose_name=_("workspace id"),
        help_text=_(
            "The workspace (group) the semantic model is created in; the app's service principal must be a "
            "member (Contributor). Empty: the service principal's own workspace (My workspace)."
        ),
    )
    dataset_name = models.CharField(
        max_length=100,
        default="Learner reports",
        verbose_name=_("semantic model name"),
        help_text=_("The push semantic model the connector creates (one table per report), found again by name."),
    )
    transcript_status = models.CharField(
        max_length=16,
        choices=TranscriptStatus.choices,
        default=TranscriptStatus.ALL,
        verbose_name=_("transcript status filter"),
        help_text=_("Which learner transcripts are exported (the seed's status filter)."),
    )
    authority_url = models.URLField(
        default="https://login.microsoftonline.com",
        verbose_name=_("identity platform URL"),
        help_text=_(
            "Microsoft identity platform (commercial cloud); the token is asked at {this}/{tenant}/oauth2/v2.0/token."
        ),
    )
    api_url = models.URLField(default="https://api.powerbi.com", verbose_name=_("Power BI REST API URL"))

    class Meta:
        verbose_name = _("Power BI connection")
        verbose_name_plural = _("Power BI connections")

    def secrets(self) -> list[str]:
        return [self.client_secret] if self.client_secret else []


class PushState(models.Model):
    """Where one report's table of one connection stands (decision 0271).

    ``pushed_until``: every row of the
    report up to this moment is in the table (the next run pushes what came after). While a run
    pushes the window ``(pushed_until, window_end]``, ``resume_after`` is the key of the last row
    Power BI accepted, in the window's order: a run interrupted half-way is resumed by the next one
    after that key, over the same window, so no row is sent twice.
    """

    connection = models.ForeignKey(PowerBIConnection, on_delete=models.CASCADE, related_name="push_states")
    table = models.CharField(max_length=100)
    pushed_until = models.DateTimeField(null=True, blank=True)
    window_start = models.DateTimeField(null=True, blank=True)
    window_end = models.DateTimeField(null=True, blank=True)
    resume_after = models.CharField(max_length=255, blank=True)
    rows_in_table = models.PositiveBigIntegerField(default=0)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["connection", "table"], name="powerbi_push_state_unique")]

    def __str__(self):
        return f"{self.connection_id} {self.table}"


class XAPIColumn(models.Model):
    """One column of a connection's xAPI activity table: a JSON path into the stored statement, typed (decision 0350).

    A statement lacking the path (or holding a value that is not of the column's type) gets "N/A" in a
    text column; a typed column cannot hold that string in Power BI, so it gets an empty value and the
    row's ``NotAvailable`` column names it.
    """

    class Type(models.TextChoices):
        TEXT = "text", _("text")
        NUMBER = "number", _("number")
        DATETIME = "datetime", _("date and time")
        BOOLEAN = "boolean", _("boolean")

    connection = models.ForeignKey(PowerBIConnection, on_delete=models.CASCADE, related_name="xapi_columns")
    position = models.PositiveSmallIntegerField(default=0, help_text=_("The column's place in the table."))
    name = models.CharField(
        max_length=100,
        verbose_name=_("column name"),
        help_text=_("The Power BI column, e.g. Score. Not StatementId, Stored, NotAvailable or RecordedAt."),
    )
    path = models.CharField(
        max_length=255,
        verbose_name=_("xAPI JSON path"),
        help_text=_("A dotted path into the statement, e.g. result.score.scaled or object.definition.name.en-US."),
    )
    value_type = models.CharField(max_length=8, choices=Type.choices, default=Type.TEXT, verbose_name=_("type"))

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("xAPI activity column")
        verbose_name_plural = _("xAPI activity columns")
        constraints = [models.UniqueConstraint(fields=["connection", "name"], name="powerbi_xapi_column_unique_name")]

    def __str__(self):
        return f"{self.name} ({self.path})"

    def clean(self):
        from integrated_channels.powerbi import xapi_report

        errors = {}
        name_problem = xapi_report.name_error(self.name or "")
        if name_problem:
            errors["name"] = name_problem
        path_problem = xapi_report.path_error(self.path or "", self.value_type)
        if path_problem:
            errors["path"] = path_problem
        if errors:
            raise ValidationError(errors)
