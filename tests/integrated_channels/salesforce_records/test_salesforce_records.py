"""Salesforce learning records against a strict fake of the Salesforce REST API."""

from __future__ import annotations

import re

import pytest

from integrated_channels.integrated_channel.models import Run, RunError
from integrated_channels.salesforce_records import client as sf_client
from integrated_channels.salesforce_records import operations as ops
from integrated_channels.salesforce_records.client import SalesforceClient
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
    queries = [p for m, p in fake.requests if m == "GET" and p.endswith("/query")]
    assert len(queries) == 3  # the learners of each collection batch looked up by one query


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


def test_learners_are_looked_up_by_as_few_queries_as_the_uri_allows(connection, fake):
    emails = [f"{'long.address.' * 4}{index:04d}@example.com" for index in range(1000)]  # 69 characters
    for email in emails[::2]:
        fake.add_user(email)
    found = SalesforceClient(connection).ids_by_email("User", [e.upper() for e in emails])
    assert sorted(found) == sorted(emails[::2])
    queries = [p for m, p in fake.requests if m == "GET" and p.endswith("/query")]
    soqls = list(sf_client.email_queries("User", emails))
    assert len(queries) == len(soqls) == 6  # 100 a query (before decision 0470) made 10
    assert all(len(s) <= sf_client.SOQL_MAX_CHARS for s in soqls)
    assert sorted(e for s in soqls for e in re.findall(r"'([^']*)'", s)) == sorted(emails)
    short = list(sf_client.email_queries("Contact", [f"l{index:05d}@example.com" for index in range(600)]))
    assert len(short) == 2  # addresses of 18 characters: over 300 a query, one per batch of 200 records


def test_the_fake_refuses_a_uri_or_a_soql_statement_over_salesforces_limits(connection, fake):
    from integrated_channels.integrated_channel.exceptions import TransmissionError

    values = ", ".join(f"'a{index:05d}@example.com'" for index in range(1000))
    with pytest.raises(TransmissionError, match=r"414|URI_TOO_LONG"):
        SalesforceClient(connection).query(f"SELECT Id, Email FROM User WHERE Email IN ({values})")
    status, body = fake._query("SELECT Id, Email FROM User WHERE Email IN (" + ", ".join(["'a@b.c'"] * 12_500) + ")")
    assert status == 400 and body[0]["errorCode"] == "MALFORMED_QUERY" and "100,000" in body[0]["message"]


def test_addresses_are_quoted_by_the_salesforce_soql_helper_and_found(connection, fake):
    odd = ["o'hara@example.com", "back\\slash@example.com", "line\nbreak@example.com"]
    for email in odd:
        fake.add_user(email)
    [soql] = sf_client.email_queries("User", odd)
    assert "'o\\'hara@example.com'" in soql and "'back\\\\slash@example.com'" in soql
    assert "'line\\nbreak@example.com'" in soql and "\n" not in soql
    assert sorted(SalesforceClient(connection).ids_by_email("User", odd)) == sorted(odd)


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


# -- Bulk API 2.0 above the connection's threshold (decision 0402) -----------------------------------


def bulk_client(connection, pauses: list) -> SalesforceClient:
    return SalesforceClient(connection, sleep=pauses.append)


def test_above_the_threshold_records_go_in_a_bulk_job_and_failures_come_back_per_record(connection, fake):
    connection.bulk_threshold = 2
    connection.save()
    fake.objects["Learner_Transcript__c"]["fields"]["Course_Title__c"] = 80
    course, long_title = CourseFactory(), CourseFactory(title="x" * 100)
    for name in ("ann", "bob", "cid", "dan"):
        fake.add_user(f"{name}@example.com")
        enrolled(connection, name, course)
    enrolled(connection, "nobody", course)  # no Salesforce user: refused before the job
    too_long = enrolled(connection, "eve", long_title)
    fake.add_user("eve@example.com")
    pauses: list[float] = []
    done = run(connection, client=bulk_client(connection, pauses))
    assert (done.status, done.sent, done.failed) == (Run.Status.COMPLETED_WITH_ERRORS, 4, 2), done.error_message
    errors = {e.email: e for e in RunError.objects.filter(run=done)}
    assert errors["nobody@example.com"].code == "no_salesforce_user"
    refused = errors["eve@example.com"]
    assert (refused.code, refused.course_id) == ("STRING_TOO_LONG", long_title.course_id)
    assert refused.remote_id and "Course_Title__c" in refused.message and too_long
    methods = [m for m, _p in fake.requests]
    assert "PUT" in methods and methods.count("PATCH") == 1  # UploadComplete; no sObject Collections call
    assert pauses == [2.0]  # InProgress at the first look, JobComplete after one pause
    [upload] = fake.uploads
    header, *lines = upload.decode().split("\n")
    assert header == "External_Id__c,Learner__c," + ",".join(TRANSCRIPT_FIELDS)
    assert lines[-1] == "" and len(lines) == 6 and b"\r" not in upload  # 5 records, LF, a final line ending
    records = fake.objects["Learner_Transcript__c"]["records"]
    assert len(records) == 4
    again = run(connection, client=bulk_client(connection, []), start_date=done.started_at.replace(year=2000))
    assert again.sent == 4 and len(records) == 4  # upserted by the external id: never duplicated


