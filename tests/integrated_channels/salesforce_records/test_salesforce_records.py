"""Salesforce learning records against a strict fake of the Salesforce REST API."""

from __future__ import annotations

import pytest

from integrated_channels.integrated_channel.models import Run, RunError
from integrated_channels.salesforce_records import client as sf_client
from integrated_channels.salesforce_records import operations as ops
from integrated_channels.salesforce_records.client import SalesforceClient, soql_string
from integrated_channels.salesforce_records.models import SalesforceRecordsConnection
from tests.factories import (
    CertificateFactory,
    CourseFactory,
    CustomerFactory,
    EnrollmentFactory,
    LearnerFactory,
    ProgramFactory,
    UserFactory,
)
from tests.fakes.salesforce_records import FakeSalesforceRecords

CLIENT_ID, SECRET = "3MVG9consumer-key", "consumer-secret-value"
TRANSCRIPT_FIELDS = dict.fromkeys(
    (
        "Email__c",
        "Course_Id__c",
        "Course_Title__c",
        "Status__c",
        "Grade__c",
        "Enrolled_At__c",
        "Completed_At__c",
        "Unenrolled_At__c",
        "Type__c",
        "Embedded_Path__c",
        "Embedded_Path_Id__c",
        "Embedded_Course_Id__c",
    ),
    255,
)


@pytest.fixture
def fake():
    with FakeSalesforceRecords(client_id=CLIENT_ID, client_secret=SECRET) as server:
        yield server


def _objects(fake, target: str) -> None:
    fake.add_object(
        "Learner_Transcript__c", TRANSCRIPT_FIELDS, external_id="External_Id__c", lookup=("Learner__c", target)
    )
    fake.add_object(
        "Learner_Skill__c",
        dict.fromkeys(("Email__c", "Skill__c", "Level__c", "Course_Id__c", "Achieved_At__c"), 255),
        external_id="External_Id__c",
        lookup=("Learner__c", target),
    )
    fake.add_object(
        "Learner_Report__c",
        dict.fromkeys(("Email__c", "Username__c", "Enrollments__c", "Completions__c", "Linked_At__c"), 255),
        external_id="External_Id__c",
        lookup=("Learner__c", target),
    )


@pytest.fixture
def connection(fake, db):
    _objects(fake, "User")
    return SalesforceRecordsConnection.objects.create(
        customer=CustomerFactory(), my_domain_url=fake.url, client_id=CLIENT_ID, client_secret=SECRET
    )


def enrolled(connection, name: str, course, **kwargs):
    learner = LearnerFactory(customer=connection.customer, user=UserFactory(username=name, email=f"{name}@example.com"))
    EnrollmentFactory(learner=learner, course_id=course.course_id, **kwargs)
    return learner


def run(connection, operation=ops.TRANSCRIPTS, **kwargs) -> Run:
    return ops.export_records(connection, operation, trigger=Run.Trigger.ADMIN, **kwargs)


def test_transcripts_upserted_linked_to_users_and_never_duplicated(connection, fake):
    course = CourseFactory()
    program = ProgramFactory(title="Path")
    for name in ("ann", "bob", "cid"):
        fake.add_user(f"{name}@example.com")
    ann = enrolled(connection, "ann", course, program_id=str(program.program_id))
    enrolled(connection, "bob", course)
    enrolled(connection, "cid", course)
    CertificateFactory(user=ann.user, course=course)
    first = run(connection)
    assert (first.status, first.sent) == (Run.Status.COMPLETED, 3), first.error_message
    records = fake.objects["Learner_Transcript__c"]["records"]
    ann_record = next(r for r in records.values() if r["Email__c"] == "ann@example.com")
    assert ann_record["Status__c"] == "completed"
    assert (ann_record["Type__c"], ann_record["Embedded_Path__c"], ann_record["Embedded_Course_Id__c"]) == (
        "learning path course",
        "Path",
        course.course_id,
    )
    assert fake.users[ann_record["Learner__c"]]["Email"] == "ann@example.com"
    again = run(connection, start_date=first.started_at.replace(year=2000))
    assert again.sent == 3 and len(records) == 3  # upserted by the external id


def test_failed_records_are_in_the_error_report_not_hidden(connection, fake):
    course = CourseFactory(title="x" * 100)
    fake.objects["Learner_Transcript__c"]["fields"]["Course_Title__c"] = 80  # the org's field is shorter
    fake.add_user("ann@example.com")
    enrolled(connection, "ann", course)
    enrolled(connection, "nobody", CourseFactory())  # no Salesforce user
    done = run(connection)
    assert (done.status, done.sent, done.failed) == (Run.Status.COMPLETED_WITH_ERRORS, 0, 2)
    messages = {e.email: (e.code, e.message) for e in RunError.objects.filter(run=done)}
    assert messages["ann@example.com"][0] == "STRING_TOO_LONG"
    assert messages["nobody@example.com"][0] == "no_salesforce_user"


