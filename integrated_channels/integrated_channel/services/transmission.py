"""One run of one channel configuration: select, send, audit, report.

``transmit_learner_data`` and ``transmit_content_metadata`` take the configuration's run lock,
ask the channel's exporter for the records to send (set-based), hand them to the channel's
client in batches of its size, and write after every call, in one transaction, the audit rows of
that call's records, the error-report lines of its failures and the unlinking of learners the
remote system reports inactive. Nothing is lost: every record considered ends up sent, skipped
(counted by reason), failed (in the error report) or not attempted (in the error report, when the
run stops early), and the counts add up (a database check holds it).
"""

from __future__ import annotations

import logging
import time
from collections import Counter

from django.db import transaction
from django.utils import timezone

from enterprise import redaction
from enterprise.services.linking import unlink_users
from integrated_channels.integrated_channel.app_settings import channel_settings
from integrated_channels.integrated_channel.exceptions import (
    ChannelConfigurationError,
    ChannelError,
    InactiveLearner,
    RunLocked,
    RunLockLost,
    TooManyFailures,
)
from integrated_channels.integrated_channel.exporters.records import Record, SkipReason
from integrated_channels.integrated_channel.models import (
    ContentTransmissionAudit,
    LearnerDataTransmissionAudit,
    Run,
    RunError,
    SubsectionGradeTransmissionAudit,
    TransmissionStatus,
)
from integrated_channels.integrated_channel.models.run import redactor_of
from integrated_channels.integrated_channel.registry import CONTENT_METADATA, LEARNER_DATA, SUBSECTION_GRADES
from integrated_channels.integrated_channel.services import changes, runs
from integrated_channels.integrated_channel.services.results import LOCKED, Progress, RunResult
from integrated_channels.integrated_channel.transports.base import Outcome

logger = logging.getLogger(__name__)

AUDIT_FIELDS = [
    "status",
    "payload_hash",
    "payload",
    "attempts",
    "error_code",
    "last_error",
    "remote_status",
    "remote_response",
    "last_attempt_at",
    "sent_at",
    "run",
]


def transmit_learner_data(
    *,
    configuration,
    api_user=None,
    trigger: str = Run.Trigger.COMMAND,
    dry_run: bool = False,
    start_date=None,
    full: bool = False,
    progress: Progress | None = None,
    client=None,
    run: Run | None = None,
) -> RunResult:
    """Send the new or changed learner data of one configuration; one ``Run`` records it (``run``: one
    already started for it, e.g. queued by the admin).

    Only the enrollments whose inputs changed since the last successful run are considered, unless
    ``full`` or one of the reasons of ``services.changes`` says every enrollment (decision 0090).
    """
    return _transmit(
        kind=LEARNER_DATA,
        configuration=configuration,
        api_user=api_user,
        trigger=trigger,
        dry_run=dry_run,
        start_date=start_date,
        full=full,
        progress=progress,
        client=client,
        run=run,
    )


def transmit_content_metadata(
    *,
    configuration,
    api_user=None,
    trigger: str = Run.Trigger.COMMAND,
    dry_run: bool = False,
    progress: Progress | None = None,
    client=None,
    run: Run | None = None,
) -> RunResult:
    """Send the new or changed course metadata of one configuration (channels that export courses)."""
    return _transmit(
        kind=CONTENT_METADATA,
        configuration=configuration,
        api_user=api_user,
        trigger=trigger,
        dry_run=dry_run,
        start_date=None,
        full=True,
        progress=progress,
        client=client,
        run=run,
    )


def transmit_subsection_grades(
    *,
    configuration,
    api_user=None,
    trigger: str = Run.Trigger.COMMAND,
    dry_run: bool = False,
    progress: Progress | None = None,
    client=None,
    run: Run | None = None,
) -> RunResult:
    """Send the new or changed subsection grades (assessment-level data) of one configuration (decision 0340)."""
    return _transmit(
        kind=SUBSECTION_GRADES,
        configuration=configuration,
        api_user=api_user,
        trigger=trigger,
        dry_run=dry_run,
        start_date=None,
        full=True,
        progress=progress,
        client=client,
        run=run,
    )


