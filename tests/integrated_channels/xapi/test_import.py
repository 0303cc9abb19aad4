"""The xAPI statement import from a CSV on the (asyncssh) SFTP server into local completions."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from enterprise.lms.local.models import Certificate, Grade
from integrated_channels.integrated_channel.models import Run, RunError
from integrated_channels.xapi import paths, verbs
from integrated_channels.xapi.models import XAPIImportFilter
from integrated_channels.xapi.services.statement_import import import_statements
from tests.factories import CourseFactory, GradeFactory, LearnerFactory
from tests.integrated_channels.xapi.factories import DEFAULT_COLUMNS, IRI_BASE, import_from

pytestmark = pytest.mark.django_db

HEADER = "Learner,Verb,Activity,Score,Success,When\n"
FULL = {
    **DEFAULT_COLUMNS,
    "result.score.scaled": ("Score", paths.NUMBER),
    "result.success": ("Success", paths.BOOLEAN),
    "timestamp": ("When", paths.DATE),
}


@pytest.fixture
def data(sftp_server):
    config = import_from(sftp_server, mapping=FULL)
    alice = LearnerFactory(customer=config.customer, user__email="Alice@Example.com")
    bob = LearnerFactory(customer=config.customer, user__email="bob@example.com")
    course = CourseFactory(course_id="course-v1:Org+X+2026")
    return config, alice, bob, course


def drop(server, text):
    server.write("import/xapi.csv", text)


def test_recognised_verbs_become_certificates_and_grades(sftp_server, data, django_assert_max_num_queries):
    config, alice, bob, course = data
    drop(
        sftp_server,
        HEADER
        + f"mailto:ALICE@example.com,{verbs.PASSED},{course.course_id},0.9,true,2026-11-01T10:00:00Z\n"
        + f"bob@example.com,{verbs.FAILED},{course.course_id},0.3,false,2026-11-02\n"
        + f"bob@example.com,{verbs.ADL}experienced,{course.course_id},,,2026-11-02\n",
    )

    with django_assert_max_num_queries(25):
        result = import_statements(configuration=config)

    run = result.run
    assert (run.status, run.selected, run.sent, run.skipped, run.failed) == ("completed", 3, 2, 1, 0)
    assert run.skip_reasons == {"verb_not_recognised": 1}
    certificate = Certificate.objects.get(user=alice.user)
    assert certificate.grade == "0.9" and certificate.issued_at == datetime.datetime(
        2026, 11, 1, 10, tzinfo=datetime.UTC
    )
    assert Grade.objects.get(user=alice.user).percent == Decimal("0.9")
    bob_grade = Grade.objects.get(user=bob.user)
    assert bob_grade.passed_at is None and bob_grade.percent == Decimal("0.3")
    assert not Certificate.objects.filter(user=bob.user).exists()
    assert result.deleted and not sftp_server.path("import/xapi.csv").exists()


def test_query_count_does_not_grow_with_rows(sftp_server, data, django_assert_max_num_queries):
    config, *_rest = data
    courses = [CourseFactory() for _ in range(5)]
    learners = [LearnerFactory(customer=config.customer) for _ in range(40)]
    lines = [
        f"{learner.user.email},{verbs.COMPLETED},{course.course_id},0.8,true,2026-11-01\n"
        for learner in learners
        for course in courses
    ]
    drop(sftp_server, HEADER + "".join(lines))

    with django_assert_max_num_queries(25):
        result = import_statements(configuration=config)

    assert result.run.sent == 200 and Certificate.objects.count() == 200


def test_reimporting_the_same_file_changes_nothing(sftp_server, data):
    config, _alice, _bob, course = data
    text = HEADER + f"alice@example.com,{verbs.COMPLETED},{course.course_id},0.8,true,2026-11-01\n"
    drop(sftp_server, text)
    import_statements(configuration=config)
    before = list(Grade.objects.values()), list(Certificate.objects.values())

    drop(sftp_server, text)
    again = import_statements(configuration=config).run

    assert (again.sent, again.skip_reasons) == (0, {"unchanged": 1})
    assert (list(Grade.objects.values()), list(Certificate.objects.values())) == before


def test_malformed_rows_name_their_line_and_column(sftp_server, data):
    config, _alice, _bob, course = data
    drop(
        sftp_server,
        HEADER
        + f"not-an-email,{verbs.PASSED},{course.course_id},0.9,true,2026-11-01\n"
        + f"alice@example.com,passed,{course.course_id},0.9,true,2026-11-01\n"
        + f"alice@example.com,{verbs.PASSED},{course.course_id},lots,true,2026-11-01\n"
        + f"alice@example.com,{verbs.PASSED},{course.course_id},0.9,maybe,2026-11-01\n"
        + f"alice@example.com,{verbs.PASSED},{course.course_id},0.9,true,yesterday\n"
        + f"alice@example.com,{verbs.PASSED},,0.9,true,2026-11-01\n",
    )

    run = import_statements(configuration=config).run

    assert (run.status, run.failed, run.sent) == ("completed_with_errors", 6, 0)
    messages = list(RunError.objects.filter(run=run).order_by("id").values_list("message", flat=True))
    assert "line 2, column 'Learner' (actor.mbox): 'not-an-email' is not a mailto: e-mail address" in messages[0]
    assert "line 3, column 'Verb' (verb.id): 'passed' is not an IRI" in messages[1]
    assert "line 4, column 'Score' (result.score.scaled): 'lots' is not a number" in messages[2]
    assert "line 5, column 'Success' (result.success): 'maybe' is not a boolean" in messages[3]
    assert "line 6, column 'When' (timestamp): 'yesterday' is not an ISO 8601 date" in messages[4]
    assert "line 7, column 'Activity' (object.id): empty" in messages[5]
    assert not Grade.objects.exists()


def test_unknown_learners_and_courses_are_row_errors(sftp_server, data):
    config, _alice, _bob, course = data
    other = LearnerFactory(user__email="carol@example.com")  # a learner of another customer
    drop(
        sftp_server,
        HEADER
        + f"nobody@example.com,{verbs.PASSED},{course.course_id},0.9,true,2026-11-01\n"
        + f"{other.user.email},{verbs.PASSED},{course.course_id},0.9,true,2026-11-01\n"
        + f"alice@example.com,{verbs.PASSED},course-v1:Org+Nope+1,0.9,true,2026-11-01\n",
    )

    run = import_statements(configuration=config).run

    assert (run.failed, run.sent) == (3, 0)
    errors = RunError.objects.filter(run=run).order_by("id")
    assert [error.email for error in errors] == ["nobody@example.com", "carol@example.com", "alice@example.com"]
    assert "is not a learner of" in errors[0].message and "line 2" in errors[0].message
    assert "line 4, column 'Activity' (object.id): unknown course 'course-v1:Org+Nope+1'" in errors[2].message


def test_duplicates_and_several_statements_of_one_learner(sftp_server, data):
    config, alice, _bob, course = data
    row = f"alice@example.com,{verbs.FAILED},{course.course_id},0.4,false,2026-11-01\n"
    drop(
        sftp_server,
        HEADER + row + row + f"alice@example.com,{verbs.PASSED},{course.course_id},0.7,true,2026-11-03\n",
    )

    run = import_statements(configuration=config).run

    assert run.skip_reasons == {"duplicate": 1, "superseded": 1} and run.sent == 1
    assert Grade.objects.get(user=alice.user).passed_at is not None


def test_a_failure_never_takes_back_a_pass(sftp_server, data):
    config, alice, _bob, course = data
    GradeFactory(user=alice.user, course=course, percent=Decimal("0.9"))
    drop(sftp_server, HEADER + f"alice@example.com,{verbs.FAILED},{course.course_id},0.2,false,2026-11-05\n")

    run = import_statements(configuration=config).run

    assert run.skip_reasons == {"unchanged": 1}
    assert Grade.objects.get(user=alice.user).percent == Decimal("0.9")


def test_filters_are_applied_before_the_import(sftp_server, data):
    config, alice, bob, course = data
    XAPIImportFilter.objects.create(
        configuration=config, name="recent", field="timestamp", operator="after", value="2026-10-31"
    )
    XAPIImportFilter.objects.create(
        configuration=config, name="our verbs", field="Verb", operator="in", value=f"{verbs.PASSED}, {verbs.COMPLETED}"
    )
    drop(
        sftp_server,
        HEADER
        + f"alice@example.com,{verbs.PASSED},{course.course_id},0.9,true,2026-11-01\n"
        + f"bob@example.com,{verbs.PASSED},{course.course_id},0.9,true,2026-10-01\n"
        + f"bob@example.com,{verbs.FAILED},{course.course_id},0.1,false,2026-11-01\n",
    )

    run = import_statements(configuration=config).run

    assert (run.sent, run.skip_reasons) == (1, {"filtered_out": 2})
    assert Certificate.objects.filter(user=alice.user).exists() and not Grade.objects.filter(user=bob.user).exists()


def test_object_ids_under_the_activity_iri_base(sftp_server, data):
    config, alice, _bob, course = data
    config.activity_iri_base = IRI_BASE
    config.save()
    drop(
        sftp_server,
        HEADER
        + f"alice@example.com,{verbs.COMPLETED},{IRI_BASE}course-v1:Org%2BX%2B2026,,,\n"
        + f"alice@example.com,{verbs.COMPLETED},https://elsewhere.example/x,,,\n",
    )

    run = import_statements(configuration=config).run

    assert (run.sent, run.failed) == (1, 1)
    assert Certificate.objects.get(user=alice.user).course == course
    assert "is not under the activity IRI base" in RunError.objects.get(run=run).message


def test_a_missing_mapped_column_fails_the_run_and_keeps_the_file(sftp_server, data):
    config, *_rest = data
    drop(sftp_server, "Learner,Verb\nalice@example.com,x\n")

    run = import_statements(configuration=config).run

    assert (run.status, run.error_code) == (Run.Status.FAILED, "invalid_file")
    assert "missing column(s) 'Activity'" in run.error_message
    assert sftp_server.path("import/xapi.csv").exists()


def test_a_wrong_host_key_is_refused(sftp_server, data):
    config, *_rest = data
    config.host_key_fingerprint = "SHA256:" + "A" * 43
    config.save()
    drop(sftp_server, HEADER)

    run = import_statements(configuration=config).run

    assert run.status == Run.Status.FAILED and run.error_code == "host_key_refused"
    assert sftp_server.fingerprint in run.error_message and sftp_server.path("import/xapi.csv").exists()


def test_a_dropped_connection_deletes_nothing_and_the_rerun_completes(sftp_server, data):
    config, _alice, _bob, course = data
    drop(sftp_server, HEADER + f"alice@example.com,{verbs.PASSED},{course.course_id},0.9,true,2026-11-01\n")
    sftp_server.drop_on_read = "xapi.csv"

    failed = import_statements(configuration=config).run

    assert failed.status == Run.Status.FAILED and failed.error_code == "transfer_failed"
    assert sftp_server.path("import/xapi.csv").exists() and not Grade.objects.exists()
    sftp_server.drop_on_read = ""
    again = import_statements(configuration=config).run
    assert again.status == Run.Status.COMPLETED and again.sent == 1
    assert not sftp_server.path("import/xapi.csv").exists()


def test_a_file_over_the_size_limit_fails_the_run_before_it_is_downloaded(sftp_server, data, settings):
    config, _alice, _bob, course = data
    row = f"alice@example.com,{verbs.PASSED},{course.course_id},0.9,true,2026-11-01\n"
    drop(sftp_server, HEADER + row)
    size = len((HEADER + row).encode())
    settings.INTEGRATED_CHANNELS = {**settings.INTEGRATED_CHANNELS, "SFTP_MAX_FILE_BYTES": size - 1}
    sftp_server.drop_on_read = "xapi.csv"  # opening the file would drop the connection (transfer_failed)

    run = import_statements(configuration=config).run

    assert (run.status, run.error_code, run.selected) == (Run.Status.FAILED, "file_too_large", 0)
    assert "import/xapi.csv" in run.error_message and f"limit of {size - 1} bytes" in run.error_message
    assert sftp_server.path("import/xapi.csv").exists() and not Grade.objects.exists()
    sftp_server.drop_on_read = ""
    settings.INTEGRATED_CHANNELS = {**settings.INTEGRATED_CHANNELS, "SFTP_MAX_FILE_BYTES": size}
    again = import_statements(configuration=config).run
    assert again.status == Run.Status.COMPLETED and again.sent == 1


def test_the_file_is_deleted_only_after_the_import_committed(sftp_server, data, monkeypatch):
    config, _alice, _bob, course = data
    drop(sftp_server, HEADER + f"alice@example.com,{verbs.PASSED},{course.course_id},0.9,true,2026-11-01\n")
    from integrated_channels.xapi.services import statement_import

    def broken(**kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(statement_import, "record_completions", broken)
    with pytest.raises(RuntimeError):
        import_statements(configuration=config)
    assert sftp_server.path("import/xapi.csv").exists()
    assert Run.objects.get().status == Run.Status.FAILED


def test_no_file_is_nothing_to_import(sftp_server, data):
    config, *_rest = data
    run = import_statements(configuration=config).run
    assert run.status == Run.Status.COMPLETED and run.selected == 0 and "No file" in run.error_message


def test_the_command_imports_and_exits_non_zero_on_failure(sftp_server, data):
    config, _alice, _bob, course = data
    drop(sftp_server, HEADER + f"alice@example.com,{verbs.PASSED},{course.course_id},0.9,true,2026-11-01\n")
    out = io.StringIO()
    call_command("xapi_import", stdout=out)
    assert "1 imported" in out.getvalue()
    config.host_key_fingerprint = "SHA256:" + "B" * 43
    config.save()
    with pytest.raises(CommandError):
        call_command("xapi_import", stdout=io.StringIO())


def test_import_now_from_the_admin_and_the_runs_on_the_page(sftp_server, data, admin_client):
    config, _alice, _bob, course = data
    drop(
        sftp_server,
        HEADER
        + f"alice@example.com,{verbs.PASSED},{course.course_id},0.9,true,2026-11-01\n"
        + f"nobody@example.com,{verbs.PASSED},{course.course_id},0.9,true,2026-11-01\n",
    )
    url = "/admin/xapi/xapiimportconfiguration/"

    response = admin_client.post(url, {"action": "import_now", "_selected_action": [config.pk]}, follow=True)

    text = response.content.decode()
    assert "completed with errors: 1 imported, 1 failed, 0 skipped" in text
    run = Run.objects.get(configuration_id=config.pk)
    assert run.trigger == Run.Trigger.ADMIN and run.kind == "statement_import"
    page = admin_client.get(reverse("admin:integrated_channel_operation", args=[config.pk, "statement_import"]))
    page = page.content.decode()
    report_url = reverse("admin:integrated_channel_run_error_report", args=[run.pk])
    assert report_url in page and 'class="run-failed"' in page
    report = admin_client.get(report_url)
    assert b"nobody@example.com" in b"".join(report.streaming_content if report.streaming else [report.content])


def test_a_filter_on_a_column_the_file_lacks_fails_the_run(sftp_server, data):
    config, _alice, _bob, course = data
    XAPIImportFilter.objects.create(configuration=config, name="dept", field="Department", value="Sales")
    drop(sftp_server, HEADER + f"alice@example.com,{verbs.PASSED},{course.course_id},0.9,true,2026-11-01\n")

    run = import_statements(configuration=config).run

    assert run.status == Run.Status.FAILED and "'dept' ('Department') name no column" in run.error_message
    assert sftp_server.path("import/xapi.csv").exists()


def test_a_bad_row_is_a_line_of_the_runs_error_report_as_in_the_user_import(sftp_server, data):
    """One run handling for both imports (decision 0412): a refused row is a "Failed" line of the run's
    error report naming the learner, the file, the row and the column; the run completes with errors."""
    import csv

    from integrated_channels.integrated_channel.services import error_report
    from integrated_channels.sftp.services.user_import import import_users
    from tests.integrated_channels.sftp.factories import connection_to

    config, _alice, _bob, course = data
    drop(
        sftp_server,
        HEADER
        + f"alice@example.com,{verbs.PASSED},{course.course_id},0.9,true,2026-11-01\n"
        + f"Bob@example.com,passed,{course.course_id},0.9,true,2026-11-01\n",
    )
    xapi_run = import_statements(configuration=config).run
    sftp_server.write(
        "import/user/internal/people.csv", "Email,Manager,Department\nann@example.com,,Sales\nnot-an-email,,Ops\n"
    )
    user_run = import_users(configuration=connection_to(sftp_server, customer=config.customer)).run

    def report(run):
        return list(csv.DictReader("".join(error_report.stream_csv(run)).lstrip("\ufeff").splitlines()))

    for run in (xapi_run, user_run):
        run.refresh_from_db()
        assert (run.status, run.selected, run.sent, run.failed) == ("completed_with_errors", 2, 1, 1)
    (xapi_line,) = report(xapi_run)
    (user_line,) = report(user_run)
    assert xapi_line.keys() == user_line.keys()
    assert (xapi_line["outcome"], user_line["outcome"]) == ("Failed", "Failed")
    assert (xapi_line["email"], user_line["email"]) == ("bob@example.com", "not-an-email")
    assert xapi_line["message"] == "import/xapi.csv, line 3, column 'Verb' (verb.id): 'passed' is not an IRI"
    assert user_line["message"].startswith("import/user/internal/people.csv, row 3, column 'Email': 'not-an-email'")
    assert xapi_line["error code"] == "invalid_row"
