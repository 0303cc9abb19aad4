"""Change tracking of learner data: whether a run considers every enrollment or only what changed (decision 0090).

A learner-data run that succeeds records a *watermark* on its ``Run``: the moment its selection
started, minus ``CHANGE_TRACKING_MARGIN``. The next run of the configuration then considers only
the enrollments whose inputs changed since that watermark (the exporter asks the database and the
LMS backends, see ``LearnerDataExporter.select``) plus every record whose last attempt failed.
A run considers every enrollment (a *full* selection) when any of these holds:

- no earlier run of the configuration succeeded (or change tracking is off);
- the operator asked for it (``transmit_learner_data --full``);
- the run has a start date (it is not a complete picture, so it records no watermark either);
- the configuration or its customer changed since the watermark (a mapping, the consent policy,
  the identity provider may have changed for every record);
- the last full selection is older than ``FULL_SELECTION_INTERVAL``;
- and, decided by the exporter: the channel's payload reads something without a modification
  time, or a backend cannot say what changed, or too many learners changed.

A run records its watermark only when it completed (with or without record errors: failed
records are reconsidered through the audit anyway); a failed, abandoned or killed run records
none, so the next run starts from the previous watermark and nothing is lost. Dry runs select
exactly as the next real run would, and record no watermark.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import OuterRef, Subquery

from integrated_channels.integrated_channel.app_settings import channel_settings
from integrated_channels.integrated_channel.exporters.records import FullReason
from integrated_channels.integrated_channel.models import ChannelConfiguration, Run
from integrated_channels.integrated_channel.registry import LEARNER_DATA

__all__ = ["FullReason", "SelectionPlan", "plan_selection"]


@dataclass(frozen=True)
class SelectionPlan:
    #: Consider only what changed since this moment; None: every enrollment.
    since: datetime.datetime | None
    #: Why every enrollment is considered ("" for an incremental selection).
    reason: str
    #: What the run records if it succeeds (None: nothing, e.g. for a dry run).
    watermark: datetime.datetime | None


def plan_selection(
    *,
    configuration,
    now: datetime.datetime,
    full: bool = False,
    start_date: datetime.datetime | None = None,
    dry_run: bool = False,
) -> SelectionPlan:
    """How the learner-data run of ``configuration`` starting at ``now`` selects, in one query."""
    margin = datetime.timedelta(seconds=float(channel_settings.CHANGE_TRACKING_MARGIN))
    watermark = None if dry_run or start_date is not None else now - margin
    # One query: the configuration's and customer's modification times as stored now, the watermark of
    # the latest successful run (runs of a configuration never overlap) and that of the latest full one.
    successful = Run.objects.filter(
        configuration_id=OuterRef("pk"), kind=LEARNER_DATA, watermark__isnull=False
    ).order_by("-started_at", "-id")
    row = (
        ChannelConfiguration.objects.filter(pk=configuration.pk)
        .annotate(
            last=Subquery(successful.values("watermark")[:1]),
            last_full=Subquery(successful.filter(changes_since__isnull=True).values("watermark")[:1]),
        )
        .values_list("modified", "customer__modified", "last", "last_full")
        .first()
    )
    fresh, since, last_full = (row[:2], row[2], row[3]) if row else (None, None, None)
    # The run formats payloads with ``configuration`` as loaded (maybe long before, by the dispatcher):
    # if it changed since, the run records no watermark and the next one selects everything afresh.
    if fresh != (configuration.modified, configuration.customer.modified):
        watermark = None

    def full_selection(reason: str) -> SelectionPlan:
        return SelectionPlan(since=None, reason=reason, watermark=watermark)

    if start_date is not None:
        return full_selection(FullReason.START_DATE)
    if full:
        return full_selection(FullReason.REQUESTED)
    if not channel_settings.CHANGE_TRACKING:
        return full_selection(FullReason.DISABLED)
    if since is None:
        return full_selection(FullReason.FIRST_RUN)
    if fresh is None or max(fresh) >= since:
        return full_selection(FullReason.CONFIGURATION_CHANGED)
    interval = float(channel_settings.FULL_SELECTION_INTERVAL)
    if interval > 0 and (last_full is None or last_full < now - datetime.timedelta(seconds=interval)):
        return full_selection(FullReason.PERIODIC)
    return SelectionPlan(since=since, reason="", watermark=watermark)
