"""Operations of connections, whatever the connector: run now, queue, re-run the latest, run on schedule.

A connector declares its operations in the registry (``Operation``: code, name, runner); this
module is the one way the admin, the API, the schedules and the commands start them (decision
0173). ``queue`` takes the run lock at once — a second request is told a run is in progress — and
when a Celery broker is configured hands the work to a worker (``tasks.run_queued_operation``);
without one the operation runs in-process (decision 0141). Only the latest run of a connection's
operation may be re-run, and not while it is in progress (decision 0066): the latest is looked for
among the runs of the connection's (customer, channel, name), so a connection created again after
a deletion continues its history.
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from integrated_channels.integrated_channel.exceptions import OperationRefused, RerunRefused, RunLocked
from integrated_channels.integrated_channel.models import ChannelConfiguration, OperationSchedule, Run
from integrated_channels.integrated_channel.registry import Operation
from integrated_channels.integrated_channel.services import dispatch, runs, transmission


def operation_of(configuration: ChannelConfiguration, code: str) -> Operation:
    """The operation ``code`` of ``configuration``'s connector, or ``OperationRefused`` naming the known ones."""
    try:
        return configuration.get_channel().get_operation(code)
    except LookupError as exc:
        raise OperationRefused(str(exc)) from None


def start_of_day(day: datetime.date) -> datetime.datetime:
    """Midnight (local time) starting ``day``: the start date of an on-demand run chosen as a date."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def run_now(
    configuration: ChannelConfiguration,
    code: str,
    *,
    trigger: str = Run.Trigger.COMMAND,
    start_date: datetime.datetime | None = None,
    api_user=None,
    run: Run | None = None,
) -> Run:
    """Run operation ``code`` of ``configuration`` in this process; its ``Run`` (``RunLocked`` when one is running)."""
    operation = operation_of(configuration, code)
    runner = operation.get_runner()
    return runner(configuration.specific(), trigger=trigger, start_date=start_date, api_user=api_user, run=run)


def queue(
    configuration: ChannelConfiguration,
    code: str,
    *,
    trigger: str = Run.Trigger.ADMIN,
    start_date: datetime.datetime | None = None,
    api_user=None,
) -> tuple[Run, bool]:
    """Start operation ``code`` and queue it on Celery when a broker is configured, else run it now.

    Returns the run and whether it was queued (then it is *in progress*; its counts show as it goes).
    """
    operation_of(configuration, code)
    if not dispatch.use_celery():
        return run_now(configuration, code, trigger=trigger, start_date=start_date, api_user=api_user), False
    from integrated_channels.integrated_channel.tasks import run_queued_operation

    run = runs.start_run(
        configuration=configuration, kind=code, trigger=trigger, api_user=api_user, start_date=start_date
    )
    dispatch.queue_started_run(run=run, task=run_queued_operation, kwargs={"run_id": run.pk})
    return run, True


def run_queued(run_id: int) -> Run | None:
    """Do the work of a queued run; None when it is no longer in progress (declared abandoned meanwhile)."""
    run = Run.objects.select_related("api_user").filter(pk=run_id, status=Run.Status.RUNNING).first()
    if run is None or run.configuration_id is None:
        return None
    configuration = ChannelConfiguration.objects.select_related("customer").get(pk=run.configuration_id)
    return run_now(
        configuration, run.kind, trigger=run.trigger, start_date=run.start_date, api_user=run.api_user, run=run
    )


# Re-runs


def latest_run(configuration: ChannelConfiguration, code: str) -> Run | None:
    return Run.objects.of_connection(configuration).filter(kind=code).order_by("-started_at", "-id").first()


def check_rerun(run: Run) -> ChannelConfiguration:
    """The connection ``run`` belongs to, or ``RerunRefused`` saying why it cannot be re-run."""
    if run.status == Run.Status.RUNNING:
        raise RerunRefused(f"Run #{run.pk} is still in progress.")
    connections = ChannelConfiguration.objects.select_related("customer")
    if run.configuration_id is not None:
        configuration = connections.get(pk=run.configuration_id)
    else:  # its connection was deleted; one created again under the same name takes its history over
        configuration = connections.filter(
            customer_id=run.customer_id, channel=run.channel, name=run.connection_name
        ).first()
        if configuration is None:
            raise RerunRefused(f"Run #{run.pk} belongs to a deleted connection.")
    operation_of(configuration, run.kind)
    latest = latest_run(configuration, run.kind)
    if latest is None or latest.pk != run.pk:
        raise RerunRefused(f"Only the latest run can be re-run: run #{latest.pk} is newer than run #{run.pk}.")
    return configuration


def rerun(*, run: Run, trigger: str = Run.Trigger.COMMAND, api_user=None) -> Run:
    """Re-run the latest run of a connection's operation now, from the same start date."""
    configuration = check_rerun(run)
    return run_now(configuration, run.kind, trigger=trigger, start_date=run.start_date, api_user=api_user)


def queue_rerun(*, run: Run, trigger: str = Run.Trigger.ADMIN, api_user=None) -> tuple[Run, bool]:
    """``rerun`` through ``queue``: on a Celery worker when a broker is configured."""
    configuration = check_rerun(run)
    return queue(configuration, run.kind, trigger=trigger, start_date=run.start_date, api_user=api_user)


# Schedules


def run_scheduled(configuration_id: int, code: str) -> Run | None:
    """The scheduled run of one operation; None when the connection, its customer or the schedule is off,
    or a run of it is in progress. An operation whose runs cover a period gets the previous interval."""
    schedule = (
        OperationSchedule.objects.select_related("configuration__customer")
        .filter(
            configuration_id=configuration_id,
            operation=code,
            enabled=True,
            configuration__active=True,
            configuration__customer__active=True,
        )
        .first()
    )
    if schedule is None:
        return None
    operation = operation_of(schedule.configuration, code)
    start_date = timezone.now() - schedule.interval if operation.schedule_covers_interval else None
    try:
        return run_now(schedule.configuration, code, trigger=Run.Trigger.SCHEDULE, start_date=start_date)
    except RunLocked:
        return None


# The transmits, as operations of the channels that export learner data or courses


def _transmitted(result) -> Run:
    if result.status == "locked":
        raise RunLocked(result.error)
    return Run.objects.get(pk=result.run_id)


def send_learner_data(configuration, *, trigger, start_date=None, api_user=None, run=None) -> Run:
    return _transmitted(
        transmission.transmit_learner_data(
            configuration=configuration, trigger=trigger, start_date=start_date, api_user=api_user, run=run
        )
    )


def send_content_metadata(configuration, *, trigger, start_date=None, api_user=None, run=None) -> Run:
    return _transmitted(
        transmission.transmit_content_metadata(configuration=configuration, trigger=trigger, api_user=api_user, run=run)
    )


def send_subsection_grades(configuration, *, trigger, start_date=None, api_user=None, run=None) -> Run:
    """Assessment-level data: a grade per graded subsection (channels with a ``subsection_exporter``)."""
    return _transmitted(
        transmission.transmit_subsection_grades(
            configuration=configuration, trigger=trigger, api_user=api_user, run=run
        )
    )