def test_a_bulk_export_is_cut_into_jobs_by_size(connection, fake, monkeypatch):
    monkeypatch.setattr(sf_client, "COLLECTION", 2)
    monkeypatch.setattr(sf_client, "BULK_JOB_BYTES", 1)  # a job per batch of 2
    connection.bulk_threshold = 1
    connection.save()
    course = CourseFactory()
    for index in range(5):
        fake.add_user(f"l{index}@example.com")
        enrolled(connection, f"l{index}", course)
    done = run(connection, client=bulk_client(connection, []))
    assert (done.status, done.sent) == (Run.Status.COMPLETED, 5)
    assert len(fake.jobs) == 3 and all(job["state"] == "JobComplete" for job in fake.jobs.values())


def test_a_job_salesforce_fails_reports_every_record_unprocessed(connection, fake):
    connection.bulk_threshold = 1
    connection.save()
    del fake.objects["Learner_Transcript__c"]["fields"]["Grade__c"]  # the org lacks a field
    course = CourseFactory()
    for name in ("ann", "bob"):
        fake.add_user(f"{name}@example.com")
        enrolled(connection, name, course)
    done = run(connection, client=bulk_client(connection, []))
    assert (done.status, done.sent, done.failed) == (Run.Status.COMPLETED_WITH_ERRORS, 0, 2)
    messages = {e.email: (e.code, e.message) for e in RunError.objects.filter(run=done)}
    assert set(messages) == {"ann@example.com", "bob@example.com"}
    code, message = messages["ann@example.com"]
    assert code == "unprocessed" and "Failed" in message and "Field name not found : Grade__c" in message


def test_a_failed_upload_aborts_the_job_and_fails_the_run(connection, fake, monkeypatch):
    connection.bulk_threshold = 1
    connection.save()
    course = CourseFactory()
    for name in ("ann", "bob"):
        fake.add_user(f"{name}@example.com")
        enrolled(connection, name, course)
    monkeypatch.setattr(ops._Spool, "data", lambda self: b"External_Id__c\r\nx\r\n")  # CRLF in an LF job
    done = run(connection, client=bulk_client(connection, []))
    assert done.status == Run.Status.FAILED and "CRLF line ending" in done.error_message
    assert (done.sent, done.not_attempted) == (0, 2)
    [job] = fake.jobs.values()
    assert job["state"] == "Aborted"


def test_the_fake_checks_bulk_requests_as_salesforce_does(connection, fake):
    from integrated_channels.integrated_channel.exceptions import RemoteRejected

    client = bulk_client(connection, [])
    with pytest.raises(RemoteRejected, match="not an External ID"):
        client.create_ingest_job("Learner_Skill__c", "Email__c")
    job = client.create_ingest_job("Learner_Skill__c", "External_Id__c")
    with pytest.raises(RemoteRejected, match="INVALIDJOBSTATE"):
        client.set_job_state(job["id"], "UploadComplete")  # no data yet
    url = f"{connection.my_domain_url}/{job['contentUrl']}"
    with pytest.raises(RemoteRejected, match="text/csv"):
        client.authorized_request("PUT", url, data=b"a\n", headers={"Content-Type": "application/json"})
    with pytest.raises(RemoteRejected, match="no line ending"):
        client.upload_job_data(job, b"External_Id__c,Learner__c")
    client.upload_job_data(job, b"External_Id__c,Learner__c\nS-1,005x\n")
    with pytest.raises(RemoteRejected, match="uploaded already"):
        client.upload_job_data(job, b"External_Id__c,Learner__c\nS-2,005x\n")
    with pytest.raises(RemoteRejected, match="INVALIDJOBSTATE"):
        list(client.job_results(job["id"], "failedResults"))  # not finished
    client.set_job_state(job["id"], "UploadComplete")
    info = client.wait_for_job(job["id"])
    assert (info["state"], info["numberRecordsFailed"]) == ("JobComplete", 1)
    [failed] = client.job_results(job["id"], "failedResults")
    assert failed["sf__Error"].startswith("FIELD_INTEGRITY_EXCEPTION:") and failed["External_Id__c"] == "S-1"
