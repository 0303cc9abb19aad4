"""Harvard ManageMentor: courses and user feeds from the customer's file drop (issue 18 item 5)."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command

from enterprise.lms import get_catalog
from enterprise.lms.content.models import Catalog, CatalogCourse, ProviderCourse, ProviderProgress
from enterprise.lms.content.services import tags_of
from enterprise.lms.local.models import Certificate
from enterprise.models import EnterpriseCourseEnrollment
from integrated_channels import testing
from integrated_channels.harvard_managementor import operations
from integrated_channels.integrated_channel.models import Run
from integrated_channels.integrated_channel.services import content_runs
from tests.factories import LearnerFactory, StaffFactory
from tests.integrated_channels.factories import TestChannelConfigurationFactory

pytestmark = pytest.mark.django_db

METADATA = """course_id,title,description,language,duration_minutes,launch_url,topics
hmm-coaching,Coaching,Coach your team,en,90,https://hmm.example.com/coaching,Leadership;People
hmm-budgeting,Budgeting,Plan a budget,en,45.5,https://hmm.example.com/budgeting,Finance
"""


def errors_of(run: Run) -> list[str]:
    return list(run.errors.order_by("id").values_list("message", flat=True))


def test_courses_from_the_metadata_file_into_the_catalogs_with_tags(sftp_server, connection):
    sftp_server.write("hmm/hmm12_metadata.csv", METADATA)

    run = operations.import_courses(connection, trigger=Run.Trigger.ADMIN)

    assert (run.status, run.selected, run.sent, run.failed) == (Run.Status.COMPLETED, 2, 2, 0)
    course = get_catalog().get_course("hmm:hmm-coaching")
    assert (course.title, course.provider, course.language, course.launch_url) == (
        "Coaching",
        "hmm",
        "en",
        "https://hmm.example.com/coaching",
    )
    assert course.tags == ("Leadership", "People")
    assert tags_of(customer_id=connection.customer_id, course_ids=[course.course_id]) == {
        course.course_id: ["Harvard", "Leadership", "People"]  # the connection's custom tag, for its customer
    }
    assert str(get_catalog().get_course("hmm:hmm-budgeting").effort_hours) == "0.76"
    catalogs = Catalog.objects.filter(customer=connection.customer).order_by("name")
    assert [(c.name, c.entries.count()) for c in catalogs] == [("Leadership", 2), ("Management", 2)]

    # The provider drops a course from the file: it is retired, not deleted; a rerun changes nothing else.
    sftp_server.write("hmm/hmm12_metadata.csv", METADATA.splitlines()[0] + "\n" + METADATA.splitlines()[1] + "\n")
    run = operations.import_courses(connection, trigger=Run.Trigger.ADMIN)
    assert (run.status, run.sent, run.skipped, run.skip_reasons) == (
        Run.Status.COMPLETED,
        0,
        2,
        {"unchanged": 1, "retired": 1},
    )
    assert ProviderCourse.objects.get(provider_id="hmm-budgeting").retired
    assert CatalogCourse.objects.filter(course__course_id="hmm:hmm-budgeting").count() == 2


def test_a_missing_metadata_file_fails_that_file_only(sftp_server, connection):
    run = operations.import_courses(connection, trigger=Run.Trigger.ADMIN)
    assert run.status == Run.Status.COMPLETED_WITH_ERRORS
    assert errors_of(run) == ["No hmm/hmm12_metadata.csv on the server: no course to import."]


@pytest.fixture
def courses(sftp_server, connection):
    sftp_server.write("hmm/hmm12_metadata.csv", METADATA)
    operations.import_courses(connection, trigger=Run.Trigger.ADMIN)
    return [LearnerFactory(customer=connection.customer, user__email=f"l{n}@example.com") for n in range(2)]


def test_user_feeds_become_completions_and_a_bad_file_fails_alone(sftp_server, connection, courses):
    sftp_server.write(
        "hmm/client_hmm12_20261130.csv",
        "email,course_id,first_access,last_access,time_spent_minutes,percent_complete,completion_date\n"
        "l0@example.com,hmm-coaching,2026-11-28,2026-11-30,95,100,2026-11-30\n"
        "L1@example.com,hmm-coaching,2026-11-29,2026-11-30,,40,\n"
        "ghost@example.com,hmm-coaching,,,,10,\n",
    )
    sftp_server.write(
        "hmm/client_hmm12_20261201.csv",
        "email,course_id,last_access,percent_complete,completion_date\n"
        "l1@example.com,hmm-budgeting,2026-12-01,100,2026-12-01\n"
        "l1@example.com,hmm-coaching,01.12.2026,100,\n",
    )
    sftp_server.write("hmm/client_hmm12_notadate.csv", "garbage")
    sftp_server.write("hmm/client_hmm12_20261202.csv", "mail,course\nl0@example.com,hmm-budgeting\n")

    run = operations.import_progress(connection, trigger=Run.Trigger.ADMIN)

    assert run.status == Run.Status.COMPLETED_WITH_ERRORS
    assert (run.selected, run.sent, run.failed) == (5, 2, 3)  # two files failed, counted one each
    assert errors_of(run) == [
        "client_hmm12_20261201.csv, line 3, column 'last_access': '01.12.2026' is not a date (expected yyyy-MM-dd "
        "or ISO 8601)",
        "client_hmm12_20261202.csv: missing column(s) 'email', 'course_id' (columns found: 'mail', 'course').",
        "client_hmm12_20261130.csv, line 4: ghost@example.com is not a linked learner",
    ]
    done = ProviderProgress.objects.get(user=courses[0].user)
    assert (done.time_spent_seconds, str(done.percent)) == (5700, "1.0000")
    assert done.completed_at == datetime.datetime(2026, 11, 30, tzinfo=datetime.UTC)
    assert ProviderProgress.objects.get(user=courses[1].user).time_spent_seconds is None
    assert Certificate.objects.filter(user=courses[0].user, course__course_id="hmm:hmm-coaching").exists()
    enrollments = EnterpriseCourseEnrollment.objects.values_list("learner__user__email", "course_id", "source")
    assert set(enrollments) == {
        ("l0@example.com", "hmm:hmm-coaching", "import"),
        ("l1@example.com", "hmm:hmm-coaching", "import"),
    }
    # nobody enrolled them: they took the course at the provider (decision 0401)
    assert set(enrollments.values_list("started_by", flat=True)) == {"learner"}

    # A rerun of the same files writes nothing; a start date leaves the older feeds out.
    rerun = operations.import_progress(connection, trigger=Run.Trigger.ADMIN)
    assert (rerun.sent, rerun.skipped) == (0, 2)
    later = operations.import_progress(
        connection, trigger=Run.Trigger.ADMIN, start_date=datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC)
    )
    assert (later.selected, later.failed, later.sent) == (2, 2, 0)  # only the feeds of 1 and 2 December


def test_completions_from_the_feeds_are_sent_by_transmit_learner_data(sftp_server, connection, courses):
    StaffFactory(username="staff")
    TestChannelConfigurationFactory(customer=connection.customer)
    sftp_server.write(
        "hmm/client_hmm12_20261130.csv",
        "email,course_id,percent_complete,completion_date\nl0@example.com,hmm-coaching,100,2026-11-30\n",
    )
    operations.import_progress(connection, trigger=Run.Trigger.ADMIN)

    call_command("transmit_learner_data", api_user="staff", channel=["TEST"], stdout=io.StringIO())

    sent = [payload for call in testing.outbox for payload in call.payloads]
    assert [(p["user"], p["course"], p["completed"]) for p in sent] == [
        (courses[0].user.username, "hmm:hmm-coaching", True)
    ]


def test_learner_access_disabled_hides_the_catalogs_while_the_import_runs(sftp_server, connection, monkeypatch):
    connection.learner_access = "disable"
    connection.save()
    sftp_server.write("hmm/hmm12_metadata.csv", METADATA)
    seen = []
    real = content_runs._import_batch

    def spy(*args, **kwargs):
        seen.append(sorted(Catalog.objects.values_list("name", "hidden")))
        return real(*args, **kwargs)

    monkeypatch.setattr(content_runs, "_import_batch", spy)
    operations.import_courses(connection, trigger=Run.Trigger.ADMIN)

    assert seen == [[("Leadership", True), ("Management", True)]]
    assert not Catalog.objects.filter(hidden=True).exists()
    assert {course.course_id for course in get_catalog().search_courses("hmm:")} == {
        "hmm:hmm-coaching",
        "hmm:hmm-budgeting",
    }


def test_a_refused_login_fails_the_run(sftp_server, connection):
    connection.password = "wrong-password"
    connection.save()
    run = operations.import_progress(connection, trigger=Run.Trigger.ADMIN)
    assert run.status == Run.Status.FAILED
    assert "was refused" in run.error_message and "wrong-password" not in run.error_message


def test_connection_test_lists_the_files(sftp_server, connection):
    sftp_server.write("hmm/hmm12_metadata.csv", METADATA)
    sftp_server.write("hmm/client_hmm12_20261130.csv", "email,course_id\n")
    result = operations.test_connection(connection)
    assert result.ok
    assert result.found == ["hmm12_metadata.csv", "client_hmm12_20261130.csv"]


def test_on_demand_from_a_start_date_and_rerun_of_the_latest_come_from_the_framework(sftp_server, connection, courses):
    from integrated_channels.integrated_channel.services import operations as framework

    sftp_server.write(
        "hmm/client_hmm12_20261130.csv", "email,course_id,percent_complete\nl0@example.com,hmm-coaching,50\n"
    )
    sftp_server.write(
        "hmm/client_hmm12_20261202.csv", "email,course_id,percent_complete\nl1@example.com,hmm-coaching,60\n"
    )
    start = datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC)

    run, queued = framework.queue(connection, "progress_import", start_date=start)

    run.refresh_from_db()
    assert (queued, run.kind, run.trigger, run.start_date, run.sent) == (False, "progress_import", "admin", start, 1)
    again = framework.rerun(run=framework.latest_run(connection, "progress_import"))
    assert (again.start_date, again.sent, again.skipped) == (start, 0, 1)
    assert ProviderProgress.objects.count() == 1
