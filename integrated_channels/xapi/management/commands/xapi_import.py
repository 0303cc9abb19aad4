"""Import xAPI statements now: ``manage.py xapi_import [--customer UUID] [--import ID]``.

On a terminal each import shows a progress bar (on stderr; ``--no-progress`` hides it); a summary
line ends the output. Exit status 1 when an import failed or could not start (one in progress).
"""

import sys

from django.core.management.base import BaseCommand, CommandError

from integrated_channels.integrated_channel.exceptions import RunLocked
from integrated_channels.integrated_channel.management.transmit import TqdmProgress
from integrated_channels.integrated_channel.models import Run
from integrated_channels.xapi.models import XAPIImportConfiguration
from integrated_channels.xapi.services.statement_import import import_statements


class Command(BaseCommand):
    help = "Import the xAPI statement CSVs of the active imports (of active customers) from their SFTP servers now."

    def add_arguments(self, parser):
        parser.add_argument("--customer", action="append", default=[], help="Only this customer's uuid (repeatable).")
        parser.add_argument("--import", dest="ids", type=int, action="append", default=[], help="Only this import id.")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar, even on a terminal.")

    def handle(self, *args, customer, ids, **options):
        configurations = XAPIImportConfiguration.objects.filter(active=True, customer__active=True).select_related(
            "customer"
        )
        if customer:
            configurations = configurations.filter(customer_id__in=customer)
        if ids:
            configurations = configurations.filter(pk__in=ids)
        configurations = list(configurations.order_by("customer__name", "pk"))
        if not configurations:
            raise CommandError("No active xAPI statement import matches.")
        show_progress = not options.get("no_progress") and self.stdout.isatty()
        failed = 0
        totals = {"imported": 0, "skipped": 0, "failed": 0}
        for configuration in configurations:
            try:
                run = import_statements(
                    configuration=configuration,
                    trigger=Run.Trigger.COMMAND,
                    progress=TqdmProgress(sys.stderr) if show_progress else None,
                ).run
            except RunLocked as exc:
                self.stderr.write(f"{configuration}: not started: {exc}")
                failed += 1
                continue
            line = (
                f"{configuration}: run #{run.pk} {run.get_status_display().lower()}: "
                f"{run.sent} imported, {run.skipped} skipped, {run.failed} failed"
            )
            if run.error_message:
                line += f" ({run.error_message})"
            self.stdout.write(line)
            failed += run.status == Run.Status.FAILED
            totals["imported"] += run.sent
            totals["skipped"] += run.skipped
            totals["failed"] += run.failed
        self.stdout.write(
            f"{len(configurations)} import(s), {failed} failed or not started: {totals['imported']} statements "
            f"imported, {totals['skipped']} skipped, {totals['failed']} failed."
        )
        if failed:
            raise CommandError(f"{failed} of {len(configurations)} import(s) failed or did not start.")
