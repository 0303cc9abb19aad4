"""Skill achievements export (decision 0080) against the asyncssh SFTP server."""

import csv
import datetime
import io
import zipfile

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from integrated_channels.integrated_channel.models import Run
from integrated_channels.sftp.services import ondemand
from integrated_channels.sftp.services.skills_export import export_skill_achievements, skills_name
from tests.factories import CertificateFactory, CourseFactory, EnrollmentFactory, LearnerFactory
from tests.fakes.sftp import fingerprint, generate_key
from tests.integrated_channels.factories import completed_enrollment
from tests.integrated_channels.sftp.factories import connection_to

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def last_week():
    today = timezone.localdate()
    return today - 7 * DAY, today


def read_rows(server, path):
    return list(csv.DictReader(io.StringIO(server.path(path).read_text())))


def completed(customer, course, *, days_ago, learner=None):
    """``learner`` (new when None) completed ``course`` (instructor-paced: a certificate) ``days_ago``."""
    learner = learner or LearnerFactory(customer=customer)
    EnrollmentFactory(learner=learner, course_id=course.course_id)
    CertificateFactory(user=learner.user, course=course, grade="0.9", issued_at=timezone.now() - days_ago * DAY)
    return learner


def test_one_row_per_learner_and_skill_achieved_in_the_range(sftp_server):
    config = connection_to(sftp_server, customer__enable_data_sharing_consent=True)
    course = CourseFactory(title="Data 101", skills=[("Python", "Beginner"), "=SUM(A1:A9)", "\uff20SUM(A1)"])
    done = completed_enrollment(config.customer, course=course)
    done.learner.user.first_name, done.learner.user.last_name = "Ada", "Lovelace"
    done.learner.user.save()
    completed_enrollment(config.customer, course=course, complete=False)  # in progress: nothing achieved
    completed_enrollment(config.customer, course=course, consent=False)  # no consent: never exported
    completed_enrollment(config.customer, course=CourseFactory())  # a course without skills
    date_from, date_to = last_week()

    result = export_skill_achievements(configuration=config, date_from=date_from, date_to=date_to)

    path = f"export/{skills_name(date_from, date_to)}"
    assert path == f"export/skill_achievements_{date_from:%Y-%m-%d}_to_{date_to:%Y-%m-%d}.csv"
    assert result.path == path and result.rows == 3
    rows = read_rows(sftp_server, path)
    assert list(rows[0]) == ["email", "username", "name", "skill", "level", "course_id", "course_title", "achieved_at"]
    assert sorted((row["skill"], row["level"]) for row in rows) == [
        ("'=SUM(A1:A9)", ""),
        ("'\uff20SUM(A1)", ""),
        ("Python", "Beginner"),
    ]
    assert {row["email"] for row in rows} == {done.learner.user.email}
    assert rows[0]["name"] == "Ada Lovelace" and rows[0]["course_title"] == "Data 101"
    # completed_enrollment's certificate was issued two days ago
    assert datetime.datetime.fromisoformat(rows[0]["achieved_at"]).date() == (timezone.now() - 2 * DAY).date()
    run = result.run
    assert (run.status, run.kind, run.sent) == (Run.Status.COMPLETED, "skills_export", 3)
    assert run.skip_reasons == {"no_consent": 1, "not_complete": 1, "course_without_skills": 1}


def test_a_skill_is_achieved_once_at_the_first_completion_teaching_it(sftp_server):
    config = connection_to(sftp_server)
    early = CourseFactory(course_id="course-v1:Org+Early+1", skills=[("Python", "Beginner")])
    late = CourseFactory(course_id="course-v1:Org+Late+1", skills=[("python", "beginner"), "SQL"])
    both = completed(config.customer, early, days_ago=20)
    completed(config.customer, late, days_ago=2, learner=both)
    only_late = completed(config.customer, late, days_ago=3)
    date_from, date_to = last_week()

    result = export_skill_achievements(configuration=config, date_from=date_from, date_to=date_to)

    rows = read_rows(sftp_server, result.path)
    achieved = sorted((row["email"], row["skill"], row["level"], row["course_id"]) for row in rows)
    assert achieved == sorted(
        [
            # Python/Beginner of ``both`` dates from the early course, before the range: not exported again.
            (both.user.email, "SQL", "", late.course_id),
            (only_late.user.email, "SQL", "", late.course_id),
            (only_late.user.email, "python", "beginner", late.course_id),
        ]
    )
    assert result.run.skip_reasons == {"achieved_outside_the_range": 1}

    earlier = export_skill_achievements(
        configuration=config, date_from=timezone.localdate() - 30 * DAY, date_to=timezone.localdate() - 10 * DAY
    )
    assert [(r["email"], r["skill"], r["course_id"]) for r in read_rows(sftp_server, earlier.path)] == [
        (both.user.email, "Python", early.course_id)
    ]