def test_contacts_are_created_for_missing_learners(connection, fake):
    fake.objects.clear()
    _objects(fake, "Contact")
    connection.link_to = "Contact"
    connection.save()
    course = CourseFactory()
    for name in ("dee", "eve", "fay"):
        enrolled(connection, name, course)
    done = run(connection)
    assert (done.status, done.sent) == (Run.Status.COMPLETED, 3), done.error_message
    assert sorted(c["Email"] for c in fake.contacts.values()) == [
        "dee@example.com",
        "eve@example.com",
        "fay@example.com",
    ]
    run(connection, start_date=done.started_at.replace(year=2000))
    assert len(fake.contacts) == 3  # found by e-mail the second time (paged SOQL answers)


def test_batches_of_200_and_paged_queries(connection, fake, monkeypatch):
    monkeypatch.setattr(sf_client, "COLLECTION", 2)
    course = CourseFactory()
    for index in range(5):
        fake.add_user(f"l{index}@example.com")
        enrolled(connection, f"l{index}", course)
    done = run(connection)
    assert done.sent == 5
    upserts = [p for m, p in fake.requests if m == "PATCH"]
    assert len(upserts) == 3  # 5 records, 2 per call in this test (200 by default)
    assert sf_client.EMAILS_PER_QUERY == 100 and sf_client.COLLECTION == 2


def test_skills_and_user_report(connection, fake):
    course = CourseFactory(skills=["SQL"])
    fake.add_user("ann@example.com")
    learner = enrolled(connection, "ann", course)
    CertificateFactory(user=learner.user, course=course)
    assert run(connection, ops.SKILLS).sent == 1
    assert run(connection, ops.USER_REPORT).sent == 1
    [report] = fake.objects["Learner_Report__c"]["records"].values()
    assert (report["Enrollments__c"], report["Completions__c"]) == (1, 1)


def test_a_revoked_secret_fails_the_run_and_marks_nothing_sent(connection, fake):
    fake.add_user("ann@example.com")
    enrolled(connection, "ann", CourseFactory())
    fake.revoke_secret()
    done = run(connection)
    assert done.status == Run.Status.FAILED and "invalid client credentials" in done.error_message
    assert (done.sent, done.not_attempted, done.watermark) == (0, 1, None)
    assert SECRET not in done.error_message
    assert fake.objects["Learner_Transcript__c"]["records"] == {}


def test_request_limit_stops_the_run_clearly(connection, fake):
    fake.add_user("ann@example.com")
    enrolled(connection, "ann", CourseFactory())
    fake.api_limit = 0
    done = run(connection)
    assert done.status == Run.Status.FAILED and done.error_code == "request_limit_exceeded"
    assert "REQUEST_LIMIT_EXCEEDED" in done.error_message


def test_an_expired_session_is_renewed_once(connection, fake):
    client = SalesforceClient(connection)
    assert client.describe("Learner_Skill__c")
    fake.tokens.clear()  # the session expired
    assert client.describe("Learner_Skill__c")
    assert fake.token_calls == 2


def test_connection_test_checks_the_objects_fields(connection, fake):
    assert ops.test_connection(connection).ok
    del fake.objects["Learner_Skill__c"]["fields"]["Level__c"]
    outcome = ops.test_connection(connection)
    assert not outcome.ok and "Learner_Skill__c lacks Level__c" in outcome.message


def test_soql_literals_are_escaped():
    assert soql_string("o'hara\\x@example.com") == "'o\\'hara\\\\x@example.com'"


def test_the_fake_refuses_what_salesforce_refuses(connection, fake):
    from integrated_channels.integrated_channel.exceptions import RemoteRejected

    client = SalesforceClient(connection)
    with pytest.raises(RemoteRejected, match="EXCEEDED_ID_LIMIT"):
        client.upsert("Learner_Skill__c", "External_Id__c", [{"attributes": {"type": "Learner_Skill__c"}}] * 201)
    with pytest.raises(RemoteRejected, match="MALFORMED_QUERY"):
        client.query("SELECT Id FROM User")
    [result] = client.upsert(
        "Learner_Skill__c", "External_Id__c", [{"attributes": {"type": "Learner_Skill__c"}, "Shoe__c": 1}]
    )
    assert {e["statusCode"] for e in result["errors"]} >= {"INVALID_FIELD", "REQUIRED_FIELD_MISSING"}
