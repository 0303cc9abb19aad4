"""What ``transmit_learner_data`` and ``transmit_content_metadata`` share: arguments, progress, summary, exit code.

Exit status: 0 when every run completed (or was skipped because another run of the same
configuration was in progress); 1 when a run failed; 2 for a usage error (unknown user, customer
or channel); 3 when runs completed but some records failed (see their error reports).
"""

from __future__ import annotations

import datetime
import sys
import uuid

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django.utils import timezone

from enterprise.models import EnterpriseCustomer
from integrated_channels.integrated_channel.exceptions import ChannelConfigurationError
from integrated_channels.integrated_channel.models import Run
from integrated_channels.integrated_channel.registry import LEARNER_DATA, registry
from integrated_channels.integrated_channel.services import dispatch
from integrated_channels.integrated_channel.services.results import LOCKED, Progress, RunResult

EXIT_RUN_FAILED = 1
EXIT_USAGE = 2
EXIT_RECORD_ERRORS = 3

COLUMNS = (
    ("Customer", "customer_name", "<"),
    ("Channel", "channel", "<"),
    ("Run", "run_id", ">"),
    ("Status", "status", "<"),
    ("Selected", "selected", ">"),
    ("Sent", "sent", ">"),
    ("Skipped", "skipped", ">"),
    ("Failed", "failed", ">"),
    ("Not sent", "not_attempted", ">"),
    ("Calls", "remote_calls", ">"),
    ("Seconds", "seconds", ">"),
)


def customer_reference(value: str) -> str:
    """A customer's UUID (normalised) or slug, as ``unenroll_learners`` takes it."""
    value = value.strip()
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return value


def resolve_customers(references: list[str]) -> list[str]:
    """The UUIDs of the customers named by UUID or slug; ``CommandError`` (usage) naming the unknown ones."""
    if not references:
        return []
    uuids = [ref for ref in references if _is_uuid(ref)]
    found = EnterpriseCustomer.objects.filter(Q(pk__in=uuids) | Q(slug__in=references)).values_list("pk", "slug")
    by_reference = {}
    for pk, slug in found:
        by_reference[str(pk)] = str(pk)
        by_reference[slug] = str(pk)
    unknown = [ref for ref in references if ref not in by_reference]
    if unknown:
        raise CommandError(
            f"Unknown enterprise customer(s) (no such UUID or slug): {', '.join(unknown)}.", returncode=EXIT_USAGE
        )
    return list(dict.fromkeys(by_reference[ref] for ref in references))


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def start_date(value: str) -> datetime.datetime:
    date = datetime.date.fromisoformat(value)
    return timezone.make_aware(datetime.datetime.combine(date, datetime.time.min))