def test_names_come_from_imported_attributes_when_the_user_has_none(sftp_server):
    config = connection_to(sftp_server)
    learner = LearnerFactory(customer=config.customer, attributes={"first_name": "Grace", "last_name": "Hopper"})
    learner.user.first_name = learner.user.last_name = ""
    learner.user.save()
    completed(config.customer, CourseFactory(skills=["COBOL"]), days_ago=1, learner=learner)
    date_from, date_to = last_week()

    result = export_skill_achievements(configuration=config, date_from=date_from, date_to=date_to)

    assert [row["name"] for row in read_rows(sftp_server, result.path)] == ["Grace Hopper"]


def test_the_query_count_does_not_grow_with_the_learners(sftp_server):
    config = connection_to(sftp_server, customer__enable_data_sharing_consent=True)
    course = CourseFactory(skills=["Python", "SQL"])
    date_from, date_to = last_week()

    def queries_for(learners):
        for _ in range(learners):
            completed_enrollment(config.customer, course=course)
        with CaptureQueriesContext(connection) as captured:
            result = export_skill_achievements(configuration=config, date_from=date_from, date_to=date_to)
        assert result.run.status == Run.Status.COMPLETED
        return len(captured), result.rows

    small, small_rows = queries_for(3)
    large, large_rows = queries_for(27)
    assert (small_rows, large_rows) == (6, 60)
    assert small == large <= 11  # one of them writes the live counts once the records are selected


def test_exports_can_be_zipped(sftp_server):
    config = connection_to(sftp_server, zip_exports=True)
    completed_enrollment(config.customer, course=CourseFactory(skills=["Python"]))
    date_from, date_to = last_week()

    result = export_skill_achievements(configuration=config, date_from=date_from, date_to=date_to)

    stem = f"skill_achievements_{date_from:%Y-%m-%d}_to_{date_to:%Y-%m-%d}"
    assert result.path == f"export/{stem}.zip"
    with zipfile.ZipFile(sftp_server.path(result.path)) as archive:
        assert archive.namelist() == [f"{stem}.csv"]
        assert b"Python" in archive.read(f"{stem}.csv")


def test_a_refused_host_key_fails_the_export_and_writes_nothing(sftp_server):
    config = connection_to(sftp_server, host_key_fingerprint=fingerprint(generate_key()))
    completed_enrollment(config.customer, course=CourseFactory(skills=["Python"]))
    date_from, date_to = last_week()

    result = export_skill_achievements(configuration=config, date_from=date_from, date_to=date_to)

    assert (result.run.status, result.run.error_code) == (Run.Status.FAILED, "host_key_refused")
    assert result.run.errors.get().code == "host_key_refused"
    assert not sftp_server.path("export").exists()


def test_the_range_must_be_ordered(sftp_server):
    config = connection_to(sftp_server)
    today = timezone.localdate()
    with pytest.raises(ValueError, match="before the start date"):
        export_skill_achievements(configuration=config, date_from=today, date_to=today - DAY)
    assert not Run.objects.exists()


def test_command_exports_skills_from_the_start_date_and_the_latest_run_can_be_rerun(sftp_server, capsys):
    config = connection_to(sftp_server)
    completed_enrollment(config.customer, course=CourseFactory(skills=["Python"]))
    start = timezone.localdate() - 5 * DAY

    call_command("sftp_run", "skills", "--start-date", start.isoformat())

    assert "completed: 1 done" in capsys.readouterr().out
    assert sftp_server.path(f"export/{skills_name(start, timezone.localdate())}").exists()
    transcript = ondemand.run_now(configuration=config, operation=ondemand.EXPORT)
    run = Run.objects.get(kind="skills_export")
    # A newer transcript export does not make the skills export stale: the latest is per operation.
    again = ondemand.rerun(run=run)
    assert (again.kind, timezone.localdate(again.start_date), again.sent) == ("skills_export", start, 1)
    assert transcript.kind == "file_export"
    with pytest.raises(ondemand.RerunRefused, match="Only the latest run"):
        ondemand.rerun(run=run)


def test_admin_action_exports_skill_achievements(sftp_server, admin_client):
    config = connection_to(sftp_server)
    completed_enrollment(config.customer, course=CourseFactory(skills=["Python"]))

    response = admin_client.post(
        "/admin/sftp/sftpconfiguration/", {"action": "export_skills_now", "_selected_action": [config.pk]}, follow=True
    )

    assert "completed: 1 done, 0 failed" in response.content.decode()
    run = Run.objects.get(configuration=config)
    assert (run.kind, run.trigger) == ("skills_export", Run.Trigger.ADMIN)
    today = timezone.localdate()
    assert sftp_server.path(f"export/{skills_name(today - 30 * DAY, today)}").exists()
