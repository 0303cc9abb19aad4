"""Celery tasks: one run of one configuration, and the scheduled sweep that fans out to them."""

from __future__ import annotations

import datetime
import logging

from celery import shared_task
from django.contrib.auth import get_user_model

from integrated_channels.integrated_channel.app_settings import channel_settings
from integrated_channels.integrated_channel.models import ChannelConfiguration, Run
from integrated_channels.integrated_channel.registry import LEARNER_DATA
from integrated_channels.integrated_channel.services import dispatch

logger = logging.getLogger(__name__)


@shared_task(name="integrated_channels.transmit_configuration")
def transmit_configuration(
    *,
    configuration_id: int,
    kind: str = LEARNER_DATA,
    api_user_id: int | None = None,
    dry_run: bool = False,
    start_date: str | None = None,
    trigger: str = Run.Trigger.COMMAND,
    full: bool = False,
) -> dict:
    """Run one configuration; the result as a dict (``RunResult.as_dict()``)."""
    configuration = ChannelConfiguration.objects.select_related("customer").get(pk=configuration_id)
    api_user = get_user_model()._default_manager.filter(pk=api_user_id).first() if api_user_id else None
    result = dispatch.run_one(
        kind=kind,
        configuration=configuration,
        api_user=api_user,
        dry_run=dry_run,
        start_date=datetime.datetime.fromisoformat(start_date) if start_date else None,
        full=full,
        trigger=trigger,
    )
    return result.as_dict()


@shared_task(name="integrated_channels.transmit_all")
def transmit_all(*, kind: str = LEARNER_DATA, api_username: str | None = None) -> int:
    """For Celery beat: queue one run per active configuration (trigger "schedule"); return how many."""
    api_user = dispatch.resolve_api_user(api_username) if api_username else None
    configurations = dispatch.plan(kind=kind)
    options = {"queue": channel_settings.CELERY_QUEUE} if channel_settings.CELERY_QUEUE else {}
    for configuration in configurations:
        transmit_configuration.apply_async(
            kwargs={
                "configuration_id": configuration.pk,
                "kind": kind,
                "api_user_id": getattr(api_user, "pk", None),
                "trigger": Run.Trigger.SCHEDULE,
            },
            **options,
        )
    logger.info("Queued %d %s runs", len(configurations), kind)
    return len(configurations)


@shared_task(name="integrated_channels.notify_run_end")
def notify_run_end(*, run_id: int) -> int:
    """E-mail a connection's contacts that its run ended; how many addresses were sent to."""
    from integrated_channels.integrated_channel.services.run_notifications import send_run_notification

    return send_run_notification(run_id=run_id)


@shared_task(name="integrated_channels.run_queued_operation")
def run_queued_operation(*, run_id: int) -> int | None:
    """Do the work of an operation run the admin (or the API) started and queued; None when no longer running."""
    from integrated_channels.integrated_channel.services import operations

    run = operations.run_queued(run_id)
    return run.pk if run is not None else None


@shared_task(name="integrated_channels.run_scheduled_operation")
def run_scheduled_operation(*, configuration_id: int, operation: str) -> int | None:
    """One scheduled run of a connection's operation (Celery beat); the id of its run, None when not started."""
    from integrated_channels.integrated_channel.services import operations

    run = operations.run_scheduled(configuration_id, operation)
    return run.pk if run is not None else None
