"""The portal's Connectors pages: the seed's Integration Admin experience for a customer's administrators.

Thin views over the framework's services, the same the Django admin's Connectors pages call
(``integrated_channel.admin.connectors``): ``services.operations`` (run now with a start date,
re-run of the latest), ``schedules.save_schedule``, ``services.execution_status`` (run rows and
chart), ``services.error_report`` (the CSV) and ``services.connections.test_connection``; the
admin's ``ScheduleForm`` and ``RunNowForm``. Platform staff choose the connectors each customer
may use (``PortalConnector``, in the Django admin); a connection of another customer, or of a
connector not allowed, answers 404 like a missing one.

Creating and editing a connection (its form, mapping and filters, write-only secrets) is
``enterprise.portal.connections``.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from enterprise.portal.access import customer_of, portal_view
from integrated_channels.integrated_channel.admin.connectors import (
    RunNowForm,
    ScheduleForm,
    report,
    run_now,
    save_schedule,
)
from integrated_channels.integrated_channel.exceptions import OperationRefused, RerunRefused, RunLocked
from integrated_channels.integrated_channel.models import ChannelConfiguration, OperationSchedule, PortalConnector, Run
from integrated_channels.integrated_channel.registry import registry
from integrated_channels.integrated_channel.services import connections, error_report, execution_status, operations


def allowed_connectors(customer) -> list:
    """The registered connectors platform staff allowed ``customer``, by name (one query)."""
    codes = set(PortalConnector.objects.filter(customer_id=customer.pk).values_list("channel", flat=True))
    return [channel for channel in registry.connectors() if channel.code in codes]


def connection_of(customer, configuration_id: int) -> ChannelConfiguration:
    """The customer's connection of an allowed connector (its own model), else 404."""
    allowed = [channel.code for channel in allowed_connectors(customer)]
    found = get_object_or_404(ChannelConfiguration, pk=configuration_id, customer_id=customer.pk, channel__in=allowed)
    return found.specific()


def _operation(configuration, code: str):
    try:
        return operations.operation_of(configuration, code)
    except OperationRefused:
        raise Http404(_("No such operation.")) from None


def _operation_url(customer, configuration_id: int, code: str) -> str:
    return reverse(
        "enterprise_portal:connector_operation",
        kwargs={"customer_uuid": customer.uuid, "configuration_id": configuration_id, "code": code},
    )


def _run_urls(customer, configuration, code) -> execution_status.RunUrls:
    def url(name, run):
        kwargs = {"customer_uuid": customer.uuid, "configuration_id": configuration.pk, "code": code, "run_id": run.pk}
        return reverse(f"enterprise_portal:{name}", kwargs=kwargs)

    return execution_status.RunUrls(
        change=lambda run: "",  # the run's admin page is for platform staff
        report=lambda run: url("connector_error_report", run),
        rerun=lambda run: url("connector_rerun", run),
    )


