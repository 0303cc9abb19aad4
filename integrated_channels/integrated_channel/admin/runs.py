"""Run history: counts, status, the error report (CSV download). Read-only; staff with view permission."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, StreamingHttpResponse
from django.template.defaultfilters import truncatechars
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from integrated_channels.integrated_channel.models import Run, RunError
from integrated_channels.integrated_channel.registry import ChannelNotRegistered, registry
from integrated_channels.integrated_channel.services import error_report, run_wording

ERRORS_SHOWN = 50


class ChannelFilter(admin.SimpleListFilter):
    title = _("channel")
    parameter_name = "channel"

    def lookups(self, request, model_admin):
        return registry.as_choices()

    def queryset(self, request, queryset):
        return queryset.filter(channel=self.value()) if self.value() else queryset


class KindFilter(admin.SimpleListFilter):
    title = _("operation")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return registry.kind_choices()

    def queryset(self, request, queryset):
        return queryset.filter(kind=self.value()) if self.value() else queryset


class ConnectionDeletedFilter(admin.SimpleListFilter):
    title = _("connection")
    parameter_name = "connection_deleted"

    def lookups(self, request, model_admin):
        return [("yes", _("deleted")), ("no", _("existing"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(configuration__isnull=self.value() == "yes")
        return queryset


class ReadOnlyAdmin(admin.ModelAdmin):
    """History: viewable, never added, changed or deleted from the admin (deleting is a retention job)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Run)
