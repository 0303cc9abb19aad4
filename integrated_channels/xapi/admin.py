"""Admin of the xAPI LRS channel and of the statement imports (mapping page: JSON paths ← CSV columns)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from enterprise.csv_safety import CsvLineError, header_and_rows
from integrated_channels.integrated_channel.admin import ChannelConfigurationAdmin, connectors
from integrated_channels.integrated_channel.admin.configuration import ChannelConfigurationForm
from integrated_channels.integrated_channel.exceptions import RunLocked
from integrated_channels.integrated_channel.models import Run
from integrated_channels.xapi import paths
from integrated_channels.xapi.models import (
    XAPIConfiguration,
    XAPIImportConfiguration,
    XAPIImportFilter,
    XAPIImportMapping,
    XAPIStatement,
)
from integrated_channels.xapi.services import ondemand


@admin.register(XAPIConfiguration)
class XAPIConfigurationAdmin(ChannelConfigurationAdmin):
    list_display = ("customer", "name", "active", "endpoint", "last_run", "modified")
    actions = ["send_learner_data_now"]
    fieldsets = (
        (None, {"fields": ("customer", "active")}),
        (_("Learning Record Store"), {"fields": ("endpoint", "key", "secret", "version")}),
        (_("What is sent"), {"fields": ("activity_iri_base", "enrollments_per_call")}),
        (_("History"), {"fields": ("created", "modified"), "classes": ("collapse",)}),
    )


class MappingForm(forms.ModelForm):
    class Meta:
        model = XAPIImportMapping
        fields = ("path", "column", "value_type")
        widgets = {"path": forms.TextInput(attrs={"list": "xapi-known-paths", "size": 32})}

    def __init__(self, *args, columns=(), **kwargs):
        super().__init__(*args, **kwargs)
        if columns:
            current = self.initial.get("column") or getattr(self.instance, "column", "")
            choices = [("", "---------")] + [(name, name) for name in columns]
            if current and current not in columns:
                choices.append((current, f"{current} (not in the sample)"))
            self.fields["column"] = forms.ChoiceField(choices=choices, label=_("CSV column"))


class MappingInline(admin.TabularInline):
    model = XAPIImportMapping
    form = MappingForm
    extra = 1
    verbose_name_plural = _("Mapping: xAPI JSON path (left) ← CSV column (right)")

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        columns = tuple(obj.sample_columns) if obj is not None and obj.sample_columns else ()
        formset.form = type("SampleMappingForm", (MappingForm,), {})
        formset.form.__init__ = _with_columns(MappingForm.__init__, columns)
        if obj is None:
            formset.extra = len(paths.MANDATORY)
        return formset


def _with_columns(init, columns):
    def __init__(self, *args, **kwargs):
        init(self, *args, columns=columns, **kwargs)

    return __init__


class FilterInline(admin.TabularInline):
    model = XAPIImportFilter
    extra = 0


class XAPIImportForm(ChannelConfigurationForm):
    sample_file = forms.FileField(
        required=False,
        help_text=_("A sample of the CSV (with its header): its columns become the choices of the mapping."),
    )

    class Meta:
        model = XAPIImportConfiguration
        fields = (
            "customer",
            "name",
            "active",
            "source_file",
            "activity_iri_base",
            *XAPIImportConfiguration.SERVER_FIELDS,
        )

    def clean_sample_file(self):
        sample = self.cleaned_data.get("sample_file")
        self.sample_columns = None
        if not sample:
            return sample
        try:
            first = sample.read(64 * 1024).decode("utf-8-sig").splitlines()[:1]
        except UnicodeDecodeError:
            raise forms.ValidationError(_("The sample is not UTF-8 text.")) from None
        try:
            header, _rows = header_and_rows(first, source=sample.name)
        except CsvLineError as exc:
            raise forms.ValidationError(exc.message) from None
        columns = [name for name in header if name]
        if not columns:
            raise forms.ValidationError(_("The sample has no header line."))
        self.sample_columns = columns
        return sample


@admin.register(XAPIImportConfiguration)
class XAPIImportConfigurationAdmin(ChannelConfigurationAdmin):
    """The import's form and mapping; its schedule, on-demand runs and execution status are the
    framework's operation page (linked from the change page and the customer's Connectors page)."""

    form = XAPIImportForm
    inlines = [MappingInline, FilterInline]
    actions = ["import_now"]
    list_display = ("name", "customer", "active", "source_file", "host", "last_run", "modified")
    readonly_fields = ("expected_paths", "sample_columns", "created", "modified")
    fieldsets = (
        (None, {"fields": ("customer", "name", "active", "source_file", "activity_iri_base")}),
        (
            _("SFTP server"),
            {"fields": XAPIImportConfiguration.SERVER_FIELDS},
        ),
        (_("Mapping"), {"fields": ("expected_paths", "sample_file", "sample_columns")}),
        (_("History"), {"fields": ("created", "modified"), "classes": ("collapse",)}),
    )

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if isinstance(inline, MappingInline) and obj.pk is None and request.method == "GET":
            kwargs["initial"] = [{"path": path, "value_type": paths.STRING} for path in paths.MANDATORY]
        return kwargs

    def save_model(self, request, obj, form, change):
        if getattr(form, "sample_columns", None):
            obj.sample_columns = form.sample_columns
            messages.info(
                request,
                _("Columns of the sample file: %(columns)s. Choose them in the mapping below.")
                % {"columns": ", ".join(form.sample_columns)},
            )
        super().save_model(request, obj, form, change)

    @admin.display(description=_("expected JSON paths"))
    def expected_paths(self, obj):
        return format_html_join(
            "",
            "<div><code>{}</code> ({}){}</div>",
            (
                (path, value_type, " — mandatory" if path in paths.MANDATORY else "")
                for path, value_type in paths.KNOWN.items()
            ),
        ) + format_html_join(
            "",
            '<datalist id="xapi-known-paths">{}</datalist>',
            [(format_html_join("", '<option value="{}">', ((p,) for p in paths.KNOWN)),)],
        )

    @admin.action(description=_("Import statements now"), permissions=["change"])
    def import_now(self, request, queryset):
        for configuration in queryset.select_related("customer"):
            try:
                run, queued = ondemand.queue(
                    configuration=configuration, trigger=Run.Trigger.ADMIN, api_user=request.user
                )
            except RunLocked as exc:
                messages.warning(request, f"{configuration}: not started: {exc}")
                continue
            connectors.report(request, configuration, run, queued=queued, done="imported")


@admin.register(XAPIStatement)
class XAPIStatementAdmin(admin.ModelAdmin):
    """The statement store, read-only: statements are history (imported or sent), never edited here."""

    list_display = ("statement_id", "customer", "timestamp", "actor", "verb", "object_id", "source")
    list_filter = ("source",)
    list_select_related = ("customer",)
    search_fields = ("=statement_id", "actor", "object_id")
    date_hierarchy = "timestamp"
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
