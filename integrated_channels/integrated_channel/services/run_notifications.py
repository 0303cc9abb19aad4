"""The e-mail told to a connection's contact addresses when one of its runs ends (decision 0174).

Each connection chooses which endings are told (``notify_when``: never, failures, failures and
runs with errors, every run) and to whom (``notify_emails``). ``run_ended`` is called by the run
lock's ``finish_run`` / ``abandon`` — the one place every run of every connector ends — and sends
after the transaction commits: on a Celery worker when a broker is configured, in-process
otherwise. A rolled-back run therefore tells nobody. The e-mail gives the counts, the error, and
links to the run's page and its error report (``ADMIN_ROOT_URL``); dry runs are never told.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse

from integrated_channels.integrated_channel.app_settings import channel_settings
from integrated_channels.integrated_channel.models import ChannelConfiguration, Run
from integrated_channels.integrated_channel.models.configuration import split_emails

logger = logging.getLogger(__name__)
NotifyWhen = ChannelConfiguration.NotifyWhen

TOLD = {
    NotifyWhen.NEVER: frozenset(),
    NotifyWhen.FAILURES: frozenset({Run.Status.FAILED}),
    NotifyWhen.ERRORS: frozenset({Run.Status.FAILED, Run.Status.COMPLETED_WITH_ERRORS}),
    NotifyWhen.ALWAYS: frozenset({Run.Status.FAILED, Run.Status.COMPLETED_WITH_ERRORS, Run.Status.COMPLETED}),
}


def should_notify(notify_when: str, status: str) -> bool:
    return status in TOLD.get(notify_when, frozenset())


@dataclass(frozen=True)
class Notify:
    """A connection's choice, read when its run starts (so that finishing the run costs no query)."""

    when: str
    emails: str

    @classmethod
    def of(cls, configuration) -> Notify:
        return cls(
            when=getattr(configuration, "notify_when", NotifyWhen.NEVER),
            emails=getattr(configuration, "notify_emails", ""),
        )


def run_ended(run_id: int, *, configuration_id: int | None, status: str, notify: Notify | None = None) -> bool:
    """Queue the e-mail of run ``run_id`` for after commit when its connection asks for it; True if queued.

    ``notify``: the connection's choice when known (read from the database otherwise)."""
    if configuration_id is None:
        return False
    if notify is None:
        found = ChannelConfiguration.objects.filter(pk=configuration_id).values_list("notify_when", "notify_emails")
        notify = next((Notify(*row) for row in found[:1]), None)
    if notify is None or not should_notify(notify.when, status) or not split_emails(notify.emails):
        return False
    transaction.on_commit(partial(_dispatch, run_id))
    return True


def _dispatch(run_id: int) -> None:
    from integrated_channels.integrated_channel.services.dispatch import use_celery
    from integrated_channels.integrated_channel.tasks import notify_run_end

    if use_celery():
        options = {"queue": channel_settings.CELERY_QUEUE} if channel_settings.CELERY_QUEUE else {}
        notify_run_end.apply_async(kwargs={"run_id": run_id}, **options)
        return
    try:
        send_run_notification(run_id=run_id)
    except Exception:  # the run has ended whatever the mail server says
        logger.exception("The notification of run #%s could not be sent", run_id)


@dataclass(frozen=True)
class RunEmail:
    subject: str
    body: str
    to: list[str]


def absolute(path: str) -> str:
    return channel_settings.ADMIN_ROOT_URL.rstrip("/") + path


def build_email(run: Run, configuration: ChannelConfiguration) -> RunEmail:
    status = run.get_status_display()
    connection = f"{run.channel_name()} connection “{run.connection_name}”"
    subject = f"{run.customer.name}: {run.kind_label} of {connection}: {status.lower()}"
    lines = [
        f"Customer: {run.customer.name}",
        f"Connection: {connection}",
        f"Operation: {run.kind_label}",
        f"Run: #{run.pk} ({run.get_trigger_display()})",
        f"Status: {status}",
        f"Started: {run.started_at:%Y-%m-%d %H:%M:%S %Z}",
        f"Duration: {str(run.duration).split('.')[0] if run.duration is not None else '-'}",
        "",
        f"Records considered: {run.selected}",
        f"Done: {run.sent}",
        f"Skipped: {run.skipped}",
        f"Failed: {run.failed}",
        f"Not attempted: {run.not_attempted}",
    ]
    if run.error_message:
        lines += ["", f"Error: {run.error_message}"]
    lines += [
        "",
        f"Error report (CSV): {absolute(reverse('admin:integrated_channel_run_error_report', args=[run.pk]))}",
        f"Run: {absolute(reverse('admin:integrated_channel_run_change', args=[run.pk]))}",
    ]
    return RunEmail(subject=subject[:255], body="\n".join(lines) + "\n", to=configuration.notify_addresses())


def send_run_notification(*, run_id: int) -> int:
    """Send the e-mail of a run that ended; how many addresses it went to (0: nothing to tell)."""
    run = Run.objects.select_related("customer", "configuration").filter(pk=run_id).first()
    if run is None or run.configuration is None or run.status == Run.Status.RUNNING:
        return 0
    configuration = run.configuration
    if not should_notify(configuration.notify_when, run.status) or not configuration.notify_addresses():
        return 0
    email = build_email(run, configuration)
    send_mail(email.subject, email.body, settings.DEFAULT_FROM_EMAIL, email.to)
    return len(email.to)
