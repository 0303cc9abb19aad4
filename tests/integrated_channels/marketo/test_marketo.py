"""The Marketo Engage connector against a strict fake of its REST API."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from enterprise.transports.rate_limit import forget_limiters
from integrated_channels.integrated_channel.models import Run, RunError
from integrated_channels.marketo import client as marketo_client
from integrated_channels.marketo import operations as ops
from integrated_channels.marketo.client import MarketoClient
from integrated_channels.marketo.models import MarketoConnection
from tests.factories import (
    CertificateFactory,
    CourseFactory,
    CustomerFactory,
    EnrollmentFactory,
    LearnerFactory,
    UserFactory,
)
from tests.fakes.marketo import FakeMarketo

CLIENT_ID, SECRET = "marketo-client", "marketo-secret-value"


@pytest.fixture(autouse=True)
def fresh_limiters():
    forget_limiters()
    yield
    forget_limiters()


@pytest.fixture
def fake():
    with FakeMarketo(client_id=CLIENT_ID, client_secret=SECRET) as server:
        yield server


@pytest.fixture
def connection(fake, db):
    return MarketoConnection.objects.create(
        customer=CustomerFactory(),
        instance_url=fake.url,
        client_id=CLIENT_ID,
        client_secret=SECRET,
        lead_mapping={"email": "email", "first_name": "firstName", "last_name": "lastName", "department": "department"},
    )


def client_for(connection, fake) -> MarketoClient:
    return MarketoClient(connection, sleep=fake.sleep, clock=fake.clock)


def learner(connection, name: str, email: str | None = None, **attributes):
    user = UserFactory(username=name, email=email or f"{name}@example.com", first_name=name.title(), last_name="Doe")
    return LearnerFactory(customer=connection.customer, user=user, attributes=attributes)


def test_leads_are_mapped_batched_by_300_and_skipped_records_reported(connection, fake, monkeypatch):
    monkeypatch.setattr(marketo_client, "BATCH", 3)
    for index in range(6):
        learner(connection, f"user{index}", department="Sales")
    learner(connection, "broken", email="not-an-address")
    run = ops.export_leads(connection, trigger=Run.Trigger.ADMIN, client=client_for(connection, fake))
    assert (run.status, run.sent, run.failed) == (Run.Status.COMPLETED_WITH_ERRORS, 6, 1)
    assert sum(1 for m, p in fake.requests if p == "/rest/v1/leads.json") == 3  # 7 leads, 3 per call
    assert fake.leads["user0@example.com"] == {
        "id": 1,
        "email": "user0@example.com",
        "firstName": "User0",
        "lastName": "Doe",
        "department": "Sales",
    }
    [error] = RunError.objects.filter(run=run)
    assert error.email == "not-an-address" and "1003: Invalid email" in error.message
    again = ops.export_leads(connection, trigger=Run.Trigger.ADMIN, client=client_for(connection, fake))
    assert (again.selected, again.sent) == (0, 0)  # nothing changed since the last run


def test_the_default_batch_is_300():
    assert marketo_client.BATCH == 300


def test_transcripts_as_custom_objects_create_their_schema_and_never_duplicate(connection, fake):
    course = CourseFactory()
    for name in ("ann", "bob"):
        enrolled = learner(connection, name)
        EnrollmentFactory(learner=enrolled, course_id=course.course_id)
    CertificateFactory(user=enrolled.user, course=course)
    client = client_for(connection, fake)
    assert ops.export_leads(connection, trigger=Run.Trigger.ADMIN, client=client).sent == 2
    first = ops.export_transcripts(connection, trigger=Run.Trigger.ADMIN, client=client)
    assert (first.status, first.sent) == (Run.Status.COMPLETED, 2), first.error_message
    kind = fake.objects["cp_learnerTranscript"]
    assert kind["state"] == "approved" and kind["fields"]["email"]["relatedTo"] == {"name": "lead", "field": "email"}
    statuses = {r["email"]: r["status"] for r in kind["records"].values()}
    assert statuses == {"ann@example.com": "not started", "bob@example.com": "completed"}
    rerun = ops.export_transcripts(
        connection, trigger=Run.Trigger.ADMIN, client=client, start_date=first.started_at.replace(year=2000)
    )
    assert rerun.sent == 2 and len(kind["records"]) == 2  # upserted by the dedupe field
    assert ops.export_skills(connection, trigger=Run.Trigger.ADMIN, client=client).status == Run.Status.COMPLETED
    report = ops.export_user_report(connection, trigger=Run.Trigger.ADMIN, client=client)
    assert report.sent == 2
    completions = {r["email"]: r["completions"] for r in fake.objects["cp_userReport"]["records"].values()}
    assert completions == {"ann@example.com": 0, "bob@example.com": 1}


def test_a_record_whose_lead_is_missing_is_skipped_with_marketos_reason(connection, fake):
    course = CourseFactory()
    EnrollmentFactory(learner=learner(connection, "nolead"), course_id=course.course_id)
    run = ops.export_transcripts(connection, trigger=Run.Trigger.ADMIN, client=client_for(connection, fake))
    assert (run.status, run.failed) == (Run.Status.COMPLETED_WITH_ERRORS, 1)
    assert "1013: Lead not found" in RunError.objects.get(run=run).message


def test_custom_object_creation_off_fails_clearly(connection, fake):
    connection.create_custom_objects = False
    connection.save()
    EnrollmentFactory(learner=learner(connection, "x"), course_id=CourseFactory().course_id)
    run = ops.export_transcripts(connection, trigger=Run.Trigger.ADMIN, client=client_for(connection, fake))
    assert run.status == Run.Status.FAILED and "cp_learnerTranscript does not exist" in run.error_message


def test_606_is_waited_out_and_602_renews_the_token(connection, fake):
    client = client_for(connection, fake)
    assert client.lead_fields()
    fake.calls = [fake.now] * 100  # the instance's 20-second window is full (another client)
    fake.expire_tokens()
    assert "department" in client.lead_fields()
    assert fake.codes == ["606", "602"] or fake.codes == ["602", "606"]
    assert fake.token_calls == 2
    assert 20.0 in client.waits


def test_the_client_stays_under_100_calls_per_20_seconds(connection, fake):
    client = client_for(connection, fake)
    start = fake.now
    for _ in range(150):
        client.lead_fields()
    assert "606" not in fake.codes
    assert fake.now - start >= 20


def test_daily_quota_stops_the_run_with_a_clear_message(connection, fake):
    learner(connection, "q")
    fake.daily_quota = 0
    run = ops.export_leads(connection, trigger=Run.Trigger.ADMIN, client=client_for(connection, fake))
    assert run.status == Run.Status.FAILED
    assert "607" in run.error_message and "daily quota" in run.error_message
    assert (run.sent, run.not_attempted) == (0, 1)


def test_a_revoked_secret_fails_the_run_and_marks_nothing_sent(connection, fake):
    learner(connection, "r")
    fake.revoke_secret()
    run = ops.export_leads(connection, trigger=Run.Trigger.ADMIN, client=client_for(connection, fake))
    assert run.status == Run.Status.FAILED and "Bad client credentials" in run.error_message
    assert SECRET not in run.error_message
    assert (run.sent, run.not_attempted, run.watermark) == (0, 1, None)
    assert fake.leads == {}


def test_connection_test_reads_the_lead_fields_and_checks_the_mapping(connection, fake):
    outcome = ops.test_connection(connection)
    assert outcome.ok and "department" in outcome.found
    connection.refresh_from_db()
    assert connection.marketo_fields == {"lead": sorted(fake.lead_fields)}
    connection.lead_mapping = {"email": "email", "job_title": "jobTitle"}
    outcome = ops.test_connection(connection)
    assert not outcome.ok and "jobTitle" in outcome.message


def test_the_mapping_must_look_up_by_email(connection):
    connection.lead_mapping = {"email": "emailAddress"}
    with pytest.raises(ValidationError, match="lookup field"):
        connection.full_clean()
    connection.lead_mapping = {"email": "email", "nonsense": "x"}
    with pytest.raises(ValidationError, match="Unknown learner fields: nonsense"):
        connection.full_clean()


def test_the_fake_refuses_what_marketo_refuses(connection, fake):
    client = client_for(connection, fake)
    from integrated_channels.integrated_channel.exceptions import RemoteRejected

    with pytest.raises(RemoteRejected, match="1003"):
        client.sync_leads([{"email": f"a{i}@example.com"} for i in range(301)])
    with pytest.raises(RemoteRejected, match="1006"):
        client.sync_leads([{"email": "a@example.com", "shoeSize": 42}])
    with pytest.raises(RemoteRejected, match="1013"):
        client.sync_objects("cp_missing", [{"x": 1}])
    with pytest.raises(RemoteRejected, match="1003"):
        client.call("POST", "customobjects/schema.json", json={"apiName": "cp_x"})  # displayName missing


def test_learning_events_as_activities_on_the_leads(connection, fake):
    fake.activity_types = {100001, 100002, 100003}
    connection.event_activity_types = {"new_user": 100001, "training_enrollment": 100002, "skill_completion": 100003}
    connection.full_clean()
    connection.save()
    course = CourseFactory(skills=["SQL"])
    ann, ghost = learner(connection, "ann"), learner(connection, "ghost")
    EnrollmentFactory(learner=ann, course_id=course.course_id)
    CertificateFactory(user=ann.user, course=course)
    client = client_for(connection, fake)
    fake.leads["ann@example.com"] = {"id": 7, "email": "ann@example.com"}  # ghost has no lead
    run = ops.export_events(connection, trigger=Run.Trigger.ADMIN, client=client)
    assert (run.status, run.sent, run.failed) == (Run.Status.COMPLETED_WITH_ERRORS, 3, 1)
    kinds = sorted((a["activityTypeId"], a["primaryAttributeValue"]) for a in fake.activities)
    assert kinds == [(100001, connection.customer.name), (100002, course.course_id), (100003, "SQL")]
    assert all(a["leadId"] == 7 for a in fake.activities)
    [error] = RunError.objects.filter(run=run)
    assert error.email == ghost.user.email and "export the users as leads first" in error.message
    again = ops.export_events(connection, trigger=Run.Trigger.ADMIN, client=client)
    assert again.selected == 0


def test_self_enrollments_and_training_enrollments_are_told_apart(connection, fake):
    from enterprise.models.enrollment import StartedBy

    fake.activity_types = {100002, 100004}
    connection.event_activity_types = {"self_enrollment": 100004}
    connection.full_clean()
    connection.save()
    ann = learner(connection, "ann")
    mine, assigned = CourseFactory(), CourseFactory()
    EnrollmentFactory(learner=ann, course_id=mine.course_id, started_by=StartedBy.LEARNER, source="api")
    EnrollmentFactory(learner=ann, course_id=assigned.course_id, started_by=StartedBy.ADMIN)
    fake.leads["ann@example.com"] = {"id": 7, "email": "ann@example.com"}
    client = client_for(connection, fake)
    run = ops.export_events(connection, trigger=Run.Trigger.ADMIN, client=client)
    assert (run.status, run.sent) == (Run.Status.COMPLETED, 1)
    [activity] = fake.activities
    assert (activity["activityTypeId"], activity["primaryAttributeValue"]) == (100004, mine.course_id)
    assert {"name": "startedBy", "value": "learner"} in activity["attributes"]
    # both selected: each enrollment is sent once, under its own event
    fake.activities.clear()
    connection.event_activity_types = {"self_enrollment": 100004, "training_enrollment": 100002}
    connection.save()
    run = ops.export_events(
        connection, trigger=Run.Trigger.ADMIN, client=client, start_date=ann.created.replace(year=2000)
    )
    assert sorted((a["activityTypeId"], a["primaryAttributeValue"]) for a in fake.activities) == sorted(
        [(100004, mine.course_id), (100002, assigned.course_id)]
    )


def test_the_objects_page_is_current():
    from pathlib import Path

    from integrated_channels.salesforce_records.operations import fields_markdown

    page = (Path(__file__).resolve().parents[3] / "docs" / "connectors" / "report-objects.md").read_text()
    assert ops.objects_markdown() in page and fields_markdown() in page


def test_connection_test_reads_the_custom_objects_fields_and_names_missing_ones(connection, fake):
    learner(connection, "ann")
    ops.export_user_report(connection, trigger=Run.Trigger.ADMIN, client=client_for(connection, fake))
    outcome = ops.test_connection(connection)
    assert outcome.ok and "cp_userReport" in outcome.message
    connection.refresh_from_db()
    assert {"learnerId", "email", "marketoGUID"} <= set(connection.marketo_fields["cp_userReport"])
    assert "cp_learnerTranscript" not in connection.marketo_fields  # not created yet: not described
    del fake.objects["cp_userReport"]["fields"]["linkedAt"]
    outcome = ops.test_connection(connection)
    assert not outcome.ok and "cp_userReport lacks the field(s) linkedAt" in outcome.message


def mapping_post(connection, **choices) -> dict:
    data = {
        "customer": connection.customer_id,
        "name": connection.name,
        "notify_when": "never",
        "instance_url": connection.instance_url,
        "client_id": connection.client_id,
        "client_secret": "",
        "event_activity_types": "{}",
        "daily_quota": "50000",
        "create_custom_objects": "on",
    }
    return data | {f"lead_mapping__{key}": value for key, value in choices.items()}


def test_the_mapping_screen_offers_the_lead_fields_test_connection_read(connection, fake, admin_client):
    from django.urls import reverse

    change = reverse("admin:marketo_marketoconnection_change", args=[connection.pk])
    page = admin_client.get(reverse("admin:marketo_marketoconnection_add")).content.decode()
    assert '<select name="lead_mapping__email"' in page and '<option value="firstName"' in page
    assert '<option value="city"' not in page and "Do not import" not in page  # before Test connection
    ops.test_connection(connection)
    page = admin_client.get(change).content.decode()
    assert '<select name="lead_mapping__username"' in page and '<option value="city"' in page
    response = admin_client.post(change, mapping_post(connection, email="email", job_title="title", location="city"))
    assert response.status_code == 302, response.content.decode()[:3000]
    connection.refresh_from_db()
    assert connection.lead_mapping == {"email": "email", "job_title": "title", "location": "city"}
    assert connection.client_secret == SECRET  # write-only: blank keeps it
    response = admin_client.post(change, mapping_post(connection, email="email", country="shoeSize"))
    assert response.status_code == 200 and "Not a field of the remote" in response.content.decode()
    response = admin_client.post(change, mapping_post(connection, email="firstName"))
    assert "lookup field" in response.content.decode()
    response = admin_client.post(change, mapping_post(connection, email="email", first_name="city", last_name="city"))
    assert "is mapped to both" in response.content.decode()


def test_the_migration_converts_hand_typed_mappings():
    import importlib

    migration = importlib.import_module("integrated_channels.marketo.migrations.0002_lead_mapping_screen")
    convert = migration.converted
    assert convert({"email": " email ", "department": "department", "shoe": "x", "badge": "badge"}, ["badge"]) == {
        "email": "email",
        "department": "department",
        "badge": "badge",
    }
    assert convert({"email": "emailAddress", "first_name": "email", "last_name": ""}, []) == {"email": "email"}
    default = {"email": "email", "first_name": "firstName", "last_name": "lastName"}
    assert convert(["not", "a", "mapping"], []) == default
    assert convert({"email": "email", "first_name": "name", "last_name": "name"}, []) == {
        "email": "email",
        "first_name": "name",
    }


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_the_mapped_fields_offered():
    from django.db import connection as db
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(db)
    before = [("marketo", "0001_initial"), ("enterprise", "0011_prices")]
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    customer = old.get_model("enterprise", "EnterpriseCustomer").objects.create(name="Acme", slug="acme-mkto")
    old.get_model("enterprise", "LearnerField").objects.create(customer=customer, key="badge", label="Badge")
    made = old.get_model("marketo", "MarketoConnection").objects.create(
        customer=customer,
        channel="MARKETO",
        instance_url="https://1.mktorest.com",
        client_id="c",
        client_secret="s",
        lead_mapping={"email": "email", "badge": " badgeCode", "nonsense": "x"},
    )
    executor = MigrationExecutor(db)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    converted = MarketoConnection.objects.get(pk=made.pk)
    assert converted.lead_mapping == {"email": "email", "badge": "badgeCode"}
    assert converted.marketo_fields == {"lead": ["badgeCode", "email", "firstName", "lastName"]}


def test_learner_fields_can_go_to_fields_added_to_the_custom_objects(connection, fake, admin_client):
    from django.urls import reverse

    client = client_for(connection, fake)
    learner(connection, "ann", department="Sales")
    ops.export_leads(connection, trigger=Run.Trigger.ADMIN, client=client)
    ops.export_user_report(connection, trigger=Run.Trigger.ADMIN, client=client)  # creates cp_userReport
    fake.objects["cp_userReport"]["fields"]["region"] = {
        "name": "region",
        "displayName": "Region",
        "dataType": "string",
    }
    assert ops.test_connection(connection).ok
    connection.refresh_from_db()
    assert connection.mapping_targets()[-1:] == ["cp_userReport.region"]  # neither its own fields nor marketoGUID
    page = admin_client.get(reverse("admin:marketo_marketoconnection_change", args=[connection.pk])).content.decode()
    assert '<option value="cp_userReport.region"' in page and '<option value="cp_userReport.email"' not in page
    connection.lead_mapping = {"email": "email", "first_name": "firstName", "department": "cp_userReport.region"}
    connection.full_clean()
    connection.save()
    leads = ops.export_leads(connection, trigger=Run.Trigger.ADMIN, client=client, start_date=connection.created)
    assert leads.status == Run.Status.COMPLETED  # the dotted target is not a lead field: not sent to leads
    report = ops.export_user_report(connection, trigger=Run.Trigger.ADMIN, client=client, start_date=connection.created)
    assert report.status == Run.Status.COMPLETED, report.error_message
    [record] = fake.objects["cp_userReport"]["records"].values()
    assert record["region"] == "Sales"
    for bad, reason in (("cp_userReport.email", "fills email itself"), ("cp_nope.x", "not one of the connector")):
        connection.lead_mapping = {"email": "email", "department": bad}
        with pytest.raises(ValidationError, match=reason):
            connection.full_clean()


def test_learner_values_for_custom_objects_take_one_query_per_batch(connection, django_assert_num_queries):
    connection.lead_mapping = {"email": "email", "department": "cp_userReport.region"}
    people = [learner(connection, f"p{index}", department=f"D{index}") for index in range(5)]
    records = [{"learnerId": person.pk, "email": person.user.email} for person in people]
    with django_assert_num_queries(1):
        enriched = ops._with_learner_fields(connection, "cp_userReport", records)
    assert [record["region"] for record in enriched] == [f"D{index}" for index in range(5)]
    with django_assert_num_queries(0):  # another object: nothing mapped to it, nothing asked
        ops._with_learner_fields(connection, "cp_userSkill", [{"email": "p0@example.com"}])
