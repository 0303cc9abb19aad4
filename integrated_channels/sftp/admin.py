import csv
import io

from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from integrated_channels.integrated_channel.admin import ChannelConfigurationAdmin
from integrated_channels.integrated_channel.exceptions import RunLocked
from integrated_channels.integrated_channel.models import Run
from integrated_channels.sftp import admin_schedules, mapping  # noqa: F401 (registers the guarded periodic-task admin)
from integrated_channels.sftp.models import SFTPConfiguration
from integrated_channels.sftp.services import ondemand

SAMPLE_ROWS = 1000
RECENT_RUNS = 10


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
            "schedule_start",
            "schedule_every_days",
            "scheduled_import",
            "scheduled_export",
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
    form = SFTPConfigurationForm
    # SFTP takes no part in learner-data / content transmits (decision 0060): its own actions only.
    actions = ["import_users_now", "export_transcripts_now"]
    list_display = ("customer", "host", "username", "active", "modified")
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
        "schedule_start",
        "schedule_every_days",
        "scheduled_import",
        "scheduled_export",
        "zip_exports",
        "execution_status",
        "created",
        "modified",
    )
    readonly_fields = ("expected_attributes", "execution_status", "created", "modified")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        columns = getattr(form, "sample_columns", None)
        if columns:
            messages.info(request, _("Columns of the sample file: %(columns)s.") % {"columns": ", ".join(columns)})

    @admin.display(description=_("execution status"))
    def execution_status(self, obj):
        """The last runs, newest first, each with a bar of its records (green) and failures (red)."""
        if obj is None or obj.pk is None:
            return "-"
        recent = list(Run.objects.filter(configuration_id=obj.pk).order_by("-started_at", "-id")[:RECENT_RUNS])
        if not recent:
            return _("No run yet.")
        scale = max(max(run.selected for run in recent), 1)
        rows = []
        for run in recent:
            report = reverse("admin:integrated_channel_run_error_report", args=[run.pk])
            rows.append(
                (
                    reverse("admin:integrated_channel_run_change", args=[run.pk]),
                    run.pk,
                    run.started_at.strftime("%Y-%m-%d %H:%M"),
                    str(run.duration).split(".")[0] if run.duration else "…",
                    run.get_kind_display(),
                    run.get_trigger_display(),
                    run.get_status_display(),
                    run.sent,
                    run.failed,
                    run.skipped,
                    int(120 * run.sent / scale),
                    int(120 * run.failed / scale),
                    report,
                )
            )
        body = format_html_join(
            "",
            '<tr><td><a href="{}">#{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>'
            "<td>{} / {} / {}</td>"
            '<td><span class="sftp-ok" style="display:inline-block;height:8px;width:{}px;background:#3a3"></span>'
            '<span class="sftp-failed" style="display:inline-block;height:8px;width:{}px;background:#c33"></span></td>'
            '<td><a href="{}">CSV</a></td></tr>',
            rows,
        )
        return format_html(
            "<table><thead><tr><th>run</th><th>started</th><th>duration</th><th>operation</th><th>trigger</th>"
            "<th>status</th><th>done / failed / skipped</th><th>records and failures</th><th>error report</th>"
            "</tr></thead><tbody>{}</tbody></table>",
            body,
        )

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
                run = ondemand.run_now(
                    configuration=configuration, operation=operation, trigger=Run.Trigger.ADMIN, api_user=request.user
                )
            except RunLocked as exc:
                messages.warning(request, f"{configuration.customer}: not started: {exc}")
                continue
            level = messages.ERROR if run.status == Run.Status.FAILED else messages.SUCCESS
            status = run.get_status_display().lower()
            text = f"{configuration.customer}: run #{run.pk} {status}: {run.sent} done, {run.failed} failed"
            if run.error_message:
                text += f" ({run.error_message})"
            messages.add_message(request, level, text)

    @admin.action(description=_("Import users now (SFTP)"), permissions=["change"])
    def import_users_now(self, request, queryset):
        self._run(request, queryset, ondemand.IMPORT)

    @admin.action(description=_("Export transcripts of the last 30 days now (SFTP)"), permissions=["change"])
    def export_transcripts_now(self, request, queryset):
        self._run(request, queryset, ondemand.EXPORT)
