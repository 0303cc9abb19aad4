"""Execution status, the same for every connector: an operation's runs newest first, a chart of their
counts, the last run of each operation of a connection (decision 0175).

A connection's runs are those of its (customer, channel, name) — a connection created again after a
deletion shows the runs of the deleted one. Each run row gives its start, duration, trigger, status,
counts and error report; the newest, once finished, can be re-run (decision 0066). The chart draws,
oldest to newest, the records done, skipped and failed of each run as bars in an inline SVG (no
chart library, nothing loaded from elsewhere; decision 0069); a failed run is marked by a pale red
column, visible when it counted no record.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import urlencode

from integrated_channels.integrated_channel.models import OperationSchedule, Run
from integrated_channels.integrated_channel.registry import Operation

RECENT_RUNS = 25
BAR_WIDTH = 120  # pixels of the table's per-run bar at the largest run
CHART_HEIGHT = 100
CHART_COLUMN = 30
CHART_BAR = 8


@dataclass(frozen=True)
class RunRow:
    run: Run
    started: str
    duration: str
    change_url: str
    report_url: str
    rerun_url: str  # "" when this run cannot be re-run
    done_width: int
    failed_width: int


@dataclass(frozen=True)
class ChartBar:
    x: int
    bars: tuple[tuple[str, int, int, int, str], ...]  # (class, x, y, height, colour) of done, skipped, failed
    label: str
    failed_run: bool = False  # drawn as a full-height pale red column behind the bars, even with 0 records


@dataclass(frozen=True)
class OperationSummary:
    operation: Operation
    url: str
    schedule: OperationSchedule | None
    last_run: Run | None


def admin_datetime(moment) -> str:
    """A moment as the rest of the admin shows it: local time, the locale's ``DATETIME_FORMAT``."""
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def operation_url(configuration_id: int, code: str) -> str:
    return reverse("admin:integrated_channel_operation", args=[configuration_id, code])


def last_runs(runs) -> dict[tuple[str, str, str], Run]:
    """The newest run of each (channel, connection name, kind) among ``runs``, in two queries."""
    newest = (
        runs.values("channel", "connection_name", "kind").annotate(newest=Max("id")).values_list("newest", flat=True)
    )
    found = Run.objects.filter(pk__in=list(newest))
    return {(run.channel, run.connection_name, run.kind): run for run in found}


def operation_summaries(configuration) -> list[OperationSummary]:
    """Each operation of ``configuration`` with its page, its schedule and its last run (three queries)."""
    schedules = {
        schedule.operation: schedule for schedule in OperationSchedule.objects.filter(configuration=configuration)
    }
    latest = last_runs(Run.objects.of_connection(configuration))
    return [
        OperationSummary(
            operation=operation,
            url=operation_url(configuration.pk, operation.code),
            schedule=schedules.get(operation.code),
            last_run=latest.get((configuration.channel, configuration.name, operation.code)),
        )
        for operation in configuration.get_channel().all_operations()
    ]


@dataclass(frozen=True)
class RunUrls:
    """Where a run row links to: the admin's pages by default; the portal gives its own (issue 24)."""

    change: Callable[[Run], str]
    report: Callable[[Run], str]
    rerun: Callable[[Run], str]


def admin_run_urls(configuration, code: str) -> RunUrls:
    return RunUrls(
        change=lambda run: reverse("admin:integrated_channel_run_change", args=[run.pk]),
        report=lambda run: reverse("admin:integrated_channel_run_error_report", args=[run.pk]),
        rerun=lambda run: reverse("admin:integrated_channel_operation_rerun", args=[configuration.pk, code, run.pk]),
    )


def run_rows(
    configuration, code: str, *, can_rerun: bool, limit: int = RECENT_RUNS, urls: RunUrls | None = None
) -> list[RunRow]:
    """The operation's latest runs, newest first (one query)."""
    urls = urls or admin_run_urls(configuration, code)
    recent = list(Run.objects.of_connection(configuration).filter(kind=code).order_by("-started_at", "-id")[:limit])
    scale = max([run.selected for run in recent] + [1])
    rows = []
    for index, run in enumerate(recent):
        finished = run.status != Run.Status.RUNNING
        rows.append(
            RunRow(
                run=run,
                started=admin_datetime(run.started_at),
                duration=str(run.duration).split(".")[0] if run.duration else "…",
                change_url=urls.change(run),
                report_url=urls.report(run) if finished else "",
                rerun_url=urls.rerun(run) if can_rerun and finished and index == 0 else "",
                done_width=int(BAR_WIDTH * run.sent / scale),
                failed_width=int(BAR_WIDTH * run.failed / scale),
            )
        )
    return rows


def chart(rows: list[RunRow]) -> list[ChartBar]:
    """Three bars per run, oldest on the left: records done (green), skipped (grey) and failed (red); a
    failed run stands on a pale red column with a red top line, so that it shows with no record at all."""
    runs = [row.run for row in reversed(rows)]
    scale = max([max(run.sent, run.skipped, run.failed) for run in runs] + [1])
    bars = []
    for index, run in enumerate(runs):
        parts = []
        series = (("done", run.sent, "#3a3"), ("skipped", run.skipped, "#999"), ("failed", run.failed, "#c33"))
        for offset, (css, value, colour) in enumerate(series):
            height = round(CHART_HEIGHT * value / scale)
            parts.append(
                (f"chart-{css}", index * CHART_COLUMN + offset * CHART_BAR, CHART_HEIGHT - height, height, colour)
            )
        bars.append(
            ChartBar(
                x=index * CHART_COLUMN,
                bars=tuple(parts),
                failed_run=run.status == Run.Status.FAILED,
                label=(
                    f"#{run.pk} {admin_datetime(run.started_at)} {run.get_status_display()}: {run.sent} done, "
                    f"{run.skipped} skipped, {run.failed} failed"
                ),
            )
        )
    return bars


def page_context(configuration, operation: Operation, *, can_rerun: bool) -> dict:
    rows = run_rows(configuration, operation.code, can_rerun=can_rerun)
    bars = chart(rows)
    runs_url = reverse("admin:integrated_channel_run_changelist")
    return {
        "runs": rows,
        "chart": bars,
        "chart_width": max(len(bars), 1) * CHART_COLUMN,
        "chart_height": CHART_HEIGHT,
        "chart_bar": CHART_BAR,
        "chart_run_width": CHART_BAR * 3,
        "all_runs_url": runs_url
        + "?"
        + urlencode(
            {
                "customer": configuration.customer_id,
                "channel": configuration.channel,
                "connection_name": configuration.name,
                "kind": operation.code,
            }
        ),
    }
