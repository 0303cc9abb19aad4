"""The execution status of a connection, for its admin page: recent runs newest first and a chart.

Each run shows its start, duration, operation, trigger, status (in progress, completed, completed
with errors, failed), counts and error report; the newest run of each operation that is not in
progress can be re-run (decision 0066). The chart draws, oldest to newest, the records done and
the failures of each run as two bars (an inline SVG, no chart library; decision 0069).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import F, OuterRef, Subquery
from django.urls import reverse

from integrated_channels.integrated_channel.models import Run

RECENT_RUNS = 10
BAR_WIDTH = 120  # pixels of the table's per-run bar at the largest run
CHART_HEIGHT = 80
CHART_COLUMN = 28


@dataclass(frozen=True)
class RunRow:
    run: Run
    started: str
    duration: str
    status: str
    change_url: str
    report_url: str
    rerun_url: str  # "" when this run cannot be re-run
    done_width: int
    failed_width: int


@dataclass(frozen=True)
class ChartBar:
    x: int
    done_y: int
    done_height: int
    failed_y: int
    failed_height: int
    label: str


def rows_for(configuration_id: int, *, can_rerun: bool) -> list[RunRow]:
    recent = list(Run.objects.filter(configuration_id=configuration_id).order_by("-started_at", "-id")[:RECENT_RUNS])
    newest = _newest_of_their_kind([run.pk for run in recent])
    scale = max([run.selected for run in recent] + [1])
    rows = []
    for run in recent:
        finished = run.status != Run.Status.RUNNING
        rows.append(
            RunRow(
                run=run,
                started=run.started_at.strftime("%Y-%m-%d %H:%M"),
                duration=str(run.duration).split(".")[0] if run.duration else "…",
                status=run.get_status_display(),
                change_url=reverse("admin:integrated_channel_run_change", args=[run.pk]),
                report_url=reverse("admin:integrated_channel_run_error_report", args=[run.pk]) if finished else "",
                rerun_url=(
                    reverse("admin:sftp_sftpconfiguration_rerun", args=[configuration_id, run.pk])
                    if can_rerun and finished and run.pk in newest
                    else ""
                ),
                done_width=int(BAR_WIDTH * run.sent / scale),
                failed_width=int(BAR_WIDTH * run.failed / scale),
            )
        )
    return rows


def _newest_of_their_kind(run_ids: list[int]) -> set[int]:
    """Those of ``run_ids`` that are the newest run of their connection and kind, in one query."""
    newest = (
        Run.objects.filter(configuration_id=OuterRef("configuration_id"), kind=OuterRef("kind"))
        .order_by("-started_at", "-id")
        .values("id")[:1]
    )
    return set(
        Run.objects.filter(pk__in=run_ids)
        .annotate(newest=Subquery(newest))
        .filter(pk=F("newest"))
        .values_list("pk", flat=True)
    )


def chart_for(rows: list[RunRow]) -> list[ChartBar]:
    """Two bars per run, oldest on the left: records done (green) and failures (red)."""
    runs = [row.run for row in reversed(rows)]
    scale = max([max(run.sent, run.failed) for run in runs] + [1])
    bars = []
    for index, run in enumerate(runs):
        done = round(CHART_HEIGHT * run.sent / scale)
        failed = round(CHART_HEIGHT * run.failed / scale)
        bars.append(
            ChartBar(
                x=index * CHART_COLUMN,
                done_y=CHART_HEIGHT - done,
                done_height=done,
                failed_y=CHART_HEIGHT - failed,
                failed_height=failed,
                label=f"#{run.pk} {run.get_kind_display()}: {run.sent} done, {run.failed} failed",
            )
        )
    return bars


def context(configuration, *, can_rerun: bool) -> dict:
    rows = rows_for(configuration.pk, can_rerun=can_rerun)
    bars = chart_for(rows)
    return {
        "sftp_runs": rows,
        "sftp_chart": bars,
        "sftp_chart_width": max(len(bars), 1) * CHART_COLUMN,
        "sftp_chart_height": CHART_HEIGHT,
        "sftp_all_runs_url": reverse("admin:integrated_channel_run_changelist") + f"?configuration={configuration.pk}",
    }
