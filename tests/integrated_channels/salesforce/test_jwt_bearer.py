"""The OAuth 2.0 JWT bearer flow of both Salesforce connections (decision 0403) against the strict fakes."""

from __future__ import annotations

import time

import jwt
import pytest
from django.core.exceptions import ValidationError

from integrated_channels.integrated_channel.models import Run
from integrated_channels.salesforce.auth import ASSERTION_SECONDS, JWT_BEARER, Audience, AuthFlow, assertion
from integrated_channels.salesforce.models import SalesforceConfiguration
from integrated_channels.salesforce.operations import import_users
from integrated_channels.salesforce_records import operations as records_ops
from integrated_channels.salesforce_records.models import SalesforceRecordsConnection
from tests.factories import CourseFactory, CustomerFactory, EnrollmentFactory, LearnerFactory, UserFactory
from tests.fakes.salesforce import FakeSalesforce
from tests.fakes.salesforce_jwt import JwtApp, key_pair
from tests.fakes.salesforce_records import FakeSalesforceRecords

pytestmark = pytest.mark.django_db

USERNAME = "integration@acme.example"
PRIVATE, PUBLIC = key_pair()


@pytest.fixture
def org():
    with FakeSalesforce() as fake:
        fake.jwt_app = JwtApp(consumer_key=fake.client_id, public_key=PUBLIC, usernames={USERNAME})
        yield fake


def import_connection(org, **kwargs) -> SalesforceConfiguration:
    values = {
        "customer": CustomerFactory(),
        "active": True,
        "my_domain_url": org.base_url,
        "client_id": org.client_id,
        "auth_flow": AuthFlow.JWT_BEARER,
        "jwt_username": USERNAME,
        "jwt_private_key": PRIVATE,
        "attribute_mapping": {"email": "Email", "first_name": "FirstName"},
        **kwargs,
    }
    config = SalesforceConfiguration(**values)
    config.full_clean()
    config.save()
    return config


def test_the_import_signs_in_with_a_signed_assertion_and_no_secret(org):
    org.add("User", Email="ann@example.com", FirstName="Ann")
    config = import_connection(org)
    run = import_users(config, trigger=Run.Trigger.COMMAND)
    run.refresh_from_db()
    assert (run.status, run.sent) == (Run.Status.COMPLETED, 1), run.error_message
    [claims] = org.jwt_app.seen
    assert (claims["iss"], claims["sub"], claims["aud"]) == (org.client_id, USERNAME, "https://login.salesforce.com")
    assert time.time() < claims["exp"] <= time.time() + ASSERTION_SECONDS + 1


@pytest.mark.parametrize(
    ("change", "refusal"),
    [
        ({"jwt_audience": Audience.SANDBOX}, "audience is invalid"),
        ({"jwt_private_key": key_pair()[0]}, "invalid assertion: signature"),
        ({"jwt_username": "stranger@acme.example"}, "user hasn't approved this consumer"),
        ({"client_id": "3MVG9-other-app"}, "client identifier invalid"),
    ],
)
def test_a_refused_assertion_fails_the_run_with_salesforces_reason(org, change, refusal):
    config = import_connection(org, **change)
    run = import_users(config, trigger=Run.Trigger.COMMAND)
    run.refresh_from_db()
    assert run.status == Run.Status.FAILED and refusal in run.error_message
    assert "PRIVATE KEY" not in run.error_message and org.jwt_app.seen == []


def test_an_expired_assertion_is_refused(org):
    org.jwt_app.now = time.time() + ASSERTION_SECONDS + 60  # the org's clock is past the assertion's exp
    run = import_users(import_connection(org), trigger=Run.Trigger.COMMAND)
    run.refresh_from_db()
    assert run.status == Run.Status.FAILED and "expired" in run.error_message


def test_the_fake_refuses_a_far_future_or_unsigned_assertion(org):
    app = org.jwt_app
    claims = {"iss": org.client_id, "sub": USERNAME, "aud": "https://login.salesforce.com"}
    far = jwt.encode({**claims, "exp": int(time.time()) + 3600}, PRIVATE, algorithm="RS256")
    assert "too far" in app.check({"assertion": far})[1]["error_description"]
    unsigned = jwt.encode({**claims, "exp": int(time.time()) + 60}, "a-shared-secret-of-32-bytes-at-least!", "HS256")
    assert "RS256" in app.check({"assertion": unsigned})[1]["error_description"]
    good = assertion(
        consumer_key=org.client_id, username=USERNAME, audience="https://login.salesforce.com", private_key=PRIVATE
    )
    assert app.check({"grant_type": JWT_BEARER, "assertion": good}) is None


