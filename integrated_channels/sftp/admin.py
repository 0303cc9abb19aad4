import csv
import io

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from integrated_channels.integrated_channel.admin import ChannelConfigurationAdmin
from integrated_channels.integrated_channel.admin.runs import queued_message
from integrated_channels.integrated_channel.exceptions import RunLocked
from integrated_channels.integrated_channel.models import Run
from integrated_channels.sftp import mapping
from integrated_channels.sftp.models import SFTPConfiguration
from integrated_channels.sftp.services import ondemand

SAMPLE_ROWS = 1000


class SFTPConfigurationForm(forms.ModelForm):
    """The connection form, with an optional sample file checked against the mapping (decision 0069)."""

    sample_file = forms.FileField(
        required=False,
        help_text=_(
            "Optional: a sample of the import files (CSV with a header). Its columns are listed and the "
            "mapping is checked against it: mapped columns present, e-mail attributes holding e-mails."
        ),
    )

    class Meta:
        model = SFTPConfiguration
        fields = (
            "customer",
            "active",
            "host",
            "port",
            "username",
            "password",
            "private_key",
            "host_key_fingerprint",
            "base_path",
            "attribute_mapping",
            "import_under_managers",
            "zip_exports",
        )

    def clean(self):
        cleaned = super().clean()
        sample = cleaned.get("sample_file")
        value = cleaned.get("attribute_mapping")
        self.sample_columns: list[str] = []
        if not sample or not isinstance(value, dict):
            return cleaned
        try:
            text = sample.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            self.add_error("sample_file", _("The sample is not UTF-8 text."))
            return cleaned
        reader = csv.DictReader(io.StringIO(text, newline=""))
        self.sample_columns = [name.strip() for name in reader.fieldnames or []]
        reader.fieldnames = self.sample_columns
        rows = [row for _index, row in zip(range(SAMPLE_ROWS), reader, strict=False)]
        problems = mapping.check_columns(value, self.sample_columns, source=sample.name)
        problems += mapping.check_email_columns(value, rows, source=sample.name)
        for problem in problems:
            self.add_error("attribute_mapping", problem)
        return cleaned


@admin.register(SFTPConfiguration)
class SFTPConfigurationAdmin(ChannelConfigurationAdmin):
    """The connection form; its operations' schedules, on-demand runs and execution status are the
    framework's operation pages (linked from the change page and the customer's Connectors page)."""

    form = SFTPConfigurationForm
    # SFTP takes no part in learner-data / content transmits (decision 0060): its own actions only.
    actions = ["import_users_now", "export_transcripts_now", "export_skills_now"]
    list_display = ("customer", "name", "host", "username", "active", "last_run", "modified")
    fields = (
        "customer",
        "active",
        "host",
        "port",
        "username",
        "password",
        "private_key",
        "host_key_fingerprint",
        "base_path",
        "expected_attributes",
        "attribute_mapping",
        "sample_file",
        "import_under_managers",
        "zip_exports",
        "created",
        "modified",
    )
    readonly_fields = ("expected_attributes", "created", "modified")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        columns = getattr(form, "sample_columns", None)
        if columns:
            messages.info(request, _("Columns of the sample file: %(columns)s.") % {"columns": ", ".join(columns)})

    @admin.display(description=_("expected attributes"))
    def expected_attributes(self, obj):
        return format_html_join(
            ", ",
            "{}{}",
            ((attribute.name, " (mandatory)" if attribute.mandatory else "") for attribute in mapping.ATTRIBUTES),
        )

    def _run(self, request, queryset, operation):
        for configuration in queryset.select_related("customer"):
            try:
                run, queued = ondemand.queue(
                    configuration=configuration, operation=operation, trigger=Run.Trigger.ADMIN, api_user=request.user
                )
            except RunLocked as exc:
                messages.warning(request, f"{configuration}: not started: {exc}")
                continue
            self._report(request, configuration, run, queued=queued)

    def _report(self, request, configuration, run, queued=False):
        if queued:
            messages.success(request, queued_message(f"{configuration}: ", run))
            return
        level = messages.ERROR if run.status == Run.Status.FAILED else messages.SUCCESS
        status = run.get_status_display().lower()
        text = f"{configuration}: run #{run.pk} {status}: {run.sent} done, {run.failed} failed"
        if run.error_message:
            text += f" ({run.error_message})"
        messages.add_message(request, level, text)

    @admin.action(description=_("Import users now (SFTP)"), permissions=["change"])
    def import_users_now(self, request, queryset):
        self._run(request, queryset, ondemand.IMPORT)

    @admin.action(description=_("Export transcripts of the last 30 days now (SFTP)"), permissions=["change"])
    def export_transcripts_now(self, request, queryset):
        self._run(request, queryset, ondemand.EXPORT)

    @admin.action(description=_("Export skill achievements of the last 30 days now (SFTP)"), permissions=["change"])
    def export_skills_now(self, request, queryset):
        self._run(request, queryset, ondemand.SKILLS)
