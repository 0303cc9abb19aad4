"""The echo connector's runners and connection test: plain users of the framework's run services."""

from __future__ import annotations

from integrated_channels.integrated_channel.models import Run, RunError
from integrated_channels.integrated_channel.services import runs
from integrated_channels.integrated_channel.services.connections import ConnectionTest
from tests.testconnector import REMOTE

TOKEN = "open-sesame"


def import_rows(configuration, *, trigger, start_date=None, api_user=None, run=None) -> Run:
    """Each row of ``REMOTE["rows"]`` with an "email" is imported; the others fail. A "boom" row fails the run."""
    run = run or runs.start_run(configuration=configuration, kind="echo_import", trigger=trigger, api_user=api_user)
    rows = list(REMOTE["rows"])
    if any(row.get("boom") for row in rows):
        RunError.objects.create(run=run, outcome=RunError.Outcome.RUN, code="boom", message="The remote exploded.")
        runs.finish_run(
            run,
            status=Run.Status.FAILED,
            error_code="boom",
            error_message="The remote exploded.",
            selected=len(rows),
            not_attempted=len(rows),
        )
        return run
    bad = [row for row in rows if not row.get("email")]
    RunError.objects.bulk_create(
        [RunError(run=run, outcome=RunError.Outcome.FAILED, message=f"row without e-mail: {row}") for row in bad]
    )
    status = Run.Status.COMPLETED_WITH_ERRORS if bad else Run.Status.COMPLETED
    runs.finish_run(run, status=status, selected=len(rows), sent=len(rows) - len(bad), failed=len(bad))
    return run


def export_rows(configuration, *, trigger, start_date=None, api_user=None, run=None) -> Run:
    run = run or runs.start_run(
        configuration=configuration, kind="echo_export", trigger=trigger, api_user=api_user, start_date=start_date
    )
    REMOTE["exported"].append({"configuration": configuration.pk, "start_date": start_date, "run": run.pk})
    runs.finish_run(run, status=Run.Status.COMPLETED, selected=1, sent=1)
    return run


def test_connection(configuration) -> ConnectionTest:
    if configuration.token != TOKEN:
        return ConnectionTest(ok=False, message=f"Failed: the remote refused the token {configuration.token!r}.")
    return ConnectionTest(ok=True, message="Connected.", found=["email", "name"], found_label="columns")


test_connection.__test__ = False