def test_the_connection_checks_what_the_flow_needs():
    customer = CustomerFactory()
    common = {"customer": customer, "my_domain_url": "https://acme.my.salesforce.com", "client_id": "3MVG9-key"}
    config = SalesforceConfiguration(auth_flow=AuthFlow.JWT_BEARER, attribute_mapping={"email": "Email"}, **common)
    with pytest.raises(ValidationError) as caught:
        config.full_clean()
    assert {"jwt_username", "jwt_private_key"} <= set(caught.value.message_dict)
    config.jwt_username, config.jwt_private_key = USERNAME, "not a key"
    with pytest.raises(ValidationError, match="Not a PEM private key"):
        config.full_clean()
    config.jwt_private_key = key_pair(bits=1024)[0]
    with pytest.raises(ValidationError, match="1024 bits"):
        config.full_clean()
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    config.jwt_private_key = (
        ec.generate_private_key(ec.SECP256R1())
        .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        .decode()
    )
    with pytest.raises(ValidationError, match="RSA key"):
        config.full_clean()
    records = SalesforceRecordsConnection(**common)  # client credentials without the secret
    with pytest.raises(ValidationError, match="consumer secret"):
        records.full_clean()


def test_a_changed_key_never_reuses_the_token(org):
    config = import_connection(org)
    first = config.token_request(owner="x", subject="")
    config.jwt_private_key = key_pair()[0]
    assert config.token_request(owner="x", subject="").digest != first.digest
    assert (
        "assertion" in first.as_requests_kwargs()["data"] and "client_secret" not in first.as_requests_kwargs()["data"]
    )
    assert PRIVATE not in repr(first)


def test_learning_records_export_with_the_jwt_bearer_flow():
    with FakeSalesforceRecords(client_id="3MVG9-records", client_secret="unused") as fake:
        fake.jwt_app = JwtApp(consumer_key="3MVG9-records", public_key=PUBLIC, usernames={USERNAME})
        fake.add_object(
            "Learner_Report__c",
            dict.fromkeys(("Email__c", "Username__c", "Enrollments__c", "Completions__c", "Linked_At__c"), 255),
            external_id="External_Id__c",
            lookup=("Learner__c", "User"),
        )
        connection = SalesforceRecordsConnection(
            customer=CustomerFactory(),
            my_domain_url=fake.url,
            client_id="3MVG9-records",
            auth_flow=AuthFlow.JWT_BEARER,
            jwt_username=USERNAME,
            jwt_private_key=PRIVATE,
        )
        connection.full_clean()
        connection.save()
        learner = LearnerFactory(customer=connection.customer, user=UserFactory(email="ann@example.com"))
        EnrollmentFactory(learner=learner, course_id=CourseFactory().course_id)
        fake.add_user("ann@example.com")
        run = records_ops.export_user_report(connection, trigger=Run.Trigger.ADMIN)
        assert (run.status, run.sent) == (Run.Status.COMPLETED, 1), run.error_message
        assert [claims["sub"] for claims in fake.jwt_app.seen] == [USERNAME]
        assert connection.secrets() == [PRIVATE]  # redacted from every message


def test_the_admin_takes_the_private_key_write_only(admin_client):
    from django.urls import reverse

    customer = CustomerFactory()
    add = reverse("admin:salesforce_records_salesforcerecordsconnection_add")
    data = {
        "customer": customer.pk,
        "name": "Org",
        "notify_when": "never",
        "my_domain_url": "https://acme.my.salesforce.com",
        "client_id": "3MVG9-records",
        "client_secret": "",
        "auth_flow": "jwt_bearer",
        "jwt_username": USERNAME,
        "jwt_private_key": PRIVATE,
        "jwt_audience": "https://login.salesforce.com",
        "api_version": "v62.0",
        "link_to": "User",
        "learner_lookup_field": "Learner__c",
        "external_id_field": "External_Id__c",
        "bulk_threshold": "10000",
        "transcript_object": "Learner_Transcript__c",
        "skill_object": "Learner_Skill__c",
        "user_report_object": "Learner_Report__c",
    }
    response = admin_client.post(add, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    connection = SalesforceRecordsConnection.objects.get(name="Org")
    assert connection.jwt_private_key == PRIVATE.strip()
    change = reverse("admin:salesforce_records_salesforcerecordsconnection_change", args=[connection.pk])
    page = admin_client.get(change).content.decode()
    assert "PRIVATE KEY" not in page and 'name="jwt_private_key"' in page
    response = admin_client.post(change, {**data, "jwt_private_key": ""})  # blank keeps the stored key
    assert response.status_code == 302
    connection.refresh_from_db()
    assert connection.jwt_private_key == PRIVATE.strip()
    response = admin_client.post(change, {**data, "jwt_private_key": "-----BEGIN PRIVATE KEY-----\nxx"})
    assert response.status_code == 200 and "Not a PEM private key" in response.content.decode()
