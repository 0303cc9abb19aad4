"""The run lock: at most one running run per (configuration, kind), never stale (decision 0022).

``start_run`` inserts a ``running`` row; the partial unique index refuses a second one. When it
does, the holder is looked at: if its heartbeat is fresh the new run is refused (``RunLocked``);
if it is older than ``RUN_LOCK_EXPIRY`` its process died, so it is marked failed — by a
conditional UPDATE, so of two contenders only one takes over — and the insert is tried again.
A running run renews its heartbeat with ``heartbeat``; when that finds the run no longer
running (someone declared it abandoned), it raises ``RunLockLost`` and the run stops.
"""

from __future__ import annotations

import datetime
import logging

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from enterprise import redaction
from integrated_channels.integrated_channel.app_settings import channel_settings
from integrated_channels.integrated_channel.exceptions import RunLocked, RunLockLost
from integrated_channels.integrated_channel.models import ChannelConfiguration, Run
from integrated_channels.integrated_channel.models.run import redactor_of
from integrated_channels.integrated_channel.services import run_notifications

logger = logging.getLogger(__name__)

COUNT_FIELDS = ("selected", "sent", "skipped", "failed", "not_attempted", "remote_calls", "learners_unlinked")


def start_run(
    *,
    configuration,
    kind: str,
    trigger: str,
    api_user=None,
    dry_run: bool = False,
    start_date: datetime.datetime | None = None,
) -> Run:
    """Create the running ``Run`` of ``configuration``, or raise ``RunLocked``."""
    for _attempt in range(3):
        now = timezone.now()
        try:
            with transaction.atomic():
                run = Run.objects.create(
                    configuration_id=configuration.pk,
                    customer_id=configuration.customer_id,
                    channel=configuration.channel,
                    connection_name=configuration.name,
                    kind=kind,
                    trigger=trigger,
                    api_user=api_user,
                    dry_run=dry_run,
                    start_date=start_date,
                    started_at=now,
                    heartbeat_at=now,
                )
            if type(configuration) is not ChannelConfiguration:  # a channel's own model: its secrets
                run._redactor = redaction.for_configuration(configuration)
            # Who is told when it ends, known now: finishing it costs no query more (decision 0174).
            run.notify = run_notifications.Notify.of(configuration)
            return run
        except IntegrityError:
            holder = Run.objects.filter(configuration_id=configuration.pk, kind=kind, status=Run.Status.RUNNING).first()
            if holder is None:
                continue  # it finished meanwhile
            expiry = datetime.timedelta(seconds=float(channel_settings.RUN_LOCK_EXPIRY))
            if holder.heartbeat_at > now - expiry:
                raise RunLocked(
                    f"Run #{holder.pk} of this configuration has been running since "
                    f"{holder.started_at:%Y-%m-%d %H:%M:%S %Z} (last heartbeat {holder.heartbeat_at:%H:%M:%S}).",
                    holder=holder,
                ) from None
            abandon(holder, now=now)
    raise RunLocked("Could not start a run: the lock changed hands repeatedly.")


def abandon(run: Run, *, now: datetime.datetime) -> bool:
    """Mark a run whose heartbeat stopped as failed; False when another process did it first."""
    message = (
        f"Abandoned: no heartbeat since {run.heartbeat_at:%Y-%m-%d %H:%M:%S %Z} (the process running it stopped). "
        "Records it had not sent are selected again by the next run."
    )
    taken = Run.objects.filter(pk=run.pk, status=Run.Status.RUNNING, heartbeat_at=run.heartbeat_at).update(
        status=Run.Status.FAILED,
        finished_at=now,
        error_code="abandoned",
        error_message=message,
        # Counts are those of its last heartbeat; what it sent after that is in the audit.
        not_attempted=F("selected") - F("sent") - F("skipped") - F("failed"),
    )
    if taken:
        logger.warning("Run #%s of configuration %s was abandoned; taking over.", run.pk, run.configuration_id)
        run_notifications.run_ended(run.pk, configuration_id=run.configuration_id, status=Run.Status.FAILED)
    return bool(taken)