class RunAdmin(ReadOnlyAdmin):
    # Six columns, so that the list fits 1366 px: the where, the what and the counts are combined.
    list_display = ("id", "where", "operation", "outcome", "started_at", "records", "errors")
    list_display_links = ("id",)
    list_filter = ("status", ChannelFilter, KindFilter, ConnectionDeletedFilter, "trigger", "dry_run")
    list_select_related = ("customer",)
    search_fields = ("=id", "customer__name", "connection_name")
    date_hierarchy = "started_at"
    show_full_result_count = False
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "customer",
                    "configuration",
                    "channel",
                    "connection_name",
                    "operation",
                    "trigger",
                    "dry_run",
                    "api_user",
                )
            },
        ),
        (_("Timing"), {"fields": ("status", "started_at", "heartbeat_at", "finished_at", "duration", "start_date")}),
        (_("Selection"), {"fields": ("selection", "watermark")}),
        (
            _("Counts"),
            {
                "fields": (
                    "selected",
                    "sent",
                    "skipped",
                    "skipped_because",
                    "failed",
                    "not_attempted",
                    "remote_calls",
                    "learners_unlinked",
                )
            },
        ),
        (_("Errors"), {"fields": ("error_code", "error_message", "error_report", "first_errors")}),
    )
    readonly_fields = (
        "connection",
        "operation",
        "duration",
        "selection",
        "skipped_because",
        "error_report",
        "first_errors",
    )

    def lookup_allowed(self, lookup, value, request=None):
        # The operation pages link to their runs by (customer, channel, connection name, kind).
        return lookup in ("customer", "channel", "connection_name", "kind") or super().lookup_allowed(
            lookup, value, request
        )

    @admin.display(description=_("connection"), ordering="connection_name")
    def connection(self, obj):
        if obj.configuration_id is None:
            return format_html("{} <small>({})</small>", obj.connection_name, _("deleted"))
        return obj.connection_name

    @admin.display(description=_("customer / connection"), ordering="customer__name")
    def where(self, obj):
        try:
            channel = registry.get(obj.channel).name
        except ChannelNotRegistered:
            channel = obj.channel  # an uninstalled connector's runs stay listed
        return format_html("{}<br><small>{} — {}</small>", obj.customer.name, channel, self.connection(obj))

    @admin.display(description=_("status"), ordering="status")
    def outcome(self, obj):
        return format_html(
            '<span class="run-status run-{}">{}</span><br><small>{}{}</small>',
            obj.status,
            obj.get_status_display(),
            obj.get_trigger_display(),
            _(", dry run") if obj.dry_run else "",
        )

    @admin.display(description=_("records"))
    def records(self, obj):
        details = [_("%(count)d skipped") % {"count": obj.skipped}, _("%(count)d failed") % {"count": obj.failed}]
        if obj.not_attempted:
            details.append(_("%(count)d not attempted") % {"count": obj.not_attempted})
        return format_html(
            "{}<br><small>{}</small>",
            _("%(sent)d of %(selected)d sent") % {"sent": obj.sent, "selected": obj.selected},
            ", ".join(str(detail) for detail in details),
        )

    @admin.display(description=_("how the records were selected"))
    def selection(self, obj):
        return run_wording.selection(obj) or "-"

    @admin.display(description=_("skipped because"))
    def skipped_because(self, obj):
        lines = run_wording.skip_lines(obj.skip_reasons)
        if not lines:
            return "-"
        return format_html(
            '<ul class="run-skip-reasons">{}</ul>',
            format_html_join("", "<li>{}: {}</li>", ((count, sentence) for sentence, count in lines)),
        )

    @admin.display(description=_("operation"), ordering="kind")
    def operation(self, obj):
        return obj.kind_label

    @admin.display(description=_("duration"))
    def duration(self, obj):
        return str(obj.duration).split(".")[0] if obj.duration is not None else _("running")

    @admin.display(description=_("error report"))
    def error_report(self, obj):
        if obj.status == Run.Status.RUNNING:
            return "-"
        url = reverse("admin:integrated_channel_run_error_report", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("CSV"))

    @admin.display(description=_("errors"))
    def errors(self, obj):
        return self.error_report(obj)  # the list's narrow column

    @admin.display(description=_("first errors"))
    def first_errors(self, obj):
        errors = list(RunError.objects.filter(run=obj).order_by("id")[:ERRORS_SHOWN])
        if not errors:
            return "-"
        rows = format_html_join(
            "",
            '<tr><td class="run-error-short">{}</td><td class="run-error-short">{}</td>'
            '<td class="run-error-short">{}</td><td>{}</td><td class="run-error-short">{}</td>'
            '<td class="run-error-message">{}</td></tr>',
            (
                (
                    e.get_outcome_display(),
                    e.username or "-",
                    e.remote_id or "-",
                    e.course_id or "-",
                    e.status_code or "",
                    truncatechars(e.message, 300),
                )
                for e in errors
            ),
        )
        return format_html(
            '<table class="run-first-errors"><thead><tr>'
            "<th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>"
            "<tbody>{}</tbody></table>",
            _("outcome"),
            _("learner"),
            _("remote id"),
            _("course"),
            _("HTTP"),
            _("message"),
            rows,
        )

    def get_urls(self):
        from integrated_channels.integrated_channel.admin.connectors import ConnectorPages

        return [
            *ConnectorPages(self).urls(),
            path(
                "<int:run_id>/error-report.csv",
                self.admin_site.admin_view(self.error_report_view),
                name="integrated_channel_run_error_report",
            ),
            *super().get_urls(),
        ]

    def error_report_view(self, request, run_id: int):
        run = Run.objects.filter(pk=run_id).first()
        if run is None:
            raise Http404
        if not self.has_view_permission(request, run):
            raise PermissionDenied
        response = StreamingHttpResponse(error_report.stream_csv(run), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{error_report.filename(run)}"'
        return response


def outcome_level(status: str) -> int:
    """The message level announcing a run's outcome: red failed, amber completed with errors, green otherwise."""
    if status == Run.Status.FAILED:
        return messages.ERROR
    if status == Run.Status.COMPLETED_WITH_ERRORS:
        return messages.WARNING
    return messages.SUCCESS


def queued_message(prefix: str, run: Run) -> str:
    """The admin's message for a run queued on Celery, with a link to the run's page (its live counts)."""
    return format_html(
        '{}run <a href="{}">#{}</a> queued: a Celery worker runs it; its page shows its counts as it goes.',
        prefix,
        reverse("admin:integrated_channel_run_change", args=[run.pk]),
        run.pk,
    )


def changeable_object(model_admin: admin.ModelAdmin, request, object_id: str):
    """The object a change action of ``model_admin`` acts on: 404 when missing, 403 without change permission."""
    obj = model_admin.get_object(request, unquote(object_id))
    if obj is None:
        raise Http404
    if not model_admin.has_change_permission(request, obj):
        raise PermissionDenied
    return obj
