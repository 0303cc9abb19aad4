"""The Power BI connector against a strict fake of the Power BI REST API and Microsoft identity."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from django.utils import timezone

from enterprise.lms.local.models import CourseFeedback
from integrated_channels.integrated_channel.exceptions import RemoteRejected
from integrated_channels.integrated_channel.models import Run, RunError
from integrated_channels.powerbi import push, reports, xapi_report
from integrated_channels.powerbi.client import PowerBIClient
from integrated_channels.powerbi.models import PowerBIConnection, PushState, XAPIColumn
from integrated_channels.powerbi.operations import export_report, test_connection
from tests.factories import (
    CertificateFactory,
    CourseFactory,
    CustomerFactory,
    EnrollmentFactory,
    GradeFactory,
    LearnerFactory,
    ProgramFactory,
    UserFactory,
)
from tests.fakes.powerbi import FakePowerBI

CLIENT_ID = "6f1c1c2e-1d1b-4f3e-9c55-0a1b2c3d4e5f"
SECRET = "s3cr3t~value-of-the-app"
WORKSPACE = "f089354e-8366-4e18-aea3-4cb4a3a50b48"


@pytest.fixture(autouse=True)
def fresh_throttles():
    push.forget_throttles()
    yield
    push.forget_throttles()


@pytest.fixture
def fake():
    with FakePowerBI(client_id=CLIENT_ID, client_secret=SECRET, workspace=WORKSPACE) as server:
        yield server


@pytest.fixture
def connection(fake, db):
    return PowerBIConnection.objects.create(
        customer=CustomerFactory(),
        tenant_id=fake.tenant,
        client_id=CLIENT_ID,
        client_secret=SECRET,
        workspace_id=WORKSPACE,
        authority_url=fake.url,
        api_url=fake.url,
    )


def run(connection, fake, operation=reports.TRANSCRIPTS, **kwargs) -> Run:
    client = PowerBIClient(connection, sleep=fake.sleep, clock=fake.clock)
    return export_report(connection, operation, trigger=Run.Trigger.ADMIN, client=client, **kwargs)


@pytest.fixture
def four_learners(connection):
    """One enrollment per status: completed, in progress, not started, unenrolled."""
    customer = connection.customer
    course = CourseFactory(course_id="course-v1:Org+PBI+1", title="Power", skills=[("Python", "Beginner"), "SQL"])
    learners = {
        name: LearnerFactory(customer=customer, user=UserFactory(username=name, email=f"{name}@example.com"))
        for name in ("done", "going", "idle", "gone")
    }
    enrollments = {
        name: EnrollmentFactory(learner=learner, course_id=course.course_id) for name, learner in learners.items()
    }
    CertificateFactory(user=learners["done"].user, course=course, grade="0.9")
    GradeFactory(user=learners["going"].user, course=course, percent="0.4", passed_at=None)
    enrollments["gone"].unenrolled_at = timezone.now()
    enrollments["gone"].save()
    return course, learners, enrollments


def test_creates_the_push_model_and_appends_only_what_changed(connection, fake, four_learners):
    course, learners, _enrollments = four_learners
    first = run(connection, fake)
    assert (first.status, first.selected, first.sent) == (Run.Status.COMPLETED, 4, 4), first.error_message
    [dataset] = fake.datasets.values()
    assert dataset["name"] == "Learner reports"
    assert set(dataset["tables"]) == {table.name for table in reports.TABLES.values()}
    rows = fake.table_rows("Learner transcripts")
    assert sorted((row["Username"], row["Status"]) for row in rows) == [
        ("done", "completed"),
        ("going", "in progress"),
        ("gone", "unenrolled"),
        ("idle", "not started"),
    ]
    posts = fake.post_count()
    second = run(connection, fake)
    assert (second.status, second.selected, second.sent) == (Run.Status.COMPLETED, 0, 0)
    assert fake.post_count() == posts  # nothing new: no call
    GradeFactory(user=learners["idle"].user, course=course, percent="0.1", passed_at=None)
    third = run(connection, fake)
    assert third.sent == 1
    assert [(row["Username"], row["Status"]) for row in fake.table_rows("Learner transcripts")[4:]] == [
        ("idle", "in progress")
    ]
    assert len(fake.datasets) == 1  # found again by name, not created twice


@pytest.mark.parametrize(
    ("status", "expected"),
    [("completed", ["done"]), ("in progress", ["going"]), ("not started", ["idle"]), ("unenrolled", ["gone"])],
)
def test_transcript_status_filter(connection, fake, four_learners, status, expected):
    connection.transcript_status = status
    connection.save()
    done = run(connection, fake)
    assert [row["Username"] for row in fake.table_rows("Learner transcripts")] == expected
    assert done.skip_reasons == {"status_filtered_out": 3}


def test_user_skills_and_training_report(connection, fake, four_learners):
    course, learners, _enrollments = four_learners
    CourseFeedback.objects.create(user=learners["done"].user, course=course, rating=5)
    CourseFeedback.objects.create(user=learners["going"].user, course=course, rating=2, comment="Slow")
    assert run(connection, fake, reports.SKILLS).sent == 2
    assert sorted((r["Username"], r["Skill"], r["Level"]) for r in fake.table_rows("User skills")) == [
        ("done", "Python", "Beginner"),
        ("done", "SQL", ""),
    ]
    assert run(connection, fake, reports.TRAINING).sent == 1
    [row] = fake.table_rows("Training report")
    assert {k: row[k] for k in ("CourseId", "Enrollments", "Completions", "FeedbackCount", "AverageRating")} == {
        "CourseId": course.course_id,
        "Enrollments": 3,  # the unenrolled learner is not counted
        "Completions": 1,
        "FeedbackCount": 2,
        "AverageRating": 3.5,
    }
    assert run(connection, fake, reports.UNIFIED).sent == 4
    ratings = {r["Username"]: (r["Rating"], r["Comment"]) for r in fake.table_rows("Unified report")}
    assert ratings == {"done": (5, ""), "going": (2, "Slow"), "idle": (None, None), "gone": (None, None)}


def test_an_interrupted_run_is_resumed_without_duplicates(connection, fake, monkeypatch):
    monkeypatch.setattr(push, "ROWS_PER_POST", 2)
    course = CourseFactory()
    for _ in range(5):
        EnrollmentFactory(learner=LearnerFactory(customer=connection.customer), course_id=course.course_id)
    fake.fail_after_posts = 1  # the second POST is refused: the run stops after 2 rows
    failed = run(connection, fake)
    assert failed.status == Run.Status.FAILED
    assert (failed.sent, failed.not_attempted) == (2, 3)
    assert "the next run resumes after them" in failed.error_message
    state = PushState.objects.get(connection=connection)
    assert state.resume_after and state.pushed_until is None
    resumed = run(connection, fake)
    assert resumed.status == Run.Status.COMPLETED
    ids = [row["EnrollmentId"] for row in fake.table_rows("Learner transcripts")]
    assert len(ids) == len(set(ids)) == 5
    state.refresh_from_db()
    assert (state.resume_after, state.window_end) == ("", None) and state.pushed_until is not None


def test_strings_over_4000_characters_are_cut_with_a_warning(connection, fake):
    course = CourseFactory()
    learner = LearnerFactory(customer=connection.customer, attributes={"bio": "x" * 5000})
    EnrollmentFactory(learner=learner, course_id=course.course_id)
    done = run(connection, fake, reports.UNIFIED)
    assert (done.status, done.sent) == (Run.Status.COMPLETED_WITH_ERRORS, 1)
    [row] = fake.table_rows("Unified report")
    assert len(row["Attributes"]) == 4000
    [warning] = RunError.objects.filter(run=done)
    assert warning.code == "value_truncated" and "column Attributes" in warning.message
    assert not [refusal for refusal in fake.refusals if refusal[0] == 400]


def test_a_revoked_secret_fails_the_run_and_marks_nothing_sent(connection, fake, four_learners):
    assert run(connection, fake, reports.TRAINING).status == Run.Status.COMPLETED  # a token is now stored
    fake.revoke_secret()  # its tokens too: the API answers 403 TokenExpired, the new token is refused
    failed = run(connection, fake)
    assert failed.status == Run.Status.FAILED
    assert "AADSTS7000222" in failed.error_message and SECRET not in failed.error_message
    assert (failed.sent, failed.not_attempted) == (0, 4)
    assert fake.table_rows("Learner transcripts") == []
    state = PushState.objects.get(connection=connection, table="Learner transcripts")
    assert state.pushed_until is None and state.resume_after == ""
    assert not test_connection(connection).ok


def test_connection_test_lists_the_workspace_models(connection, fake):
    outcome = test_connection(connection)
    assert outcome.ok and "will be created" in outcome.message
    connection.workspace_id = "00000000-0000-0000-0000-000000000000"
    assert "Workspace not found" in test_connection(connection).message


def test_throttle_keeps_within_120_posts_a_minute(connection, fake):
    """130 POST-rows in a row: the throttle waits rather than get a 429 from the fake."""
    client = PowerBIClient(connection, sleep=fake.sleep, clock=fake.clock)
    dataset_id = client.ensure_dataset("Throttled", [reports.TABLES[reports.TRAINING].schema()])
    throttle = push.throttle_for(dataset_id, clock=client.clock)
    start = fake.now
    row = {"CourseId": "c", "CourseTitle": "t", "Enrollments": 1, "Completions": 0, "FeedbackCount": 0}
    for _ in range(130):
        throttle.acquire(1, large_table=False, wait=client.wait)
        client.post_rows(dataset_id, "Training report", [row])
    assert not fake.refusals
    assert fake.now - start >= 60  # the 121st waited for the minute to pass


def test_without_throttle_the_fake_answers_429_and_the_client_honours_retry_after(connection, fake):
    client = PowerBIClient(connection, sleep=fake.sleep, clock=fake.clock)
    dataset_id = client.ensure_dataset("Raw", [reports.TABLES[reports.TRAINING].schema()])
    row = {"CourseId": "c", "CourseTitle": "t"}
    for _ in range(121):
        client.post_rows(dataset_id, "Training report", [row])
    assert (429, "TooManyRequests") in fake.refusals
    assert 30.0 in client.waits


def test_throttle_limits_in_numbers():
    clock = itertools.count(0.0, 0.0)
    throttle = push.PushThrottle(clock=lambda: next(clock))
    for _ in range(100):  # 1,000,000 rows at t=0
        throttle.acquire(10_000, large_table=False, wait=lambda s: None)
    assert throttle.delay(1, large_table=False) == push.HOUR  # the hour's rows are spent
    small = push.PushThrottle(clock=lambda: 0.0)
    for _ in range(120):
        small.acquire(1, large_table=True, wait=lambda s: None)
    assert small.delay(1, large_table=True) == push.HOUR  # 120 an hour once the table is large
    assert small.delay(1, large_table=False) == push.MINUTE


def test_the_fake_refuses_what_power_bi_refuses(connection, fake):
    client = PowerBIClient(connection, sleep=fake.sleep, clock=fake.clock)
    dataset_id = client.ensure_dataset("Strict", [reports.TABLES[reports.TRAINING].schema()])
    for rows in (
        [{"Unknown": 1}],
        [{"Enrollments": "three"}],
        [{"CourseTitle": "y" * 4001}],
        [{"CourseId": "c"}] * 10_001,
        [{"RecordedAt": "yesterday"}],
    ):
        with pytest.raises(RemoteRejected):
            client.post_rows(dataset_id, "Training report", rows)
    with pytest.raises(RemoteRejected, match="Only push"):
        client._json(
            "POST",
            f"{client.base}/datasets",
            json={"name": "x", "defaultMode": "Streaming", "tables": []},
            what="x",
        )
    with pytest.raises(RemoteRejected, match="is a required property"):
        client._json("POST", f"{client.base}/datasets", json={"name": "x"}, what="x")


def test_the_tables_page_lists_every_column():
    page = (Path(__file__).resolve().parents[3] / "docs" / "connectors" / "powerbi-tables.md").read_text()
    assert reports.tables_markdown() in page, "regenerate the tables section from reports.tables_markdown()"


@pytest.mark.parametrize("operation", [reports.TRANSCRIPTS, reports.UNIFIED, reports.SKILLS, reports.TRAINING])
def test_selection_queries_do_not_grow_with_the_learners(connection, django_assert_max_num_queries, operation):
    def select() -> int:
        selection = reports.SELECTORS[operation](connection, None, timezone.now())
        return len(list(selection.rows))

    courses = [CourseFactory(skills=["Skill A"]) for _ in range(3)]

    def add(learners: int) -> None:
        for index in range(learners):
            learner = LearnerFactory(customer=connection.customer)
            for course in courses:
                EnrollmentFactory(learner=learner, course_id=course.course_id)
                if index % 2:
                    CertificateFactory(user=learner.user, course=course)

    add(4)
    with django_assert_max_num_queries(12):
        assert select()
    add(20)
    with django_assert_max_num_queries(12):
        assert select()


def test_learning_path_columns(connection, fake):
    program = ProgramFactory(title="Data path")
    course = CourseFactory()
    EnrollmentFactory(
        learner=LearnerFactory(customer=connection.customer),
        course_id=course.course_id,
        program_id=str(program.program_id),
    )
    EnrollmentFactory(learner=LearnerFactory(customer=connection.customer), course_id=course.course_id)
    assert run(connection, fake).sent == 2
    rows = sorted(fake.table_rows("Learner transcripts"), key=lambda row: row["EnrollmentId"])
    assert [(r["Type"], r["LearningPathId"], r["LearningPath"]) for r in rows] == [
        ("learning path course", str(program.program_id), "Data path"),
        ("course", None, None),
    ]


@pytest.mark.parametrize(
    "model",
    ["powerbi_powerbiconnection", "marketo_marketoconnection", "salesforce_records_salesforcerecordsconnection"],
)
def test_the_connection_admin_pages_keep_secrets_write_only(admin_client, connection, model):
    from django.urls import reverse

    page = admin_client.get(reverse(f"admin:{model}_add"))
    assert page.status_code == 200
    if model.startswith("powerbi"):
        change = admin_client.get(reverse(f"admin:{model}_change", args=[connection.pk])).content.decode()
        assert SECRET not in change


def _statement(customer, **raw):
    import uuid

    from integrated_channels.xapi.models import XAPIStatement

    statement_id = uuid.uuid4()
    statement = {
        "id": str(statement_id),
        "actor": {"mbox": "mailto:ann@example.com"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
        "object": {"id": "https://example.com/activities/1"},
        **raw,
    }
    return XAPIStatement.objects.create(
        customer=customer,
        statement_id=statement_id,
        actor="mailto:ann@example.com",
        verb=statement["verb"]["id"],
        object_id=statement["object"]["id"],
        timestamp=timezone.now(),
        raw=statement,
        source=XAPIStatement.Source.IMPORTED,
    )


def _xapi_columns(connection):
    columns = [
        ("Score", "result.score.scaled", "number"),
        ("Success", "result.success", "boolean"),
        ("Activity", "object.definition.name.en-US", "text"),
        ("When", "timestamp", "datetime"),
    ]
    for position, (name, path, kind) in enumerate(columns):
        XAPIColumn.objects.create(connection=connection, position=position, name=name, path=path, value_type=kind)


def test_xapi_activity_typed_columns_and_na_for_a_missing_path(connection, fake):
    _xapi_columns(connection)
    full = _statement(
        connection.customer,
        result={"score": {"scaled": 0.75}, "success": True},
        object={"id": "https://example.com/a", "definition": {"name": {"en-US": "Safety"}}},
        timestamp="2026-11-30T09:00:00+01:00",
    )
    bare = _statement(connection.customer, result={"score": {"scaled": "high"}})  # not a number, no name
    _statement(CustomerFactory())  # another customer's: not in this report
    done = run(connection, fake, xapi_report.OPERATION)
    assert (done.status, done.sent) == (Run.Status.COMPLETED, 2), done.error_message
    [dataset] = fake.datasets.values()
    assert dataset["tables"]["xAPI activity"]["columns"] == {
        "StatementId": "String",
        "Stored": "DateTime",
        "Score": "Double",
        "Success": "Boolean",
        "Activity": "String",
        "When": "DateTime",
        "NotAvailable": "String",
        "RecordedAt": "DateTime",
    }
    rows = {row["StatementId"]: row for row in fake.table_rows("xAPI activity")}
    first, second = rows[str(full.statement_id)], rows[str(bare.statement_id)]
    assert (first["Score"], first["Success"], first["Activity"], first["NotAvailable"]) == (0.75, True, "Safety", "")
    assert first["When"] == "2026-11-30T08:00:00+00:00"
    assert (second["Score"], second["Success"], second["Activity"], second["When"]) == (None, None, "N/A", None)
    assert second["NotAvailable"] == "Score, Success, Activity, When"
    assert not fake.refusals


def test_xapi_activity_is_appended_incrementally_and_resumed_without_duplicates(connection, fake, monkeypatch):
    monkeypatch.setattr(push, "ROWS_PER_POST", 2)
    run(connection, fake)  # the model exists (created by another report) without the xAPI table
    for _ in range(5):
        _statement(connection.customer)
    fake.fail_after_posts = 1
    failed = run(connection, fake, xapi_report.OPERATION)
    assert (failed.status, failed.sent, failed.not_attempted) == (Run.Status.FAILED, 2, 3)
    resumed = run(connection, fake, xapi_report.OPERATION)
    assert (resumed.status, resumed.sent) == (Run.Status.COMPLETED, 3), resumed.error_message
    ids = [row["StatementId"] for row in fake.table_rows("xAPI activity")]
    assert len(ids) == len(set(ids)) == 5
    assert {row["Verb"] for row in fake.table_rows("xAPI activity")} == {"http://adlnet.gov/expapi/verbs/completed"}
    assert run(connection, fake, xapi_report.OPERATION).sent == 0
    _statement(connection.customer)
    assert run(connection, fake, xapi_report.OPERATION).sent == 1
    assert len(fake.table_rows("xAPI activity")) == 6
    again = run(connection, fake, xapi_report.OPERATION, start_date=timezone.now() - timezone.timedelta(days=1))
    assert again.sent == 6  # on demand from a start date: the window again


@pytest.mark.parametrize(
    ("name", "path", "kind", "field", "message"),
    [
        ("Score", "result..score", "number", "path", "is not a JSON path into an xAPI statement"),
        ("Score", "$.result.score", "number", "path", "is not a JSON path into an xAPI statement"),
        ("Score", "grade.value", "number", "path", "starting with one of id, actor"),
        ("Success", "result.success", "number", "path", "holds a boolean value, not a number one"),
        ("RecordedAt", "result.success", "boolean", "name", "a column the report always has"),
        ("1st", "result.success", "boolean", "name", "starts with a letter"),
    ],
)
def test_xapi_column_paths_and_names_are_checked_on_save(connection, name, path, kind, field, message):
    from django.core.exceptions import ValidationError

    column = XAPIColumn(connection=connection, name=name, path=path, value_type=kind)
    with pytest.raises(ValidationError) as refused:
        column.full_clean()
    assert message in " ".join(refused.value.message_dict[field])
    XAPIColumn(connection=connection, name="Any", path="result.success", value_type="text").full_clean()


def test_xapi_column_admin_shows_a_bad_path_as_a_field_error(connection, admin_client, rf, admin_user):
    from django.contrib.admin.sites import site

    from integrated_channels.powerbi.admin import XAPIColumnInline

    page = admin_client.get(f"/admin/powerbi/powerbiconnection/{connection.pk}/change/")
    assert page.status_code == 200 and b"XAPI activity columns" in page.content
    request = rf.post("/")
    request.user = admin_user
    formset_class = XAPIColumnInline(PowerBIConnection, site).get_formset(request, connection)
    prefix = formset_class.get_default_prefix()
    data = {
        f"{prefix}-TOTAL_FORMS": "1",
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-0-position": "0",
        f"{prefix}-0-name": "Score",
        f"{prefix}-0-path": "result/score",
        f"{prefix}-0-value_type": "number",
    }
    formset = formset_class(data, instance=connection, prefix=prefix)
    assert not formset.is_valid()
    assert "is not a JSON path into an xAPI statement" in formset.forms[0].errors["path"][0]
    assert not XAPIColumn.objects.exists()


def test_xapi_activity_columns_changed_later_update_the_table(connection, fake):
    _statement(connection.customer, result={"score": {"raw": 7}})
    assert run(connection, fake, xapi_report.OPERATION).sent == 1  # the default columns
    XAPIColumn.objects.create(connection=connection, name="Raw", path="result.score.raw", value_type="number")
    _statement(connection.customer, result={"score": {"raw": 9}})
    done = run(connection, fake, xapi_report.OPERATION)
    assert (done.status, done.sent) == (Run.Status.COMPLETED, 1), done.error_message
    [dataset] = fake.datasets.values()
    assert list(dataset["tables"]["xAPI activity"]["columns"]) == [
        "StatementId",
        "Stored",
        "Raw",
        "NotAvailable",
        "RecordedAt",
    ]
    assert fake.table_rows("xAPI activity")[-1]["Raw"] == 9


def test_xapi_activity_selection_reads_in_constant_queries(connection, django_assert_num_queries):
    _xapi_columns(connection)
    for _ in range(30):
        _statement(connection.customer)
    connection = PowerBIConnection.objects.get(pk=connection.pk)
    with django_assert_num_queries(2):  # the columns, then the statements (one chunked cursor)
        rows = list(xapi_report.selection(connection, None, timezone.now()).rows)
    assert len(rows) == 30 and [key for key, _row in rows] == sorted(key for key, _row in rows)
