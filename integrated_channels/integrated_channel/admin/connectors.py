"""The Connectors page of a customer and the page of each operation of a connection (decision 0175).

Thin views over ``services.operations``, ``services.schedules`` and ``services.execution_status``:
the Connectors page shows a tile per connector of the registry (Getting started, Connect, Manage
connections with the last run of each operation); an operation's page holds its schedule, its
on-demand execution (with a start date when the operation uses one) and its execution status (runs
newest first, chart, error reports, re-run of the latest) — one page for every connector.
Permissions are those of the connection's own admin: view to see, change to schedule or run.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Max
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from enterprise.models import EnterpriseCustomer
from integrated_channels.integrated_channel import schedules
from integrated_channels.integrated_channel.admin.runs import outcome_level, queued_message
from integrated_channels.integrated_channel.exceptions import OperationRefused, RerunRefused, RunLocked
from integrated_channels.integrated_channel.models import ChannelConfiguration, OperationSchedule, Run
from integrated_channels.integrated_channel.registry import Channel, registry
from integrated_channels.integrated_channel.services import execution_status, operations, run_wording


class ScheduleForm(forms.Form):
    enabled = forms.BooleanField(required=False, label=_("Enable schedule"))
    start = forms.DateTimeField(
        label=_("Start date and time"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    every = forms.IntegerField(label=_("Repeat every"), min_value=1, max_value=1000, initial=1)
    unit = forms.ChoiceField(label="", choices=OperationSchedule.Unit.choices, initial=OperationSchedule.Unit.DAYS)


class RunNowForm(forms.Form):
    start_date = forms.DateField(
        required=False,
        label=_("Start date"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("From this day until now (empty: the operation's default)."),
    )

    def clean_start_date(self):
        value = self.cleaned_data.get("start_date")
        if value and value > timezone.localdate():
            raise forms.ValidationError(_("The start date cannot be in the future."))
        return value


@dataclass
class ConnectionTile:
    configuration: ChannelConfiguration
    change_url: str
    operations: list[tuple[object, str, Run | None]]  # (operation, page url, last run)


@dataclass
class ConnectorTile:
    channel: Channel
    getting_started: list[str]
    connect_url: str
    connections: list[ConnectionTile] = field(default_factory=list)
    deleted: list[dict] = field(default_factory=list)


def _model_admin(admin_site, model):
    model_admin = admin_site._registry.get(model)
    if model_admin is None:
        raise Http404("This connector has no admin.")
    return model_admin


def _model_url(model, name: str, *args) -> str:
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{name}", args=args)


class ConnectorPages:
    """Extra admin URLs, mounted by the run admin (``integrated_channel_connectors`` and the operation pages)."""

    def __init__(self, model_admin: admin.ModelAdmin):
        self.admin_site = model_admin.admin_site

    def urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("connectors/<uuid:customer_id>/", wrap(self.connectors), name="integrated_channel_connectors"),
            path(
                "operations/<int:configuration_id>/<slug:code>/",
                wrap(self.operation),
                name="integrated_channel_operation",
            ),
            path(
                "operations/<int:configuration_id>/<slug:code>/rerun/<int:run_id>/",
                wrap(self.rerun),
                name="integrated_channel_operation_rerun",
            ),
        ]

    # The Connectors page

    def connectors(self, request, customer_id):
        customer = get_object_or_404(EnterpriseCustomer, pk=customer_id)
        customer_admin = self.admin_site._registry.get(EnterpriseCustomer)
        if customer_admin is None or not customer_admin.has_view_permission(request, customer):
            raise PermissionDenied
        connections = list(ChannelConfiguration.objects.filter(customer=customer).order_by("channel", "name"))
        latest = execution_status.last_runs(Run.objects.filter(customer=customer))
        live = {(c.channel, c.name) for c in connections}
        deleted = (
            Run.objects.filter(customer=customer, configuration__isnull=True)
            .values("channel", "connection_name")
            .annotate(runs=Count("id"), last_started=Max("started_at"))
            .order_by("channel", "connection_name")
        )
        tiles = []
        for channel in registry.connectors():
            model = channel.get_configuration_model()
            model_admin = self.admin_site._registry.get(model)
            if model_admin is None or not model_admin.has_view_permission(request):
                continue
            can_add = model_admin.has_add_permission(request)
            tile = ConnectorTile(
                channel=channel,
                getting_started=[part.strip() for part in channel.getting_started.split("\n\n") if part.strip()],
                connect_url=_model_url(model, "add") + "?" + urlencode({"customer": customer.pk}) if can_add else "",
            )
            for configuration in connections:
                if configuration.channel != channel.code:
                    continue
                tile.connections.append(
                    ConnectionTile(
                        configuration=configuration,
                        change_url=_model_url(model, "change", configuration.pk),
                        operations=[
                            (
                                operation,
                                execution_status.operation_url(configuration.pk, operation.code),
                                latest.get((channel.code, configuration.name, operation.code)),
                            )
                            for operation in channel.all_operations()
                        ],
                    )
                )
            runs_url = reverse("admin:integrated_channel_run_changelist")
            for group in deleted:
                if group["channel"] == channel.code and (channel.code, group["connection_name"]) not in live:
                    query = {
                        "customer": customer.pk,
                        "channel": channel.code,
                        "connection_name": group["connection_name"],
                    }
                    tile.deleted.append({**group, "url": f"{runs_url}?{urlencode(query)}"})
            tiles.append(tile)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Connectors of %(customer)s") % {"customer": customer.name},
            "customer": customer,
            "customer_url": reverse("admin:enterprise_enterprisecustomer_change", args=[customer.pk]),
            "tiles": tiles,
        }
        return TemplateResponse(request, "admin/integrated_channel/connectors.html", context)

    # The page of one operation of one connection

    def _connection(self, request, configuration_id: int, code: str, *, change: bool):
        found = ChannelConfiguration.objects.select_related("customer").filter(pk=configuration_id).first()
        if found is None:
            raise Http404
        configuration = found.specific()
        model_admin = _model_admin(self.admin_site, type(configuration))
        allowed = (
            model_admin.has_change_permission(request, configuration)
            if change
            else model_admin.has_view_permission(request, configuration)
        )
        if not allowed:
            raise PermissionDenied
        try:
            operation = operations.operation_of(configuration, code)
        except OperationRefused:
            raise Http404 from None
        return configuration, operation, model_admin

    def operation(self, request, configuration_id: int, code: str):
        if request.method not in ("GET", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        change = request.method == "POST"
        configuration, operation, model_admin = self._connection(request, configuration_id, code, change=change)
        schedule = OperationSchedule.objects.filter(configuration=configuration, operation=code).first()
        schedule_form = run_form = None
        if request.method == "POST":
            action = request.POST.get("action")
            if action == "schedule" and operation.schedulable:
                schedule_form = ScheduleForm(request.POST)
                if schedule_form.is_valid() and save_schedule(request, configuration, operation, schedule_form):
                    return HttpResponseRedirect(request.path)
            elif action == "run":
                run_form = RunNowForm(request.POST)
                if run_form.is_valid():
                    run_now(
                        request,
                        configuration,
                        operation,
                        run_form.cleaned_data["start_date"],
                        trigger=Run.Trigger.ADMIN,
                    )
                    return HttpResponseRedirect(request.path)
            else:
                return HttpResponseNotAllowed(["GET"])
        can_change = model_admin.has_change_permission(request, configuration)
        if schedule_form is None and operation.schedulable:
            initial = (
                {"enabled": schedule.enabled, "start": schedule.start, "every": schedule.every, "unit": schedule.unit}
                if schedule
                else {"start": timezone.localtime().replace(second=0, microsecond=0)}
            )
            schedule_form = ScheduleForm(initial=initial)
        context = {
            **self.admin_site.each_context(request),
            "title": f"{operation.name} — {configuration}",
            "configuration": configuration,
            "operation": operation,
            "channel": configuration.get_channel(),
            "schedule": schedule,
            "schedule_form": schedule_form if can_change else None,
            "run_form": (run_form or RunNowForm()) if can_change else None,
            "change_url": _model_url(type(configuration), "change", configuration.pk),
            "connectors_url": reverse("admin:integrated_channel_connectors", args=[configuration.customer_id]),
            "opts": type(configuration)._meta,
            **execution_status.page_context(configuration, operation, can_rerun=can_change),
        }
        return TemplateResponse(request, "admin/integrated_channel/operation.html", context)

    def rerun(self, request, configuration_id: int, code: str, run_id: int):
        """POST only (CSRF-checked by ``admin_view``): re-run the latest run of the operation."""
        configuration, _operation, _admin = self._connection(request, configuration_id, code, change=True)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        run = get_object_or_404(Run.objects.of_connection(configuration), pk=run_id, kind=code)
        try:
            new, queued = operations.queue_rerun(run=run, trigger=Run.Trigger.ADMIN, api_user=request.user)
        except (RerunRefused, RunLocked) as exc:
            messages.error(request, _("Not re-run: %(reason)s") % {"reason": exc})
        else:
            report(request, configuration, new, prefix=f"run #{run.pk} re-run as ", queued=queued)
        return HttpResponseRedirect(execution_status.operation_url(configuration.pk, code))


def save_schedule(request, configuration, operation, form) -> bool:
    """Save an operation's schedule from its form and tell how it went (the admin's and the portal's page)."""
    try:
        schedules.save_schedule(configuration, operation.code, **form.cleaned_data)
    except (OperationRefused, ValidationError) as exc:
        messages.error(request, _("Schedule not saved: %(reason)s") % {"reason": "; ".join(_messages(exc))})
        return False
    state = _("enabled") if form.cleaned_data["enabled"] else _("disabled")
    messages.success(
        request, _("Schedule of %(operation)s saved (%(state)s).") % {"operation": operation.name, "state": state}
    )
    return True


def run_now(request, configuration, operation, start_date, *, trigger: str) -> None:
    """Queue an on-demand run of ``operation`` (from ``start_date``) and tell how it went."""
    if not configuration.transmittable:
        messages.error(request, _("Not run: the connection or its customer is disabled."))
        return
    try:
        run, queued = operations.queue(
            configuration,
            operation.code,
            trigger=trigger,
            start_date=operations.start_of_day(start_date) if start_date else None,
            api_user=request.user,
        )
    except RunLocked as exc:
        messages.warning(request, _("Not started: %(reason)s") % {"reason": exc})
        return
    report(request, configuration, run, queued=queued)


def report(request, configuration, run: Run, *, prefix: str = "", queued: bool = False, done: str = "done") -> None:
    """Tell the admin how an on-demand run went (or that it was queued); ``done`` names what was sent."""
    if queued:
        messages.success(request, queued_message(f"{configuration}: {prefix}", run))
        return
    text = f"{configuration}: {prefix}{run_wording.outcome(run, done=done)}"
    messages.add_message(request, outcome_level(run.status), text)


def _messages(exc) -> list[str]:
    if isinstance(exc, ValidationError):
        return exc.messages
    return [str(exc)]
