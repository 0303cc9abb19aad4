"""The SAP SuccessFactors client against the fake tenant: token flow, modes, batching, course export."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from enterprise.models import AccessToken, EnterpriseCustomerUser
from integrated_channels.integrated_channel.exporters.records import Record
from integrated_channels.integrated_channel.models import Run
from integrated_channels.sap_success_factors.client import SAPSuccessFactorsClient
from tests.factories import CourseFactory, StaffFactory
from tests.integrated_channels.factories import SECRET, completed_enrollment

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def staff():
    return StaffFactory(username="staff")


def transmit(command="transmit_learner_data"):
    call_command(command, api_user="staff", channel=["SAP"], stdout=io.StringIO())


def test_token_request_is_basic_auth_and_the_documented_json_body(sap_config, fake_sap):
    completed_enrollment(sap_config.customer, remote_id="sap-1")

    transmit()

    token_call = next(r for r in fake_sap.requests if r.kind == "token")
    assert token_call.status == 200
    assert token_call.body == {
        "grant_type": "client_credentials",
        "scope": {
            "userId": "sfadmin",
            "companyId": "ACME",
            "userType": "admin",
            "resourceType": "learning_public_api",
        },
    }


def test_the_token_is_kept_encrypted_between_runs_and_not_fetched_again(sap_config, fake_sap):
    completed_enrollment(sap_config.customer, remote_id="sap-1")
    transmit()
    completed_enrollment(sap_config.customer, remote_id="sap-2")

    transmit()

    assert fake_sap.calls("token") == 1 and len(fake_sap.events()) == 2
    stored = AccessToken.objects.get(owner=f"channel:{sap_config.pk}", subject="")
    with connection.cursor() as cursor:
        cursor.execute("SELECT token FROM enterprise_accesstoken WHERE id = %s", [stored.pk])
        raw = cursor.fetchone()[0]
    assert raw.startswith("fernet:") and stored.token not in raw


def test_a_token_close_to_expiry_is_replaced_before_use(sap_config, fake_sap):
    completed_enrollment(sap_config.customer, remote_id="sap-1")
    transmit()
    AccessToken.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    completed_enrollment(sap_config.customer, remote_id="sap-2")

    transmit()

    assert fake_sap.calls("token") == 2
    assert [r.status for r in fake_sap.requests if r.kind == "events"] == [200, 200]  # no 401 on the way


def test_a_short_token_lifetime_is_used_until_shortly_before_it_ends(sap_config, fake_sap):
    fake_sap.token_lifetime = 30
    completed_enrollment(sap_config.customer, remote_id="sap-1")

    transmit()

    stored = AccessToken.objects.get()
    remaining = (stored.expires_at - timezone.now()).total_seconds()
    assert 25 < remaining <= 27  # 30 s minus a margin of a tenth


def test_a_changed_secret_never_reuses_the_old_token(sap_config, fake_sap):
    completed_enrollment(sap_config.customer, remote_id="sap-1")
    transmit()
    fake_sap.tenants["ACME"].client_secret = "rotated-secret"
    sap_config.client_secret = "rotated-secret"
    sap_config.save()
    completed_enrollment(sap_config.customer, remote_id="sap-2")

    transmit()

    assert fake_sap.calls("token") == 2


def test_a_second_401_after_a_new_token_fails_the_run(sap_config, fake_sap):
    completed_enrollment(sap_config.customer, remote_id="sap-1")
    fake_sap.fail("events", 401, times=2, body='{"error": {"code": "UNAUTHORIZED", "message": "Token not valid"}}')

    with pytest.raises(CommandError) as info:
        transmit()

    assert info.value.returncode == 1
    run = Run.objects.get()
    assert run.status == "failed" and run.error_code == "authentication_failed"
    assert "Token not valid" in run.error_message
    assert fake_sap.calls("token") == 2  # the first token, then one replacement


def test_ten_events_per_call_when_the_tenant_accepts_arrays(sap_config, fake_sap):
    fake_sap.tenants["ACME"].accepts_arrays = True
    sap_config.events_per_call = 10
    sap_config.save()
    course = CourseFactory()
    for i in range(23):
        completed_enrollment(sap_config.customer, course=course, remote_id=f"sap-{i}")

    transmit()

    calls = [r for r in fake_sap.requests if r.kind == "events"]
    assert [len(r.body) for r in calls] == [10, 10, 3]
    assert len(fake_sap.events()) == 23
    assert Run.objects.get().remote_calls == 4


def test_a_refused_array_is_sent_again_one_event_per_call(sap_config, fake_sap):
    fake_sap.tenants["ACME"].accepts_arrays = True
    fake_sap.tenants["ACME"].inactive_users.add("sap-gone")
    sap_config.events_per_call = 10
    sap_config.save()
    gone = completed_enrollment(sap_config.customer, remote_id="sap-gone")
    for i in range(3):
        completed_enrollment(sap_config.customer, remote_id=f"sap-{i}")

    with pytest.raises(CommandError):
        transmit()

    assert sorted(e["userID"] for e in fake_sap.events()) == ["sap-0", "sap-1", "sap-2"]
    assert [r.status for r in fake_sap.requests if r.kind == "events"] == [400, 400, 200, 200, 200]
    assert EnterpriseCustomerUser.objects.get(pk=gone.learner_id).linked is False


def test_a_tenant_refusing_arrays_still_gets_every_event(sap_config, fake_sap):
    sap_config.events_per_call = 5
    sap_config.save()
    for i in range(2):
        completed_enrollment(sap_config.customer, remote_id=f"sap-{i}")

    transmit()

    assert len(fake_sap.events()) == 2


def test_user_mode_posts_each_event_with_the_learners_own_token(sap_config, fake_sap):
    sap_config.completion_mode = "user"
    sap_config.save()
    first = completed_enrollment(sap_config.customer, remote_id="sap-1")
    completed_enrollment(sap_config.customer, remote_id="sap-2")

    transmit()

    tokens = [r.body["scope"] for r in fake_sap.requests if r.kind == "token"]
    assert sorted((s["userId"], s["userType"]) for s in tokens) == [("sap-1", "user"), ("sap-2", "user")]
    events = [r.body for r in fake_sap.requests if r.kind == "user_event"]
    assert {e["courseCompleted"] for e in events} == {"true"}
    assert fake_sap.calls("events") == 0

    # the same learner's next completion reuses their token
    completed_enrollment(sap_config.customer, remote_id=None, learner=first.learner)
    transmit()
    assert fake_sap.calls("token") == 2 and fake_sap.calls("user_event") == 3


@pytest.mark.parametrize("at_token", [False, True])
def test_user_mode_refusal_of_one_learner_does_not_stop_the_others(sap_config, fake_sap, at_token):
    sap_config.completion_mode = "user"
    sap_config.save()
    fake_sap.tenants["ACME"].inactive_users.add("sap-gone")
    fake_sap.tenants["ACME"].inactive_refused_at_token = at_token
    completed_enrollment(sap_config.customer, remote_id="sap-gone")
    completed_enrollment(sap_config.customer, remote_id="sap-ok")

    with pytest.raises(CommandError):
        transmit()

    run = Run.objects.get()
    assert (run.sent, run.failed, run.learners_unlinked) == (1, 1, 1)
    refused = [r.kind for r in fake_sap.requests if r.status == 400]
    assert refused == (["token"] if at_token else ["user_event"])


def test_configurations_of_one_tenant_share_its_rate_limit(sap_config, fake_sap):
    from tests.integrated_channels.factories import SAPConfigurationFactory

    other = SAPConfigurationFactory(
        base_url=sap_config.base_url, company_id="ACME", client_id="acme-client", client_secret=SECRET
    )
    for config in (sap_config, other):
        config.calls_per_minute = 2
        config.save()
    now, waited = [1000.0], []

    def sleep(seconds):
        waited.append(seconds)
        now[0] += seconds

    first = SAPSuccessFactorsClient(sap_config, clock=lambda: now[0], sleep=sleep)
    second = SAPSuccessFactorsClient(other, clock=lambda: now[0], sleep=sleep)
    record = Record(course_id="c", payload=completed_payload("sap-1"), payload_hash="1", remote_id="sap-1")

    assert first.send_learner_data([record])[0].ok  # token + event: the tenant's 2 calls of the minute
    assert waited == []
    assert second.send_learner_data([record])[0].ok  # another configuration, the same tenant: it waits
    assert waited == [60.0]


def test_the_rate_limit_spaces_calls_to_the_tenant(sap_config, fake_sap):
    sap_config.calls_per_minute = 2
    sap_config.save()
    now = [1000.0]
    waited = []

    def sleep(seconds):
        waited.append(seconds)
        now[0] += seconds

    client = SAPSuccessFactorsClient(sap_config, clock=lambda: now[0], sleep=sleep)
    records = [
        Record(course_id="c", payload=completed_payload(f"sap-{i}"), payload_hash=str(i), remote_id=f"sap-{i}")
        for i in range(2)
    ]
    outcomes = [o for r in records for o in client.send_learner_data([r])]  # token + 2 events = 3 calls

    assert all(o.ok for o in outcomes)
    assert waited == [60.0]  # the third call waited for the window
    assert client.calls == 3


def completed_payload(user_id):
    return {
        "userID": user_id,
        "courseID": "course-v1:X+Y+Z",
        "providerID": "EDX",
        "courseCompleted": True,
        "completedTimestamp": 1_700_000_000_000,
        "grade": "Pass",
        "totalHours": 0.0,
        "creditHours": 0.0,
    }


def test_course_export_sends_ocn_courses_then_only_changes(sap_config, fake_sap):
    course = CourseFactory(title="Data Science 101", description="Numbers")
    completed_enrollment(sap_config.customer, course=course, remote_id="sap-1")
    completed_enrollment(sap_config.customer, remote_id="sap-2")

    transmit("transmit_content_metadata")

    courses = fake_sap.courses()
    assert len(courses) == 2 and fake_sap.calls("courses") == 1
    sent = next(c for c in courses if c["courseID"] == course.course_id)
    assert sent["status"] == "ACTIVE"
    assert sent["title"] == [{"locale": "English", "value": "Data Science 101"}]
    assert sent["content"][0]["launchURL"].endswith(f"/courses/{course.course_id}/about")
    assert sent["schedule"][0]["active"] is True

    transmit("transmit_content_metadata")
    assert fake_sap.calls("courses") == 1  # unchanged

    course.title = "Data Science 102"
    course.save()
    transmit("transmit_content_metadata")
    assert [c["title"][0]["value"] for c in fake_sap.courses()][-1] == "Data Science 102"
    assert len(fake_sap.courses()) == 3


def test_a_course_the_catalog_no_longer_knows_is_withdrawn_once(sap_config, fake_sap):
    course = CourseFactory()
    completed_enrollment(sap_config.customer, course=course, remote_id="sap-1")
    transmit("transmit_content_metadata")

    course.delete()
    transmit("transmit_content_metadata")
    transmit("transmit_content_metadata")

    statuses = [(c["courseID"], c["status"]) for c in fake_sap.courses()]
    assert statuses == [(course.course_id, "ACTIVE"), (course.course_id, "INACTIVE")]


def test_secret_from_the_remote_answer_is_redacted(sap_config, fake_sap):
    fake_sap.fail("events", 400, body=f'{{"error": {{"code": "BAD", "message": "bad request for {SECRET}"}}}}')
    enrollment = completed_enrollment(sap_config.customer, remote_id="sap-1")

    with pytest.raises(CommandError):
        transmit()

    from integrated_channels.integrated_channel.models import LearnerDataTransmissionAudit, RunError

    audit = LearnerDataTransmissionAudit.objects.get(enrollment=enrollment)
    assert SECRET not in audit.last_error + audit.remote_response
    assert "[redacted]" in audit.last_error
    assert SECRET not in RunError.objects.get(outcome="failed").message


def test_user_mode_logs_each_token_as_the_learners_not_the_configurations(sap_config, fake_sap, caplog):
    """Issue 22 item 9: one line per learner's token naming the learner; the configuration's own token
    (course export) says which configuration and SAP user it is for."""
    sap_config.completion_mode = "user"
    sap_config.save()
    completed_enrollment(sap_config.customer, remote_id="sap-1")
    completed_enrollment(sap_config.customer, remote_id="sap-2")

    with caplog.at_level("INFO", logger="enterprise.transports.oauth2"):
        transmit()
        transmit("transmit_content_metadata")

    lines = sorted(r.getMessage().split(" from ")[0] for r in caplog.records if "New access token" in r.getMessage())
    name = repr(sap_config.name)
    assert lines == [
        f"New access token for SAP configuration {sap_config.pk} ({name}) as admin sfadmin",
        f"New access token for learner sap-1 (SAP configuration {sap_config.pk}, {name})",
        f"New access token for learner sap-2 (SAP configuration {sap_config.pk}, {name})",
    ]
