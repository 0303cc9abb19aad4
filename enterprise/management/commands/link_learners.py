"""``manage.py link_learners CUSTOMER FILE.csv``: the Manage Learners bulk upload from a terminal.

Uses the same service as the admin page and prints the same per-row report and totals. With
``--dry-run`` nothing changes (the same look-ups and decisions without writing, or, with a
course or program, the real code path rolled back: decision 0440). Exit code 1 when
the file is refused (invalid rows, too large, not UTF-8) or the enrollment is not possible.
"""

import contextlib
import os
import sys
import uuid

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from tqdm import tqdm

from enterprise.exceptions import EnterpriseError
from enterprise.models import EnterpriseCustomer
from enterprise.models.enrollment import EnrollmentSource
from enterprise.services.bulk_link import PROBLEM_STATUSES
from enterprise.services.enrollment import outcome_label
from enterprise.services.manage_learners import link_learners_from_csv


def find_customer(value: str) -> EnterpriseCustomer:
    condition = Q(slug=value)
    with contextlib.suppress(ValueError):
        condition |= Q(pk=uuid.UUID(value))
    customer = EnterpriseCustomer.objects.filter(condition).first()
    if customer is None:
        raise CommandError(f"No enterprise customer with uuid or slug {value!r}.")
    return customer


class Command(BaseCommand):
    help = (
        "Link the e-mail addresses of a CSV file (one column, header optional, UTF-8) to an enterprise customer: "
        "existing users are linked, unknown addresses become pending learners. Optionally enroll them in a course "
        "or program and notify them. Prints one line per row and the totals."
    )

    def add_arguments(self, parser):
        parser.add_argument("customer", help="The customer's uuid or slug.")
        parser.add_argument("csv_path", help="Path of the CSV file.")
        parser.add_argument("--dry-run", action="store_true", help="Show what would happen; change nothing.")
        target = parser.add_mutually_exclusive_group()
        target.add_argument("--course-id", default="", help="Enroll the learners in this course.")
        target.add_argument("--program-id", default="", help="Enroll the learners in every course of this program.")
        parser.add_argument("--mode", default="", help="Course enrollment mode (required with a course or program).")
        parser.add_argument("--notify", action="store_true", help="E-mail newly enrolled learners.")
        parser.add_argument(
            "--problems-only", action="store_true", help="Print only the rows that need attention, then the totals."
        )

    def handle(self, *args, customer, csv_path, dry_run, course_id, program_id, mode, notify, problems_only, **opts):
        customer = find_customer(customer)
        try:
            size = os.path.getsize(csv_path)
        except OSError as exc:
            raise CommandError(f"Cannot read {csv_path}: {exc.strerror}.") from exc
        with open(csv_path, "rb") as file, self._progress_bar() as bar:
            try:
                result = link_learners_from_csv(
                    customer=customer,
                    file=file,
                    size=size,
                    dry_run=dry_run,
                    course_id=course_id,
                    program_id=program_id,
                    mode=mode,
                    notify=notify,
                    source=EnrollmentSource.MANUAL,
                    progress=lambda done, total: self._advance(bar, done, total),
                )
            except EnterpriseError as exc:
                raise CommandError(exc.message) from exc
        self._print_rows(result, problems_only=problems_only)
        self._print_totals(result)
        if result.refused:
            raise CommandError(result.refused)

    def _progress_bar(self):
        """A progress bar in rows on a terminal (stderr); nothing otherwise."""
        return tqdm(total=None, unit=" rows", desc="Linking", file=sys.stderr, disable=not sys.stderr.isatty())

    @staticmethod
    def _advance(bar, done: int, total: int) -> None:
        if bar.total != total:
            bar.total = total
            bar.refresh()
        bar.update(done)

    def _print_rows(self, result, *, problems_only: bool) -> None:
        previewing = result.previewing
        for row in result.rows:
            if problems_only and row.status not in PROBLEM_STATUSES:
                continue
            label = row.status.label(dry_run=previewing) if row.status else ""
            parts = [f"line {row.line:>6}", f"{label:<30}", row.value]
            if row.message:
                parts.append(f"- {row.message}")
            if row.enrollment:
                enrollment = outcome_label(row.enrollment, dry_run=previewing)
                parts.append(f"[{enrollment}{': ' + row.enrollment_message if row.enrollment_message else ''}]")
            style = self.style.ERROR if row.status in PROBLEM_STATUSES else (lambda text: text)
            self.stdout.write(style("  ".join(parts)))
        if result.total_rows > len(result.rows):
            self.stdout.write(
                f"  ... {result.total_rows - len(result.rows):,} more row(s) not listed (the first "
                f"{len(result.rows):,} kept, problems first; see the counts below)."
            )

    def _print_totals(self, result) -> None:
        previewing = result.previewing
        heading = "Dry run: nothing was changed." if result.dry_run else "Refused." if result.refused else "Done."
        self.stdout.write("")
        self.stdout.write(self.style.MIGRATE_HEADING(heading))
        if result.target is not None:
            self.stdout.write(f"  Enrollment: {result.target}")
        if result.unenroll_target is not None:
            self.stdout.write(f"  Unenrollment from: {result.unenroll_target}")
        lines = [(status.label(dry_run=previewing), count) for status, count in result.counts.items()]
        lines += [(status.label(dry_run=previewing), count) for status, count in result.enrollment_counts.items()]
        if result.notify:
            lines.append(("to notify" if previewing else "notified", result.notifications))
        lines.append(("rows", result.total_rows))
        width = max(len(label) for label, _count in lines)
        for label, count in lines:
            self.stdout.write(f"  {label:<{width}}  {count:>8,}")