@require_safe
@portal_view
def connectors(request, customer_uuid, *, customers):
    """A tile per allowed connector: getting started, the customer's connections, each operation's last run."""
    customer = customer_of(customers, customer_uuid)
    channels = allowed_connectors(customer)
    configurations = list(
        ChannelConfiguration.objects.filter(customer_id=customer.pk, channel__in=[c.code for c in channels]).order_by(
            "channel", "name"
        )
    )
    latest = execution_status.last_runs(Run.objects.filter(customer_id=customer.pk))
    tiles = []
    for channel in channels:
        tiles.append(
            {
                "channel": channel,
                "getting_started": [p.strip() for p in channel.getting_started.split("\n\n") if p.strip()],
                "create_url": reverse(
                    "enterprise_portal:connection_create",
                    kwargs={"customer_uuid": customer.uuid, "channel_code": channel.code},
                ),
                "connections": [
                    {
                        "configuration": configuration,
                        "operations": [
                            (
                                operation,
                                _operation_url(customer, configuration.pk, operation.code),
                                latest.get((channel.code, configuration.name, operation.code)),
                            )
                            for operation in channel.all_operations()
                        ],
                        "edit_url": reverse(
                            "enterprise_portal:connection_edit",
                            kwargs={"customer_uuid": customer.uuid, "configuration_id": configuration.pk},
                        ),
                        "test_url": reverse(
                            "enterprise_portal:connector_test",
                            kwargs={"customer_uuid": customer.uuid, "configuration_id": configuration.pk},
                        )
                        if channel.test_connection
                        else "",
                    }
                    for configuration in configurations
                    if configuration.channel == channel.code
                ],
            }
        )
    context = {"customer": customer, "customers": customers, "tiles": tiles, "section": "connectors"}
    return TemplateResponse(request, "enterprise_portal/connectors.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
@portal_view
def operation(request, customer_uuid, configuration_id, code, *, customers):
    """One operation of one connection: its schedule, run now (with a start date), execution status."""
    customer = customer_of(customers, customer_uuid)
    configuration = connection_of(customer, configuration_id)
    op = _operation(configuration, code)
    schedule = OperationSchedule.objects.filter(configuration=configuration, operation=code).first()
    schedule_form = run_form = None
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "schedule" and op.schedulable:
            schedule_form = ScheduleForm(request.POST)
            if schedule_form.is_valid() and save_schedule(request, configuration, op, schedule_form):
                return HttpResponseRedirect(request.path)
        elif action == "run":
            run_form = RunNowForm(request.POST)
            if run_form.is_valid():
                run_now(request, configuration, op, run_form.cleaned_data["start_date"], trigger=Run.Trigger.PORTAL)
                return HttpResponseRedirect(request.path)
        else:
            raise Http404(_("Unknown action."))
    if schedule_form is None and op.schedulable:
        initial = (
            {"enabled": schedule.enabled, "start": schedule.start, "every": schedule.every, "unit": schedule.unit}
            if schedule
            else {"start": timezone.localtime().replace(second=0, microsecond=0)}
        )
        schedule_form = ScheduleForm(initial=initial)
    rows = execution_status.run_rows(configuration, code, can_rerun=True, urls=_run_urls(customer, configuration, code))
    bars = execution_status.chart(rows)
    context = {
        "customer": customer,
        "customers": customers,
        "section": "connectors",
        "configuration": configuration,
        "channel": configuration.get_channel(),
        "operation": op,
        "schedule": schedule,
        "schedule_form": schedule_form,
        "run_form": run_form or RunNowForm(),
        "runs": rows,
        "chart": bars,
        "chart_width": max(len(bars), 1) * execution_status.CHART_COLUMN,
        "chart_height": execution_status.CHART_HEIGHT,
        "chart_bar": execution_status.CHART_BAR,
        "chart_run_width": execution_status.CHART_BAR * 3,
        "connectors_url": reverse("enterprise_portal:connectors", kwargs={"customer_uuid": customer.uuid}),
    }
    status = 400 if (schedule_form is not None and schedule_form.errors) or (run_form and run_form.errors) else 200
    return TemplateResponse(request, "enterprise_portal/connector_operation.html", context, status=status)


@require_POST
@portal_view
def rerun(request, customer_uuid, configuration_id, code, run_id, *, customers):
    """Re-run the latest run of the operation (``operations.queue_rerun`` refuses any other)."""
    customer = customer_of(customers, customer_uuid)
    configuration = connection_of(customer, configuration_id)
    _operation(configuration, code)
    run = get_object_or_404(Run.objects.of_connection(configuration), pk=run_id, kind=code)
    try:
        new, queued = operations.queue_rerun(run=run, trigger=Run.Trigger.PORTAL, api_user=request.user)
    except (RerunRefused, RunLocked) as exc:
        messages.error(request, _("Not re-run: %(reason)s") % {"reason": exc})
    else:
        report(request, configuration, new, prefix=f"run #{run.pk} re-run as ", queued=queued)
    return HttpResponseRedirect(_operation_url(customer, configuration.pk, code))


@require_safe
@portal_view
def error_report_csv(request, customer_uuid, configuration_id, code, run_id, *, customers):
    """The run's error report (``services.error_report``: the admin's CSV, cells escaped)."""
    customer = customer_of(customers, customer_uuid)
    configuration = connection_of(customer, configuration_id)
    run = get_object_or_404(
        Run.objects.of_connection(configuration).exclude(status=Run.Status.RUNNING), pk=run_id, kind=code
    )
    response = StreamingHttpResponse(error_report.stream_csv(run), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{error_report.filename(run)}"'
    return response


@require_POST
@portal_view
def test(request, customer_uuid, configuration_id, *, customers):
    """Test connection (``services.connections.test_connection``: secrets redacted from the answer); back to
    the connection's form when posted from it (``next=edit``), else to the Connectors page."""
    customer = customer_of(customers, customer_uuid)
    configuration = connection_of(customer, configuration_id)
    result = connections.test_connection(configuration)
    outcome = {"ok": 1} if result.ok else {"failed": 1}
    request.portal_audit.note(action="connections:test", customer=customer, **outcome)
    level = messages.SUCCESS if result.ok else messages.ERROR
    messages.add_message(request, level, f"{configuration.name}: {result.summary()}")
    if request.POST.get("next") == "edit":
        target = reverse(
            "enterprise_portal:connection_edit",
            kwargs={"customer_uuid": customer.uuid, "configuration_id": configuration.pk},
        )
        return HttpResponseRedirect(target)
    return HttpResponseRedirect(reverse("enterprise_portal:connectors", kwargs={"customer_uuid": customer.uuid}))