def _transmit(
    *, kind, configuration, api_user, trigger, dry_run, start_date, full, progress, client, run=None
) -> RunResult:
    configuration = configuration.specific()
    clock = time.monotonic()
    base = {
        "configuration_id": configuration.pk,
        "customer_name": configuration.customer.name,
        "customer_uuid": str(configuration.customer_id),
        "channel": configuration.channel,
        "kind": kind,
        "dry_run": dry_run,
    }
    try:
        run = run or runs.start_run(
            configuration=configuration,
            kind=kind,
            trigger=trigger,
            api_user=api_user,
            dry_run=dry_run,
            start_date=start_date,
        )
    except RunLocked as exc:
        logger.info("%s %s for %s not started: %s", configuration.channel, kind, configuration.customer, exc)
        return RunResult(**base, status=LOCKED, run_id=getattr(exc.holder, "pk", None), error=str(exc), seconds=0.0)
    job = _Transmission(run=run, configuration=configuration, kind=kind, progress=progress or Progress(), client=client)
    job.execute(api_user=api_user, dry_run=dry_run, start_date=start_date, full=full)
    result = RunResult(
        **base,
        status=job.status,
        run_id=run.pk,
        seconds=round(time.monotonic() - clock, 3),
        error=job.error_message,
        skip_reasons=dict(job.skip_reasons),
        changes_since=job.changes_since.isoformat() if job.changes_since else None,
        full_selection_reason=job.full_reason,
        **job.counts,
    )
    logger.info(
        "%s %s run #%s for %s: %s (selected %d, sent %d, skipped %d, failed %d, not attempted %d, %d calls)",
        configuration.channel,
        kind,
        run.pk,
        configuration.customer,
        result.status,
        result.selected,
        result.sent,
        result.skipped,
        result.failed,
        result.not_attempted,
        result.remote_calls,
    )
    return result