class TqdmProgress(Progress):
    def __init__(self, stream):
        self.stream = stream
        self.bar = None

    def start(self, *, total, description):
        from tqdm import tqdm

        self.bar = tqdm(total=total, desc=description, unit="rec", file=self.stream, leave=False, dynamic_ncols=True)

    def advance(self, count):
        if self.bar is not None:
            self.bar.update(count)

    def finish(self):
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class TransmitCommand(BaseCommand):
    kind = LEARNER_DATA
    accepts_start_date = False

    def add_arguments(self, parser):
        parser.add_argument(
            "--api_user",
            "--api-user",
            dest="api_user",
            required=True,
            metavar="USERNAME",
            help="Staff user whose identity calls to the learning platform use.",
        )
        parser.add_argument(
            "--enterprise-customer",
            "--enterprise_customer",
            dest="customers",
            action="append",
            type=customer_reference,
            metavar="UUID_OR_SLUG",
            help="Only this customer, by UUID or slug (repeat for several). Default: every active customer.",
        )
        parser.add_argument(
            "--channel",
            dest="channels",
            action="append",
            type=str.upper,
            choices=registry.codes(),
            metavar="CODE",
            help=f"Only this channel (repeat for several): {', '.join(registry.codes()) or 'none registered'}.",
        )
        parser.add_argument(
            "--dry-run",
            "--dry_run",
            dest="dry_run",
            action="store_true",
            help="Select and format the records, send nothing (a run is still recorded).",
        )
        if self.accepts_start_date:
            parser.add_argument(
                "--start-date",
                "--start_date",
                dest="start_date",
                type=start_date,
                metavar="YYYY-MM-DD",
                help="Only records completed on or after this date.",
            )
            parser.add_argument(
                "--full",
                action="store_true",
                help="Consider every enrollment, not only those whose data changed since the last successful run.",
            )
        parser.add_argument("--no-progress", action="store_true", help="No progress bar, even on a terminal.")

    def handle(self, *args, **options):
        try:
            api_user = dispatch.resolve_api_user(options["api_user"])
        except ChannelConfigurationError as exc:
            raise CommandError(exc.message, returncode=EXIT_USAGE) from exc
        customers = resolve_customers(options["customers"] or [])

        show_progress = not options["no_progress"] and self.stdout.isatty()
        results = dispatch.transmit(
            kind=self.kind,
            api_user=api_user,
            customer_uuids=customers,
            channel_codes=options["channels"],
            dry_run=options["dry_run"],
            start_date=options.get("start_date"),
            full=options.get("full", False),
            trigger=Run.Trigger.COMMAND,
            progress_factory=(lambda: TqdmProgress(sys.stderr)) if show_progress else None,
            on_dispatched=lambda count: self.stdout.write(f"Dispatched {count} run(s) to Celery workers; waiting."),
        )
        self.write_summary(results)
        failed = [r for r in results if r.run_failed]
        if failed:
            raise CommandError(
                f"{len(failed)} of {len(results)} run(s) failed: "
                + "; ".join(f"{r.customer_name} / {r.channel}: {r.error}" for r in failed),
                returncode=EXIT_RUN_FAILED,
            )
        with_errors = [r for r in results if r.had_errors]
        if with_errors:
            raise CommandError(
                f"{sum(r.failed for r in with_errors)} record(s) failed in {len(with_errors)} run(s); "
                "see the runs' error reports in the admin.",
                returncode=EXIT_RECORD_ERRORS,
            )

    def write_summary(self, results: list[RunResult]) -> None:
        if not results:
            self.stdout.write("No active channel configuration of an active customer matches.")
            return
        rows = [[self._cell(result, attr) for _title, attr, _align in COLUMNS] for result in results]
        widths = [max(len(title), *(len(row[i]) for row in rows)) for i, (title, _a, _b) in enumerate(COLUMNS)]

        def line(cells):
            return "  ".join(
                f"{cell:{align}{width}}" for cell, width, (_t, _a, align) in zip(cells, widths, COLUMNS, strict=True)
            )

        self.stdout.write(line([title for title, _attr, _align in COLUMNS]))
        self.stdout.write("  ".join("-" * width for width in widths))
        for row in rows:
            self.stdout.write(line(row))
        for result in results:
            reasons = ", ".join(
                f"{count} {reason.replace('_', ' ')}" for reason, count in sorted(result.skip_reasons.items())
            )
            if reasons:
                self.stdout.write(f"{result.customer_name} / {result.channel}: skipped {reasons}.")
            if result.error:
                self.stdout.write(f"{result.customer_name} / {result.channel}: {result.error}")
        totals = {name: sum(getattr(r, name) for r in results) for name in ("sent", "failed", "selected")}
        incremental = sum(1 for r in results if r.changes_since)
        note = f" ({incremental} considered only what changed since their last successful run)" if incremental else ""
        self.stdout.write(
            f"{len(results)} run(s): {totals['selected']} selected, {totals['sent']} sent, {totals['failed']} failed"
            f"{note}."
        )

    @staticmethod
    def _cell(result: RunResult, attr: str) -> str:
        value = getattr(result, attr)
        if attr == "status":
            if value == LOCKED:
                return "locked (another run in progress)"
            return Run.Status(value).label.lower() + (" (dry run)" if result.dry_run else "")
        if attr == "run_id":
            return f"#{value}" if value else "-"
        if attr == "seconds":
            return f"{value:.1f}"
        return str(value)
