"""``manage.py unenroll_learners CUSTOMER FILE.csv --course-id ID``: unenroll learners from a terminal.

The same service as the Manage Learners page and the REST API (``services.unenrollment``), the same
per-row report and totals as ``link_learners``. With ``--dry-run`` nothing changes. Exit code 1 when
the file is refused (invalid rows, too large, not UTF-8) or the course/program is not usable.
"""

import os

from django.core.management.base import CommandError

from enterprise.exceptions import EnterpriseError
from enterprise.management.commands import link_learners
from enterprise.services.unenrollment import unenroll_learners_from_csv


class Command(link_learners.Command):
    help = (
        "Unenroll the learners of a CSV file of e-mail addresses (one column, header optional, UTF-8) from a course "
        "or every course of a program: their LMS enrollment is deactivated and their enterprise enrollment kept as "
        "unenrolled (channels then tell their remote systems). Prints one line per row and the totals."
    )

    def add_arguments(self, parser):
        parser.add_argument("customer", help="The customer's uuid or slug.")
        parser.add_argument("csv_path", help="Path of the CSV file.")
        parser.add_argument("--dry-run", action="store_true", help="Show what would happen; change nothing.")
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--course-id", default="", help="Unenroll the learners from this course.")
        target.add_argument("--program-id", default="", help="Unenroll them from every course of this program.")
        parser.add_argument(
            "--problems-only", action="store_true", help="Print only the rows that need attention, then the totals."
        )

    def handle(self, *args, customer, csv_path, dry_run, course_id, program_id, problems_only, **opts):
        customer = link_learners.find_customer(customer)
        try:
            size = os.path.getsize(csv_path)
        except OSError as exc:
            raise CommandError(f"Cannot read {csv_path}: {exc.strerror}.") from exc
        with open(csv_path, "rb") as file:
            try:
                result = unenroll_learners_from_csv(
                    customer=customer,
                    file=file,
                    size=size,
                    dry_run=dry_run,
                    course_id=course_id,
                    program_id=program_id,
                )
            except EnterpriseError as exc:
                raise CommandError(exc.message) from exc
        self._print_rows(result, problems_only=problems_only)
        self._print_totals(result)
        if result.refused:
            raise CommandError(result.refused)
