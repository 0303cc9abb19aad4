"""The error report CSV: one line per failed / not attempted / reported record; formulas escaped."""

from __future__ import annotations

import csv
import io

import pytest

from integrated_channels.integrated_channel.models import Run, RunError
from integrated_channels.integrated_channel.services import error_report, runs
from tests.integrated_channels.factories import TestChannelConfigurationFactory


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\tcmd", "\rcmd", "\n=1", "\uff1d1+1", "\uff20x"])
def test_every_formula_start_is_escaped_in_the_report(value):
    """The one escape (enterprise.csv_safety, tested there in full) is the one this report uses."""
    config = TestChannelConfigurationFactory()
    run = runs.start_run(configuration=config, kind="learner_data", trigger=Run.Trigger.COMMAND)
    RunError.objects.create(run=run, outcome="failed", username=value, message=value, transient=False)
    rows = list(csv.reader(io.StringIO("".join(error_report.stream_csv(run)).lstrip("\ufeff"), newline="")))
    assert (rows[1][2], rows[1][8]) == ("'" + value, "'" + value)


@pytest.mark.django_db
def test_report_rows_escape_what_the_remote_system_said():
    config = TestChannelConfigurationFactory()
    run = runs.start_run(configuration=config, kind="learner_data", trigger=Run.Trigger.COMMAND)
    RunError.objects.create(
        run=run,
        outcome="failed",
        username="=evil",
        email="a@example.com",
        remote_id="-1",
        course_id="course-v1:A+B+C",
        code="rejected",
        status_code=400,
        message='=cmd|" /C calc"!A0',
        transient=False,
    )

    text = "".join(error_report.stream_csv(run))

    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == error_report.HEADER
    assert rows[1][:9] == [
        str(run.pk),
        "Failed",
        "'=evil",
        "a@example.com",
        "'-1",
        "course-v1:A+B+C",
        "rejected",
        "400",
        '\'=cmd|" /C calc"!A0',
    ]
    assert rows[1][9:11] == ["no", "no"]
