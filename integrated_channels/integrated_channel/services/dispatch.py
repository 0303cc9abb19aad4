"""Which configurations a transmit runs for, and where: in-process, or one Celery task per (customer, channel).

A configuration is unique per (customer, channel) in the database, so one task per configuration
is one task per (customer, channel): workers spread the work, and the run lock keeps any
configuration from running twice at once whatever the number of workers (decision 0021).
"""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Callable, Iterable

from django.contrib.auth import get_user_model
from django.db import transaction

from integrated_channels.integrated_channel.app_settings import channel_settings
from integrated_channels.integrated_channel.exceptions import ChannelConfigurationError
from integrated_channels.integrated_channel.models import ChannelConfiguration, Run, RunError
from integrated_channels.integrated_channel.registry import CONTENT_METADATA, SUBSECTION_GRADES, registry
from integrated_channels.integrated_channel.services import runs, transmission
from integrated_channels.integrated_channel.services.results import Progress, RunResult


def resolve_api_user(username: str):
    """The staff user named by ``--api_user``, or ``ChannelConfigurationError`` saying what is wrong."""
    user = get_user_model()._default_manager.filter(**{get_user_model().USERNAME_FIELD: username}).first()
    if user is None:
        raise ChannelConfigurationError(f"--api_user {username!r}: no such user.")
    if not (user.is_active and user.is_staff):
        raise ChannelConfigurationError(f"--api_user {username!r} must be an active staff user.")
    return user


def plan(
    *,
    kind: str,
    customer_uuids: Iterable[str] | None = None,
    channel_codes: Iterable[str] | None = None,
    configuration_ids: Iterable[int] | None = None,
) -> list[ChannelConfiguration]:
    """The active configurations of active customers to run, as their channels' own models."""
    queryset = ChannelConfiguration.objects.transmittable().order_by("customer__name", "channel", "pk")
    if customer_uuids:
        queryset = queryset.filter(customer_id__in=list(customer_uuids))
    if configuration_ids is not None:
        queryset = queryset.filter(pk__in=list(configuration_ids))
    codes = [code.upper() for code in channel_codes or []] or registry.codes()
    if kind == CONTENT_METADATA:
        codes = [code for code in codes if registry.get(code).exports_content]
    elif kind == SUBSECTION_GRADES:
        codes = [code for code in codes if registry.get(code).exports_subsection_grades]
    else:
        codes = [code for code in codes if registry.get(code).exports_learner_data]
    return queryset.filter(channel__in=codes).specific()


def use_celery() -> bool:
    forced = channel_settings.USE_CELERY
    if forced is not None:
        return bool(forced)
    from celery import current_app

    conf = current_app.conf
    return bool(conf.broker_url) and not conf.task_always_eager


logger = logging.getLogger(__name__)


def queue_started_run(*, run: Run, task, kwargs: dict) -> None:
    """Send ``task`` (a Celery task working on the already-started ``run``) once the transaction commits.

    The run was started by the caller, so it holds the run lock from now on: a second request
    is refused while it waits in the queue or runs. A broker that refuses the task fails the run.
    """
    options = {"queue": channel_settings.CELERY_QUEUE} if channel_settings.CELERY_QUEUE else {}

    def send() -> None:
        try:
            task.apply_async(kwargs=kwargs, **options)
        except Exception as exc:  # the broker is down or refuses it
            logger.exception("Run #%s could not be queued", run.pk)
            message = f"The run could not be queued on Celery: {type(exc).__name__}: {exc}"
            RunError.objects.create(run=run, outcome=RunError.Outcome.RUN, code="not_queued", message=message)
            runs.finish_run(run, status=Run.Status.FAILED, error_code="not_queued", error_message=message)

    transaction.on_commit(send)


def run_one(*, kind: str, **kwargs) -> RunResult:
    if kind == CONTENT_METADATA:
        kwargs.pop("start_date", None)
        kwargs.pop("full", None)
        return transmission.transmit_content_metadata(**kwargs)
    if kind == SUBSECTION_GRADES:
        kwargs.pop("start_date", None)
        kwargs.pop("full", None)
        return transmission.transmit_subsection_grades(**kwargs)
    return transmission.transmit_learner_data(**kwargs)


def transmit(
    *,
    kind: str,
    api_user=None,
    customer_uuids: Iterable[str] | None = None,
    channel_codes: Iterable[str] | None = None,
    configuration_ids: Iterable[int] | None = None,
    dry_run: bool = False,
    start_date: datetime.datetime | None = None,
    full: bool = False,
    trigger: str = Run.Trigger.COMMAND,
    progress_factory: Callable[[], Progress] | None = None,
    on_result: Callable[[RunResult], None] | None = None,
    on_dispatched: Callable[[int], None] | None = None,
    wait: bool = True,
) -> list[RunResult]:
    """Run every planned configuration; return their results (in the plan's order).

    With Celery, one task per configuration is queued; ``wait=False`` returns at once (no
    results: the runs appear in the admin as they start).
    """
    configurations = plan(
        kind=kind, customer_uuids=customer_uuids, channel_codes=channel_codes, configuration_ids=configuration_ids
    )
    common = {
        "kind": kind,
        "api_user": api_user,
        "dry_run": dry_run,
        "start_date": start_date,
        "full": full,
        "trigger": trigger,
    }
    if configurations and use_celery():
        return _fan_out(configurations, on_result=on_result, on_dispatched=on_dispatched, wait=wait, **common)
    results = []
    for configuration in configurations:
        progress = progress_factory() if progress_factory else None
        result = run_one(configuration=configuration, progress=progress, **common)
        if on_result:
            on_result(result)
        results.append(result)
    return results


def _fan_out(configurations, *, kind, api_user, dry_run, start_date, full, trigger, on_result, on_dispatched, wait):
    from integrated_channels.integrated_channel.tasks import transmit_configuration

    options = {"queue": channel_settings.CELERY_QUEUE} if channel_settings.CELERY_QUEUE else {}
    pending = []
    for configuration in configurations:
        signature = transmit_configuration.s(
            configuration_id=configuration.pk,
            kind=kind,
            api_user_id=getattr(api_user, "pk", None),
            dry_run=dry_run,
            start_date=start_date.isoformat() if start_date else None,
            full=full,
            trigger=trigger,
        )
        pending.append((configuration, signature.apply_async(**options)))
    if on_dispatched:
        on_dispatched(len(pending))
    if not wait:
        return []
    deadline = time.monotonic() + float(channel_settings.TASK_RESULT_TIMEOUT)
    results = []
    for configuration, async_result in pending:
        try:
            value = async_result.get(timeout=max(deadline - time.monotonic(), 0.1), propagate=False)
        except Exception as exc:  # celery's TimeoutError, a broken backend
            value = exc
        if isinstance(value, dict):
            result = RunResult.from_dict(value)
        else:
            result = RunResult(
                configuration_id=configuration.pk,
                customer_name=configuration.customer.name,
                customer_uuid=str(configuration.customer_id),
                channel=configuration.channel,
                kind=kind,
                status=Run.Status.FAILED,
                dry_run=dry_run,
                error=f"Task {async_result.id} gave no result: {type(value).__name__}: {value}",
            )
        if on_result:
            on_result(result)
        results.append(result)
    return results
