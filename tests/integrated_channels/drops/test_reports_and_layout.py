"""What every drop writes besides its exports: the learning-path columns of the transcript, the user-import
report written back beside the exports, and the 7-day sweep of content-feed CSVs."""

import csv
import datetime
import io
import os
import time

import pytest
from django.utils import timezone

from enterprise.lms.local.models import ProgramCourse
from integrated_channels.sftp import layout
from integrated_channels.sftp.services.export import export_transcripts
from integrated_channels.sftp.services.user_import import import_users
from tests.factories import CourseFactory, LearnerFactory, ProgramFactory
from tests.integrated_channels.drops.factories import ftp_connection_to
from tests.integrated_channels.factories import completed_enrollment

pytestmark = pytest.mark.django_db


def test_transcripts_carry_learning_paths_with_a_higher_level_row(ftp_server):
    config = ftp_connection_to(ftp_server)
    learner = LearnerFactory(customer=config.customer)
    program = ProgramFactory(title="Onboarding path")
    first, second = CourseFactory(), CourseFactory()
    for position, course in enumerate((first, second)):
        ProgramCourse.objects.create(program=program, course=course, position=position)
    done = completed_enrollment(config.customer, course=first, learner=learner)
    running = completed_enrollment(config.customer, course=second, learner=learner, complete=False)
    alone = completed_enrollment(config.customer)
    for enrollment in (done, running):
        enrollment.program_id = str(program.program_id)
        enrollment.save()
    today = timezone.localdate()

    result = export_transcripts(configuration=config, date_from=today - datetime.timedelta(days=7), date_to=today)

    rows = list(csv.DictReader(io.StringIO(ftp_server.path(result.path).read_text())))
    by_course = {row["course_id"]: row for row in rows}
    assert by_course[first.course_id]["embedded_path"] == "Onboarding path"
    assert by_course[first.course_id]["embedded_path_id"] == str(program.program_id)
    assert by_course[first.course_id]["embedded_course_id"] == first.course_id
    assert by_course[first.course_id]["type"] == "Course"
    assert by_course[alone.course_id]["embedded_path"] == by_course[alone.course_id]["embedded_course_id"] == ""
    [path] = [row for row in rows if row["type"] == "Learning Path (Higher Level)"]
    assert (path["email"], path["course_title"], path["status"]) == (
        learner.user.email,
        "Onboarding path",
        "in progress",
    )
    assert path["embedded_path_id"] == str(program.program_id) and path["completed_at"] == ""


def test_the_user_import_report_is_written_back_beside_the_exports(drop_server):
    drop_server.write(
        f"{layout.USER_IMPORT_DIR}/a.csv",
        "Email,Manager,Department\nann@example.com,boss@example.com,Sales\nnot-an-email,boss@example.com,Ops\n",
    )
    config = ftp_connection_to(drop_server)

    result = import_users(configuration=config)

    assert result.run.status == "completed_with_errors"
    name = layout.user_report_name(result.run, result.run.started_at)
    assert result.report_path == f"{layout.USER_REPORT_DIR}/{name}"
    rows = list(csv.DictReader(io.StringIO(drop_server.path(result.report_path).read_text())))
    assert [(row["outcome"], row["rows"]) for row in rows[:2]] == [("imported", "1"), ("refused", "1")]
    assert rows[2]["outcome"] == "refused" and "not-an-email" in rows[2]["message"]
    assert not drop_server.path(layout.USER_IMPORT_DIR).joinpath("a.csv").exists()


def test_a_refused_import_writes_a_report_saying_why(ftp_server):
    ftp_server.write(f"{layout.USER_IMPORT_DIR}/a.csv", "Name\nAnn\n")  # the mapped columns are missing
    config = ftp_connection_to(ftp_server)

    result = import_users(configuration=config)

    assert result.run.status == "failed"
    [report] = list(ftp_server.path(layout.USER_REPORT_DIR).iterdir())
    [row] = list(csv.DictReader(io.StringIO(report.read_text())))
    assert row["outcome"] == "failed" and row["message"] == result.run.error_message
    assert ftp_server.path(f"{layout.USER_IMPORT_DIR}/a.csv").exists()


def test_content_csvs_are_removed_after_seven_days_user_csvs_at_once(drop_server):
    config = ftp_connection_to(drop_server)
    old = drop_server.write(f"{layout.content_dir('LinkedIn')}/feed.csv", "id\n1\n")
    recent = drop_server.write(f"{layout.content_dir('LinkedIn')}/new.csv", "id\n2\n")
    eight_days_ago = time.time() - 8 * 24 * 3600
    os.utime(old, (eight_days_ago, eight_days_ago))

    assert layout.sweep_content(config) == [f"{layout.content_dir('linkedin')}/feed.csv"]

    assert not old.exists() and recent.exists()
