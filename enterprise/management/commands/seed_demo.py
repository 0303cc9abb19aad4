"""``manage.py seed_demo``: load the demo data set (customers, learners, catalog, enrollments).

Repeatable: a second run adds nothing (only the admin's password changes). See
``enterprise.management.demo`` for what is created and how.
"""

import sys
import time

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

REQUIRED_APPS = ("enterprise.lms.local", "consent")


def non_negative(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Create demo data: 3 enterprise customers, linked and pending learners, 10 local courses, 2 programs, "
        "enrollments, certificates, grades and email templates. Running it again adds nothing; the superuser "
        "'admin' gets a new random password (or --admin-password) on every run. For development databases only."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--learners", type=non_negative, default=3000, help="Linked learners (demo users) to create (3000)."
        )
        parser.add_argument(
            "--pending", type=non_negative, default=500, help="Pending learners (e-mail only) to create (500)."
        )
        parser.add_argument(
            "--admin-password", default=None, help="Password of the superuser 'admin' (default: a new random one)."
        )

    def handle(self, *args, learners, pending, admin_password, **options):
        if learners < 0 or pending < 0:
            raise CommandError("--learners and --pending must not be negative.")
        missing = [name for name in REQUIRED_APPS if not apps.is_installed(name)]
        if missing:
            raise CommandError(f"seed_demo needs these apps in INSTALLED_APPS: {', '.join(missing)}.")
        from enterprise.management.demo import seed_demo  # imports models of the apps checked above

        started = time.monotonic()
        with self._progress_bar(learners + pending) as bar:
            result = seed_demo(learners=learners, pending=pending, admin_password=admin_password, progress=bar.update)
        elapsed = time.monotonic() - started

        self.stdout.write(self.style.SUCCESS(f"Demo data ready in {elapsed:.1f} s."))
        width = max(map(len, result.counts))
        for label, total in result.counts.items():
            self.stdout.write(f"  {label:<{width}}  {total:>7}  (+{result.added[label]})")
        self.stdout.write("")
        self.stdout.write(self.style.MIGRATE_HEADING("Log in to the admin:"))
        self.stdout.write(f"  URL:      {result.admin_url}")
        self.stdout.write(f"  Username: {result.admin_username}")
        self.stdout.write(f"  Password: {result.admin_password}")
        if result.portal_url:
            self.stdout.write("")
            self.stdout.write(self.style.MIGRATE_HEADING("Sign in to the portal as Acme Corporation's administrator:"))
            self.stdout.write(f"  URL:      {result.portal_url}")
            self.stdout.write(f"  Username: {result.portal_username}")
            self.stdout.write("  Password: the admin's")

    def _progress_bar(self, total: int):
        """A tqdm bar on a terminal; a silent stand-in otherwise (files, pipes, tests, CI logs)."""
        return tqdm(total=total, unit=" learners", desc="Seeding", disable=not self.stdout.isatty(), file=sys.stdout)
