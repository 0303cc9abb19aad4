import io

from django import forms
from django.contrib import admin, messages
from django.http import Http404, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from enterprise.csv_safety import CsvLineError, header_and_rows
from enterprise.learner_fields import BUILT_IN
from integrated_channels.integrated_channel.admin import ChannelConfigurationAdmin
from integrated_channels.integrated_channel.admin.configuration import ChannelConfigurationForm
from integrated_channels.integrated_channel.admin.runs import changeable_object, outcome_level, queued_message
from integrated_channels.integrated_channel.exceptions import RunLocked
from integrated_channels.integrated_channel.imports.forms import (
    ConditionsField,
    MappingField,
    column_labels,
    sample_columns,
)
from integrated_channels.integrated_channel.models import Run
from integrated_channels.integrated_channel.services import run_wording
from integrated_channels.sftp import keys, mapping
from integrated_channels.sftp.models import SFTPConfiguration
from integrated_channels.sftp.services import ondemand

SAMPLE_ROWS = 1000


class SFTPConfigurationForm(ChannelConfigurationForm):
    """The connection form: the mapping screen (drop-downs) and an optional sample file (decision 0069); a
    changed server asks the secrets again (decision 0152)."""

    attribute_mapping = MappingField(
        label=_("Map attributes"),
        help_text=_("Every learner field of the customer: a column of the files, or do not import from source."),
    )
    import_conditions = ConditionsField(
        label=_("Filter by column"),
        help_text=_(
            "Import only the rows where every filter holds (case-insensitive): = or ≠ a value (= with an empty "
            "value: the column is empty), in (values separated by commas), contains. A row left without a "
            "column and a value is ignored."
        ),
    )
    sample_file = forms.FileField(
        required=False,
        help_text=_(
            "A sample of the import files (CSV with a header): its columns fill the drop-downs, and the "
            "mapping is checked against it (mapped columns present, e-mail fields holding e-mails)."
        ),
    )

    class Meta:
        model = SFTPConfiguration
        fields = (
            "customer",
            "active",
            *SFTPConfiguration.SERVER_FIELDS,
            "base_path",
            "attribute_mapping",
            "import_under_managers",
            "import_conditions",
            "unlink_leavers",
            "zip_exports",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.learner_fields = self.instance.learner_fields() if self.instance.pk else BUILT_IN
        field = self.fields.get("attribute_mapping")
        if field is not None:
            mapped = mapping.imported(self.instance.attribute_mapping).values() if self.instance.pk else ()
            field.configure(self.learner_fields, [*(self.instance.source_columns or []), *mapped])
        conditions = self.fields.get("import_conditions")
        if conditions is not None:
            stored = self.instance.attribute_mapping if self.instance.pk else {}
            mapped = mapping.imported(stored).values() if self.instance.pk else ()
            kept = [
                c["column"] for c in self.instance.import_conditions or [] if isinstance(c, dict) and c.get("column")
            ]
            columns = [*(self.instance.source_columns or []), *mapped, *kept]
            sample = self.files.get("sample_file") if self.is_bound else None
            known = None
            if sample is not None:  # a sample posted with the form: the filters must read its columns
                try:
                    header = set(sample_columns(sample))
                except forms.ValidationError:
                    header = set()  # the sample file field reports it
                known = header.__contains__ if header else None
            conditions.configure(columns, column_labels(stored, self.learner_fields), known=known)

    def clean(self):
        cleaned = super().clean()
        sample = cleaned.get("sample_file")
        value = cleaned.get("attribute_mapping")
        self.sample_columns: list[str] = []
        if sample:
            try:
                self.sample_columns = sample_columns(sample)
            except forms.ValidationError as exc:
                self.add_error("sample_file", exc)
                return cleaned
        if not isinstance(value, dict):
            return cleaned
        offered = self.fields["attribute_mapping"].offered(self.sample_columns)
        unknown = [column for column in mapping.imported(value).values() if offered and column not in offered]
        if unknown and not sample:
            self.add_error("attribute_mapping", _("Not a column of the source: %(c)s.") % {"c": ", ".join(unknown)})
        if sample and self.sample_columns:
            text = sample.read().decode("utf-8-sig", errors="replace")
            try:
                _header, records = header_and_rows(io.StringIO(text, newline=""), source=sample.name)
                rows = [row for _index, (_line, row) in zip(range(SAMPLE_ROWS), records, strict=False)]
            except CsvLineError as exc:
                self.add_error("sample_file", exc.message)
                return cleaned
            problems = mapping.check_columns(value, self.sample_columns, source=sample.name)
            problems += mapping.check_email_columns(value, rows, source=sample.name, fields=self.learner_fields)
            for problem in problems:
                self.add_error("attribute_mapping", problem)
        return cleaned

    def save(self, commit=True):
        if getattr(self, "sample_columns", None):
            self.instance.source_columns = self.sample_columns
        return super().save(commit=commit)


@admin.register(SFTPConfiguration)
class SFTPConfigurationAdmin(ChannelConfigurationAdmin):
    """The connection form; its operations' schedules, on-demand runs and execution status are the
    framework's operation pages (linked from the change page and the customer's Connectors page)."""

    form = SFTPConfigurationForm
    change_form_template = "admin/sftp/sftpconfiguration/change_form.html"
    # SFTP takes no part in learner-data / content transmits (decision 0060): its own actions only.
    actions = ["import_users_now", "export_transcripts_now", "export_skills_now", "export_xapi_now"]
    list_display = ("customer", "name", "host", "username", "active", "last_run", "modified")
    fields = (
        "customer",
        "active",
        *SFTPConfiguration.SERVER_FIELDS,
        "base_path",
        "attribute_mapping",
        "sample_file",
        "import_under_managers",
        "import_conditions",
        "unlink_leavers",
        "zip_exports",
        "created",
        "modified",
    )
    readonly_fields = ("created", "modified")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra = dict(extra_context or {})
        obj = self.get_object(request, object_id)
        if obj is not None:
            drop = {"export_url": keys.export_folder_url(obj)}
            if self.has_change_permission(request, obj) and obj.protocol == SFTPConfiguration.Protocol.SFTP:
                drop["generate_url"] = reverse("admin:sftp_sftpconfiguration_generate_ssh_key", args=[obj.pk])
            if obj.public_key:
                drop["public_key"] = obj.public_key
                drop["public_key_url"] = reverse("admin:sftp_sftpconfiguration_public_key", args=[obj.pk])
            extra["drop"] = drop
        return super().change_view(request, object_id, form_url, extra)

    def get_urls(self):
        return [
            path(
                "<path:object_id>/generate-ssh-key/",
                self.admin_site.admin_view(self.generate_ssh_key_view),
                name="sftp_sftpconfiguration_generate_ssh_key",
            ),
            path(
                "<path:object_id>/public-key/",
                self.admin_site.admin_view(self.public_key_view),
                name="sftp_sftpconfiguration_public_key",
            ),
            *super().get_urls(),
        ]

    def generate_ssh_key_view(self, request, object_id):
        """POST only (CSRF-checked): a new Ed25519 key pair for an SFTP connection (decision 0233)."""
        configuration = changeable_object(self, request, object_id)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if configuration.protocol != SFTPConfiguration.Protocol.SFTP:
            messages.error(request, _("An SSH key is for SFTP connections only."))
        else:
            keys.generate_ssh_key(configuration)
            messages.success(
                request,
                _(
                    "A new SSH key was generated: download the public key and add it to the server's "
                    "authorized_keys for %(user)s, then run Test connection."
                )
                % {"user": configuration.username},
            )
        return HttpResponseRedirect(reverse("admin:sftp_sftpconfiguration_change", args=[configuration.pk]))

    def public_key_view(self, request, object_id):
        """The public key as a file to download (the private key never leaves the database)."""
        configuration = changeable_object(self, request, object_id)
        if not configuration.public_key:
            raise Http404("No key was generated for this connection.")
        response = HttpResponse(configuration.public_key + "\n", content_type="text/plain; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{keys.public_key_filename(configuration)}"'
        return response

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        columns = getattr(form, "sample_columns", None)
        if columns:
            messages.info(request, _("Columns of the sample file: %(columns)s.") % {"columns": ", ".join(columns)})

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
        text = f"{configuration}: {run_wording.outcome(run, done='done')}"
        messages.add_message(request, outcome_level(run.status), text)

    @admin.action(description=_("Import users now (SFTP)"), permissions=["change"])
    def import_users_now(self, request, queryset):
        self._run(request, queryset, ondemand.IMPORT)

    @admin.action(description=_("Export transcripts of the last 30 days now (SFTP)"), permissions=["change"])
    def export_transcripts_now(self, request, queryset):
        self._run(request, queryset, ondemand.EXPORT)

    @admin.action(description=_("Export skill achievements of the last 30 days now (SFTP)"), permissions=["change"])
    def export_skills_now(self, request, queryset):
        self._run(request, queryset, ondemand.SKILLS)

    @admin.action(description=_("Export xAPI activity of the last 30 days now"), permissions=["change"])
    def export_xapi_now(self, request, queryset):
        self._run(request, queryset, ondemand.XAPI)
