"""Project-wide checks that run with the suite: system checks pass and migrations match the models."""

import io

import pytest
from django.core.management import call_command


def test_system_checks_pass():
    call_command("check", fail_level="WARNING")


@pytest.mark.django_db
def test_no_missing_migrations():
    out = io.StringIO()
    try:
        call_command("makemigrations", check=True, dry_run=True, stdout=out)
    except SystemExit:  # raised by --check when a migration is missing
        pytest.fail(f"Models and migrations differ:\n{out.getvalue()}")