class _Transmission:
    """The state of one run while it executes."""

    def __init__(self, *, run: Run, configuration, kind: str, progress: Progress, client=None):
        self.run = run
        self.configuration = configuration
        self.channel = configuration.get_channel()
        self.kind = kind
        self.progress = progress
        self.client = client
        self.subsections = kind == SUBSECTION_GRADES
        self.learner_data = kind == LEARNER_DATA or self.subsections  # records of learners' enrollments
        self.counts = Counter(
            dict.fromkeys(("selected", "sent", "skipped", "failed", "not_attempted", "remote_calls"), 0)
        )
        self.counts["learners_unlinked"] = 0
        self.skip_reasons: Counter = Counter()
        self.remaining: list[Record] = []  # selected, not sent yet
        self.buffer: list[Outcome] = []  # sent, not recorded yet
        self.buffer_since = 0.0
        self.consecutive_transient = 0
        self.last_beat = time.monotonic()
        self.status = Run.Status.RUNNING
        self.error_code = ""
        self.error_message = ""
        self.selection_plan: changes.SelectionPlan | None = None
        self.changes_since = None  # the incremental selection's start (None: full)
        self.full_reason = ""

    # The run

    def execute(self, *, api_user, dry_run: bool, start_date, full: bool = False) -> None:
        try:
            self._execute(api_user=api_user, dry_run=dry_run, start_date=start_date, full=full)
        except RunLockLost as exc:
            self.status, self.error_message = Run.Status.FAILED, str(exc)
            logger.error("%s", exc)
            self._flush_before_stopping()  # what was sent is recorded in the audit all the same
            return  # the run row belongs to the process that took over
        except ChannelError as exc:
            self._stop(exc.code, f"{exc.message}", exc)
        except Exception as exc:
            logger.exception("Run #%s stopped by an unexpected error", self.run.pk)
            self._stop("unexpected_error", f"Unexpected error: {type(exc).__name__}: {exc}", exc)
        finally:
            self.progress.finish()
        if self.status == Run.Status.RUNNING:
            self.status = Run.Status.COMPLETED_WITH_ERRORS if self.counts["failed"] else Run.Status.COMPLETED
        # The watermark only of a run that went through: failed records are reconsidered through the audit,
        # while a run that stopped leaves records not attempted, so the next one starts from the last watermark.
        succeeded = self.status in (Run.Status.COMPLETED, Run.Status.COMPLETED_WITH_ERRORS)
        plan = self.selection_plan
        runs.finish_run(
            self.run,
            status=self.status,
            error_code=self.error_code,
            error_message=self.error_message,
            skip_reasons=dict(self.skip_reasons),
            changes_since=self.changes_since,
            full_selection_reason=self.full_reason,
            watermark=plan.watermark if plan is not None and succeeded else None,
            **self.counts,
        )

    def _execute(self, *, api_user, dry_run: bool, start_date, full: bool = False) -> None:
        if self.subsections:
            exporter_class = self.channel.get_subsection_exporter_class()
        elif self.learner_data:
            exporter_class = self.channel.get_learner_exporter_class()
        else:
            exporter_class = self.channel.get_content_exporter_class()
        if exporter_class is None:
            what = "assessment grades" if self.subsections else "content metadata"
            raise ChannelConfigurationError(f"{self.channel.name} exports no {what}.")
        exporter = exporter_class(configuration=self.configuration, api_user=api_user, start_date=start_date)
        if self.subsections:
            selection = exporter.select()
        elif self.learner_data:
            self.selection_plan = changes.plan_selection(
                configuration=self.configuration, now=exporter.now, full=full, start_date=start_date, dry_run=dry_run
            )
            self.full_reason = self.selection_plan.reason
            selection = exporter.select(since=self.selection_plan.since)
            self.changes_since = selection.since
            self.full_reason = self.full_reason or selection.full_reason
        else:
            selection = exporter.select()
        self.counts["selected"] = selection.considered
        self._skip(selection.skipped)
        self.remaining = list(selection.records)
        if dry_run:
            self._skip({SkipReason.DRY_RUN: len(self.remaining)})
            self.remaining = []
            return
        if not self.remaining:
            return
        self.progress.start(
            total=len(self.remaining),
            description=f"{self.channel.code} {self.configuration.customer.name}"[:40],
        )
        client = self.client or self.channel.get_client_class()(self.configuration, on_wait=self._on_wait)
        client.run = self.run
        if isinstance(getattr(client, "redactor", None), redaction.Redactor):
            self.run._redactor = client.redactor  # the tokens the client obtains are redacted from the run too
        try:
            self._send_all(client)
        finally:
            self.counts["remote_calls"] = client.calls
            if self.client is None:
                client.close()

    def _send_all(self, client) -> None:
        if self.subsections:
            size, send = client.learner_batch_size(), client.send_subsection_grades
        elif self.learner_data:
            size, send = client.learner_batch_size(), client.send_learner_data
        else:
            size, send = client.content_batch_size(), client.send_content_metadata
        size = max(int(size), 1)
        limit = int(channel_settings.MAX_CONSECUTIVE_FAILURES)
        while self.remaining:
            batch = self.remaining[:size]
            outcomes = send(batch)
            del self.remaining[: len(batch)]
            self.counts["remote_calls"] = client.calls
            if not self.buffer:
                self.buffer_since = time.monotonic()
            self.buffer.extend(outcomes)
            for outcome in outcomes:
                failed_transiently = outcome.error is not None and outcome.error.transient
                self.consecutive_transient = self.consecutive_transient + 1 if failed_transiently else 0
            self.progress.advance(len(batch))
            if limit and self.consecutive_transient >= limit:
                last = outcomes[-1].error
                raise TooManyFailures(
                    f"Stopped after {self.consecutive_transient} records in a row failed with transient errors; "
                    f"the last one: {last.message if last else 'unknown'}"
                )
            self._flush_if_due()
            self._beat_if_due()
        self._flush()

    # Recording what was sent: buffered, written at most AUDIT_FLUSH_RECORDS / AUDIT_FLUSH_SECONDS apart

    def _flush_if_due(self) -> None:
        if len(self.buffer) >= int(channel_settings.AUDIT_FLUSH_RECORDS) or (
            time.monotonic() - self.buffer_since >= float(channel_settings.AUDIT_FLUSH_SECONDS)
        ):
            self._flush()

    def _flush(self) -> None:
        if self.buffer:
            self._record(self.buffer)
            self.buffer = []

    def _flush_before_stopping(self) -> None:
        """Record what was sent; if even that fails, those records count as not attempted (sent again next run)."""
        try:
            self._flush()
        except Exception:
            logger.exception("Run #%s could not record %d sent record(s)", self.run.pk, len(self.buffer))
            self.remaining[:0] = [outcome.record for outcome in self.buffer]
            self.buffer = []

    def _stop(self, code: str, message: str, exc: Exception) -> None:
        """The run cannot go on: the records not sent yet are reported, and the run failed."""
        self._flush_before_stopping()
        message = redactor_of(self.run)(message)
        self.status, self.error_code, self.error_message = Run.Status.FAILED, code, message
        logger.error("Run #%s of %s failed: %s", self.run.pk, self.configuration, message)
        lines = [
            RunError(
                run=self.run,
                outcome=RunError.Outcome.RUN,
                code=code,
                status_code=getattr(exc, "status_code", None),
                message=message,
                transient=bool(getattr(exc, "transient", False)),
            )
        ]
        reason = f"Not sent: the run stopped ({message})"
        lines += [
            self._line(record, RunError.Outcome.NOT_ATTEMPTED, code=code, message=reason) for record in self.remaining
        ]
        RunError.objects.bulk_create(lines, batch_size=1000)
        self.counts["not_attempted"] += len(self.remaining)
        self.progress.advance(len(self.remaining))
        self.remaining = []

    # Heartbeats

    def _beat_if_due(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self.last_beat >= float(channel_settings.HEARTBEAT_INTERVAL):
            runs.heartbeat(self.run, skip_reasons=dict(self.skip_reasons), **self.counts)
            self.last_beat = now

    def _on_wait(self, seconds: float) -> None:
        """Called by the client before it waits (rate limit, Retry-After): record, keep the lock fresh."""
        if seconds >= 1:
            self._flush()
        self._beat_if_due(force=seconds >= 1)

    # Recording

    def _skip(self, reasons) -> None:
        for reason, count in reasons.items():
            if count:
                self.skip_reasons[reason] += count
                self.counts["skipped"] += count

    def _line(self, record: Record, outcome: str, **fields) -> RunError:
        return RunError(
            run=self.run,
            outcome=outcome,
            enrollment_id=record.enrollment_id,
            username=record.username,
            email=record.email,
            remote_id=record.remote_id,
            course_id=record.course_id,
            **fields,
        )

    def _record(self, outcomes: list[Outcome]) -> None:
        """Write the audit, error lines and unlinks of these outcomes in one transaction; counts change
        only once they are saved."""
        now = timezone.now()
        redact = redactor_of(self.run)  # behind the transports' own redaction (decision 0150)
        audits, lines, inactive = [], [], []
        sent = failed = 0
        for outcome in outcomes:
            record, error = outcome.record, outcome.error
            fields = {
                "payload_hash": record.payload_hash,
                "payload": record.payload,
                "attempts": record.attempts,
                "last_attempt_at": now,
                "run": self.run,
            }
            if error is None:
                sent += 1
                fields.update(
                    status=TransmissionStatus.SENT,
                    sent_at=now,
                    error_code="",
                    last_error="",
                    remote_status=outcome.status_code,
                    remote_response=redact(outcome.response_summary),
                )
            else:
                failed += 1
                unlink = self.learner_data and isinstance(error, InactiveLearner) and record.user_id is not None
                if unlink:
                    inactive.append(record)
                message = redact(error.message)
                fields.update(
                    status=TransmissionStatus.FAILED,
                    sent_at=None,
                    error_code=error.code,
                    last_error=message,
                    remote_status=error.status_code,
                    remote_response=redact(error.response_summary),
                )
                lines.append(
                    self._line(
                        record,
                        RunError.Outcome.FAILED,
                        code=error.code,
                        status_code=error.status_code,
                        message=message,
                        transient=error.transient,
                        learner_unlinked=unlink,
                    )
                )
                logger.warning("%s: %s failed: %s", self.channel.code, record.label(), message)
            audits.append(self._audit(record, fields))
        with transaction.atomic():
            self._save_audits(audits)
            if lines:
                RunError.objects.bulk_create(lines)
            unlinked = self._unlink(inactive) if inactive else 0
        self.counts["sent"] += sent
        self.counts["failed"] += failed
        self.counts["learners_unlinked"] += unlinked

    def _audit(self, record: Record, fields: dict):
        if self.subsections:
            return SubsectionGradeTransmissionAudit(
                configuration_id=self.configuration.pk,
                enrollment_id=record.enrollment_id,
                course_id=record.course_id,
                subsection_id=record.subsection_id,
                grade=record.grade,
                **fields,
            )
        if self.learner_data:
            return LearnerDataTransmissionAudit(
                configuration_id=self.configuration.pk,
                enrollment_id=record.enrollment_id,
                course_id=record.course_id,
                remote_id=record.remote_id,
                completed=record.completed,
                grade=record.grade,
                **fields,
            )
        return ContentTransmissionAudit(
            configuration_id=self.configuration.pk,
            course_id=record.course_id,
            content_status=record.content_status,
            **fields,
        )

    def _save_audits(self, audits) -> None:
        if self.subsections:
            SubsectionGradeTransmissionAudit.objects.bulk_create(
                audits,
                update_conflicts=True,
                unique_fields=["configuration", "enrollment", "subsection_id"],
                update_fields=[*AUDIT_FIELDS, "course_id", "grade"],
            )
        elif self.learner_data:
            LearnerDataTransmissionAudit.objects.bulk_create(
                audits,
                update_conflicts=True,
                unique_fields=["configuration", "enrollment"],
                update_fields=[*AUDIT_FIELDS, "course_id", "remote_id", "completed", "grade"],
            )
        else:
            ContentTransmissionAudit.objects.bulk_create(
                audits,
                update_conflicts=True,
                unique_fields=["configuration", "course_id"],
                update_fields=[*AUDIT_FIELDS, "content_status"],
            )

    def _unlink(self, records: list[Record]) -> int:
        customer = self.configuration.customer
        count = unlink_users(customer=customer, user_ids={record.user_id for record in records})
        for record in records:
            logger.warning(
                "Unlinked learner %s (user %s, remote id %s) from %s: %s reports the user account inactive.",
                record.username,
                record.user_id,
                record.remote_id,
                customer,
                self.channel.name,
            )
        return count
