"""The error report CSV: one line per failed / not attempted / reported record; formulas escaped."""

from __future__ import annotations

import csv
import io

import pytest

from integrated_channels.integrated_channel.models import Run, RunError
from integrated_channels.integrated_channel.services import error_report, runs
from tests.integrated_channels.factories import TestChannelConfigurationFactory


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("plain text", "plain text"),
        (None, ""),
        (400, "400"),
    ],
)
def test_cells_that_would_be_formulas_are_escaped(value, expected):
    assert error_report.escape_cell(value) == expected


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
