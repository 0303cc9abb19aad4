"""Run an SFTP operation now: ``manage.py sftp_run import|export|skills [--customer UUID] [--start-date D]``,
or re-run the latest run: ``manage.py sftp_run rerun --run ID``.

On a terminal each run shows a progress bar (on stderr; ``--no-progress`` hides it); a summary line
ends the output. Exit status 1 when a run failed or could not start (another run in progress).
"""

import datetime
import sys

from django.core.management.base import BaseCommand, CommandError

from integrated_channels.integrated_channel.exceptions import RunLocked
from integrated_channels.integrated_channel.management.transmit import TqdmProgress
from integrated_channels.integrated_channel.models import Run
from integrated_channels.integrated_channel.services import run_wording
from integrated_channels.sftp.models import SFTPConfiguration
from integrated_channels.sftp.services import ondemand


class Command(BaseCommand):
    help = (
        "Import users from (import), or export learner transcripts (export) or skill achievements (skills) to, "
        "the SFTP connections of active customers now; or re-run a connection's latest run (rerun --run ID)."
    )

    def add_arguments(self, parser):
        parser.add_argument("operation", choices=[*sorted(ondemand.OPERATIONS), "rerun"])
        parser.add_argument("--run", type=int, help="rerun: the id of the run to re-run (only the latest can be).")
        parser.add_argument("--customer", action="append", default=[], help="Only this customer's uuid (repeatable).")
        parser.add_argument(
            "--start-date",
            type=datetime.date.fromisoformat,
            help="Export: first day of the range (YYYY-MM-DD), up to today. Default: 30 days ago.",
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bar, even on a terminal.")

    def progress(self, options):
        """A tqdm bar on stderr when stdout is a terminal (as ``transmit_learner_data``), else none."""
        return TqdmProgress(sys.stderr) if not options.get("no_progress") and self.stdout.isatty() else None

    def handle(self, *args, operation, customer, start_date, run=None, **options):
        if operation == "rerun":
            return self._rerun(run, options)
        configurations = SFTPConfiguration.objects.filter(active=True, customer__active=True).select_related("customer")
        if customer:
            configurations = configurations.filter(customer_id__in=customer)
        configurations = list(configurations.order_by("customer__name"))
        if not configurations:
            raise CommandError("No active SFTP connection matches.")
        failed = 0
        totals = {"done": 0, "failed": 0, "skipped": 0, "not_attempted": 0}
        for configuration in configurations:
            try:
                run = ondemand.run_now(
                    configuration=configuration,
                    operation=operation,
                    start_date=start_date,
                    progress=self.progress(options),
                )
            except RunLocked as exc:
                self.stderr.write(f"{configuration.customer}: not started: {exc}")
                failed += 1
                continue
            totals["done"] += run.sent
            totals["failed"] += run.failed
            totals["skipped"] += run.skipped
            totals["not_attempted"] += run.not_attempted
            # worded as the admin words it (decision 0220): a failed run's skipped records were left out by the
            # selection, not skipped by the failure
            self.stdout.write(f"{configuration.customer}: {run_wording.outcome(run, done='done')}")
            failed += run.status == Run.Status.FAILED
        self.stdout.write(
            f"{len(configurations)} connection(s), {failed} run(s) failed or not started: "
            f"{totals['done']} done, {totals['failed']} failed, {totals['skipped']} skipped"
            + (f", {totals['not_attempted']} not attempted." if totals["not_attempted"] else ".")
        )
        if failed:
            raise CommandError(f"{failed} of {len(configurations)} run(s) failed or did not start.")

    def _rerun(self, run_id, options):
        if not run_id:
            raise CommandError("rerun needs --run ID.")
        run = Run.objects.filter(pk=run_id).first()
        if run is None:
            raise CommandError(f"No run #{run_id}.")
        try:
            new = ondemand.rerun(run=run, trigger=Run.Trigger.COMMAND, progress=self.progress(options))
        except (ondemand.RerunRefused, RunLocked) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Run #{run.pk} re-run as {run_wording.outcome(new, done='done')}")
        if new.status == Run.Status.FAILED:
            raise CommandError(f"Run #{new.pk} failed.")
