"""Import xAPI statements now: ``manage.py xapi_import [--customer UUID] [--import ID]``."""

from django.core.management.base import BaseCommand, CommandError

from integrated_channels.integrated_channel.exceptions import RunLocked
from integrated_channels.integrated_channel.models import Run
from integrated_channels.xapi.models import XAPIImportConfiguration
from integrated_channels.xapi.services.statement_import import import_statements


class Command(BaseCommand):
    help = "Import the xAPI statement CSVs of the active imports (of active customers) from their SFTP servers now."

    def add_arguments(self, parser):
        parser.add_argument("--customer", action="append", default=[], help="Only this customer's uuid (repeatable).")
        parser.add_argument("--import", dest="ids", type=int, action="append", default=[], help="Only this import id.")

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
        failed = 0
        for configuration in configurations:
            try:
                run = import_statements(configuration=configuration, trigger=Run.Trigger.COMMAND).run
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
        if failed:
            raise CommandError(f"{failed} of {len(configurations)} import(s) failed or did not start.")
