"""Project-wide checks that run with the suite: system checks pass and migrations match the models."""

import io
import runpy
from pathlib import Path
from unittest import mock

import pytest
from django.core.management import call_command
from drf_spectacular import generators


def test_system_checks_pass():
    call_command("check", fail_level="WARNING")


@pytest.mark.django_db
def test_database_checks_pass():
    """With ``--database``: the standalone host indexes ``UPPER(email)`` (no ``enterprise.W001``)."""
    call_command("check", databases=["default"], fail_level="WARNING")


@pytest.mark.django_db
def test_no_missing_migrations():
    out = io.StringIO()
    try:
        call_command("makemigrations", check=True, dry_run=True, stdout=out)
    except SystemExit:  # raised by --check when a migration is missing
        pytest.fail(f"Models and migrations differ:\n{out.getvalue()}")


def test_gunicorn_configuration_warms_the_schema_up(db):
    """``standalone/gunicorn.conf.py``: threaded workers, and the schema generated once per worker
    before it serves (drf-spectacular's first generation is not thread-safe)."""
    conf = runpy.run_path(str(Path(__file__).resolve().parents[1] / "standalone" / "gunicorn.conf.py"))
    assert conf["worker_class"] == "gthread" and conf["threads"] >= 2 and conf["keepalive"] > 0
    with mock.patch.object(generators.SchemaGenerator, "get_schema", autospec=True) as get_schema:
        conf["post_worker_init"](worker=None)
    get_schema.assert_called_once()
    conf["post_worker_init"](worker=None)  # and the real generation works outside a request