def heartbeat(run: Run, **counts) -> None:
    """Renew the run's heartbeat and save its counts so far; ``RunLockLost`` if it is no longer running."""
    updated = Run.objects.filter(pk=run.pk, status=Run.Status.RUNNING).update(heartbeat_at=timezone.now(), **counts)
    if not updated:
        raise RunLockLost(f"Run #{run.pk} is no longer running: another process declared it abandoned.")


def finish_run(run: Run, *, status: str, error_code: str = "", error_message: str = "", **fields) -> bool:
    """Record the run's end (status, counts, and any other field given, e.g. its ``watermark``); False when
    it had lost its lock (the row is left as the new holder set it, with no watermark)."""
    now = timezone.now()
    error_message = redactor_of(run)(error_message)
    updated = Run.objects.filter(pk=run.pk, status=Run.Status.RUNNING).update(
        status=status, finished_at=now, heartbeat_at=now, error_code=error_code, error_message=error_message, **fields
    )
    if updated:
        run.status, run.finished_at, run.error_code, run.error_message = status, now, error_code, error_message
        for name, value in fields.items():
            setattr(run, name, value)
        if not run.dry_run:
            run_notifications.run_ended(
                run.pk, configuration_id=run.configuration_id, status=status, notify=getattr(run, "notify", None)
            )
    else:
        logger.error("Run #%s finished after losing its lock; its end was not recorded.", run.pk)
    return bool(updated)


class LiveCounts:
    """Writes a running run's counts as a job advances, so the admin sees them grow (decision 0140).

    Inside the job's own transaction (an import is all-or-nothing) the counts are written by a
    second, autocommit connection to the same database: the job's transaction never touches the
    Run row, so the two never wait on each other, and the counts are visible at once. SQLite
    (development) has a single writer, so there the counts are written by the job's connection
    and show when its transaction commits. Outside a transaction, the job's connection writes them
    directly. Each write also renews the heartbeat. ``progress`` (a terminal bar) advances by the
    records processed since the last write. Best-effort: a write that finds the run no longer
    running changes nothing (``finish_run`` reports a lost lock).
    """

    def __init__(self, run: Run, *, progress=None, using: str | None = None):
        from django.db import connections, router

        self.run = run
        self.progress = progress
        self.processed = 0
        self.connection = connections[using or router.db_for_write(Run)]
        self._side = None

    def start(self, *, total: int, description: str) -> None:
        if self.progress is not None:
            self.progress.start(total=total, description=description)

    def update(self, *, processed: int | None = None, **counts) -> None:
        """Record ``counts`` (Run field → value so far); ``processed``: records done so far, for the bar."""
        for name in counts:
            if name not in COUNT_FIELDS:
                raise ValueError(f"{name!r} is not a count of Run.")
        now = timezone.now()
        if not counts:
            pass  # the bar only
        elif self.connection.in_atomic_block and self.connection.vendor != "sqlite":
            self._write_aside(now, counts)
        else:
            Run.objects.using(self.connection.alias).filter(pk=self.run.pk, status=Run.Status.RUNNING).update(
                heartbeat_at=now, **counts
            )
        for name, value in counts.items():
            setattr(self.run, name, value)
        if processed is not None and self.progress is not None:
            if processed > self.processed:
                self.progress.advance(processed - self.processed)
            self.processed = processed

    def close(self) -> None:
        if self.progress is not None:
            self.progress.finish()
        if self._side is not None:
            self._side.close()
            self._side = None

    def _write_aside(self, now: datetime.datetime, counts: dict) -> None:
        if self._side is None:
            self._side = self.connection.copy()
        quote = self._side.ops.quote_name
        meta = Run._meta
        names = ["heartbeat_at", *counts]
        assignments = ", ".join(f"{quote(meta.get_field(name).column)} = %s" for name in names)
        # Names from the model's meta, values as parameters.
        where = f"{quote(meta.pk.column)} = %s AND {quote(meta.get_field('status').column)} = %s"
        sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {where}"  # noqa: S608
        with self._side.cursor() as cursor:
            cursor.execute(sql, [now, *counts.values(), self.run.pk, Run.Status.RUNNING])
