"""``manage.py connections apply FILE.json [--dry-run]``, ``manage.py connections export [--customer X]
[--connector C] [--output FILE]``: connections as code; ``manage.py connections docs`` writes docs/connectors/."""

from __future__ import annotations

import sys
import uuid

from django.core.management.base import BaseCommand, CommandError

from enterprise.models import EnterpriseCustomer
from integrated_channels.integrated_channel.registry import registry
from integrated_channels.integrated_channel.services import connection_files


class Command(BaseCommand):
    help = (
        "Create or update connections from a JSON file (idempotent, all or nothing), or export them as one "
        "(without credentials). Field names per connector: docs/connectors/."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        apply = actions.add_parser("apply", help="Create or update the connections of FILE (- reads stdin).")
        apply.add_argument("file")
        apply.add_argument("--dry-run", action="store_true", help="Show what would change; save nothing.")
        export = actions.add_parser("export", help="Write connections as JSON, without credentials.")
        export.add_argument("--customer", help="A customer's uuid or slug.")
        export.add_argument("--connector", choices=registry.codes(), type=str.upper, help="A connector's code.")
        export.add_argument("--output", "-o", help="Write to this file instead of standard output.")
        docs = actions.add_parser("docs", help="Write docs/connectors/ (a page per connector) from the models.")
        docs.add_argument("--output", "-o", default="docs/connectors", help="The folder (default docs/connectors).")

    def handle(self, *args, **options):
        if options["action"] == "apply":
            self.apply(options["file"], dry_run=options["dry_run"])
        elif options["action"] == "docs":
            self.docs(options["output"])
        else:
            self.export(customer=options["customer"], connector=options["connector"], output=options["output"])

    def apply(self, path: str, *, dry_run: bool) -> None:
        try:
            text = sys.stdin.read() if path == "-" else open(path, encoding="utf-8").read()  # noqa: SIM115
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}.") from None
        try:
            result = connection_files.apply(connection_files.load(text), dry_run=dry_run)
        except connection_files.ConnectionFileRefused as exc:
            raise CommandError("Nothing was saved:\n" + "\n".join(f"  {error}" for error in exc.errors)) from None
        prefix = "would be " if dry_run else ""
        for change in result.changes:
            action = change.action if not dry_run or change.action == "unchanged" else prefix + change.action
            self.stdout.write(str(change).replace(change.action, action, 1))
        counts = result.counts()
        summary = ", ".join(
            f"{count} {prefix if action != 'unchanged' else ''}{action}" for action, count in counts.items()
        )
        self.stdout.write(("Dry run (nothing saved): " if dry_run else "") + summary + ".")

    def docs(self, folder: str) -> None:
        from pathlib import Path

        from integrated_channels.integrated_channel.connector_docs import render_all

        target = Path(folder)
        target.mkdir(parents=True, exist_ok=True)
        for name, text in render_all().items():
            (target / name).write_text(text, encoding="utf-8")
            self.stdout.write(f"wrote {target / name}")

    def export(self, *, customer: str | None, connector: str | None, output: str | None) -> None:
        customers = None
        if customer:
            try:
                customers = EnterpriseCustomer.objects.filter(pk=uuid.UUID(customer))
            except ValueError:
                customers = EnterpriseCustomer.objects.filter(slug=customer)
            if not customers.exists():
                raise CommandError(f"No customer {customer!r}.")
        text = connection_files.dumps(connection_files.export(customers=customers, connector=connector))
        if output:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text)
        else:
            self.stdout.write(text, ending="")
