"""The portal's Consent and channels page: the consent settings, the learners' answers, the latest runs and
their failures, and what was sent for one learner — the customer's only, in a fixed number of queries."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from integrated_channels.integrated_channel.models import LearnerDataTransmissionAudit, Run, RunError
from tests.factories import ConsentFactory, CustomerFactory, EnrollmentFactory, LearnerFactory
from tests.integrated_channels.factories import TestChannelConfigurationFactory

pytestmark = pytest.mark.django_db
NOW = timezone.now()


@pytest.fixture
def acme():
    return CustomerFactory(name="Acme Corp", slug="acme", enable_data_sharing_consent=False)


def url(customer):
    return reverse("enterprise_portal:consent", kwargs={"customer_uuid": customer.uuid})


def make_run(config, *, minutes_ago=0, failed=0, status=Run.Status.COMPLETED, **fields):
    started = NOW - datetime.timedelta(minutes=minutes_ago)
    return Run.objects.create(
        configuration=config,
        customer=config.customer,
        channel=config.channel,
        connection_name=config.name,
        kind="learner_data",
        status=status,
        started_at=started,
        heartbeat_at=started,
        finished_at=started + datetime.timedelta(minutes=1),
        selected=1 + failed,
        sent=1,
        failed=failed,
        **fields,
    )


def audit_row(config, enrollment, **fields):
    defaults = {
        "status": "sent",
        "sent_at": NOW,
        "payload_hash": "h",
        "payload": {"courseID": enrollment.course_id, "grade": "Pass"},
        "last_attempt_at": NOW,
        "course_id": enrollment.course_id,
    }
    return LearnerDataTransmissionAudit.objects.create(
        configuration=config, enrollment=enrollment, **{**defaults, **fields}
    )


# -- consent ------------------------------------------------------------------------------------------------


def test_the_settings_are_shown_with_a_warning_when_consent_is_off(admin_client, acme):
    text = admin_client.get(url(acme)).content.decode()
    assert 'id="consent-off"' in text
    assert 'name="enable_data_sharing_consent"' in text and 'name="enforce_data_sharing_consent"' in text


def test_the_customer_administrator_changes_the_settings(admin_client, acme):
    response = admin_client.post(
        url(acme), {"enable_data_sharing_consent": "on", "enforce_data_sharing_consent": "at_login"}, follow=True
    )
    acme.refresh_from_db()
    assert (acme.enable_data_sharing_consent, acme.enforce_data_sharing_consent) == (True, "at_login")
    assert "Data-sharing consent settings saved." in response.content.decode()
    assert 'id="consent-off"' not in response.content.decode()


def test_a_wrong_choice_is_refused_on_its_field_and_nothing_changes(admin_client, acme):
    response = admin_client.post(
        url(acme), {"enable_data_sharing_consent": "on", "enforce_data_sharing_consent": "whenever"}
    )
    assert response.status_code == 200
    assert "Select a valid choice" in " ".join(response.context["form"].errors["enforce_data_sharing_consent"])
    acme.refresh_from_db()
    assert not acme.enable_data_sharing_consent


def test_only_these_two_settings_can_be_changed(admin_client, acme):
    admin_client.post(
        url(acme),
        {"enable_data_sharing_consent": "on", "enforce_data_sharing_consent": "at_login", "slug": "mine", "active": ""},
    )
    acme.refresh_from_db()
    assert (acme.slug, acme.active) == ("acme", True)


def test_the_answers_of_this_customers_learners_are_counted(admin_client, acme, globex):
    ConsentFactory(customer=acme, granted=True)
    ConsentFactory(customer=acme, granted=True)
    ConsentFactory(customer=acme, granted=False)
    ConsentFactory(customer=acme, granted=None)
    ConsentFactory(customer=globex, granted=False)
    answers = admin_client.get(url(acme)).context["answers"]
    assert answers == {"granted": 2, "declined": 1, "not_asked": 1}


# -- channels -----------------------------------------------------------------------------------------------


def test_the_latest_runs_and_their_failures_of_this_customer_only(admin_client, acme, globex):
    config = TestChannelConfigurationFactory(customer=acme, name="main")
    ok = make_run(config, minutes_ago=30)
    bad = make_run(config, minutes_ago=5, failed=1, status=Run.Status.COMPLETED_WITH_ERRORS)
    RunError.objects.create(
        run=bad,
        outcome="failed",
        email="bob@acme.test",
        course_id="course-v1:A+B+C",
        status_code=400,
        message="Unknown user",
    )
    theirs = make_run(
        TestChannelConfigurationFactory(customer=globex), failed=1, status=Run.Status.COMPLETED_WITH_ERRORS
    )
    RunError.objects.create(run=theirs, outcome="failed", email="gus@globex.test", message="Globex failure")
    response = admin_client.get(url(acme))
    assert [run.pk for run in response.context["runs"]] == [bad.pk, ok.pk]
    assert [error.message for error in response.context["failures"]] == ["Unknown user"]
    text = response.content.decode()
    assert "400: Unknown user" in text and "Completed with errors" in text
    assert "Globex failure" not in text and "gus@globex.test" not in text
    assert [c.name for c in response.context["connections"]] == ["main"]


def test_what_was_sent_for_a_learner(admin_client, acme):
    config = TestChannelConfigurationFactory(customer=acme, name="main")
    learner = LearnerFactory(customer=acme, user__email="bob@acme.test")
    done = EnrollmentFactory(learner=learner, course_id="course-v1:Acme+A+1")
    failing = EnrollmentFactory(learner=learner, course_id="course-v1:Acme+B+1")
    audit_row(config, done)
    audit_row(config, failing, status="failed", sent_at=None, remote_status=422, last_error="Grade refused")
    run = make_run(config, failed=1, status=Run.Status.COMPLETED_WITH_ERRORS)
    RunError.objects.create(
        run=run, outcome="failed", enrollment=failing, course_id=failing.course_id, message="Grade refused"
    )
    other = EnrollmentFactory(learner=LearnerFactory(customer=acme), course_id="course-v1:Acme+A+1")
    audit_row(config, other)
    response = admin_client.get(url(acme), {"email": "Bob@Acme.test"})
    found = response.context["learner"]
    assert found.learner == learner and found.enrollments == 2
    assert {audit.course_id: audit.status for audit in found.audits} == {
        "course-v1:Acme+A+1": "sent",
        "course-v1:Acme+B+1": "failed",
    }
    assert [error.message for error in found.errors] == ["Grade refused"]
    text = response.content.decode()
    assert "422: Grade refused" in text and "&#x27;grade&#x27;: &#x27;Pass&#x27;" in text


def test_another_customers_learner_is_not_one_of_yours(admin_client, acme, globex):
    config = TestChannelConfigurationFactory(customer=globex)
    enrollment = EnrollmentFactory(learner=LearnerFactory(customer=globex, user__email="gus@globex.test"))
    audit_row(config, enrollment)
    response = admin_client.get(url(acme), {"email": "gus@globex.test"})
    assert response.context["learner"].audits == []
    text = response.content.decode()
    assert "gus@globex.test is not one of your learners." in text and "Globex" not in text
    assert (
        "nobody@acme.test is not one of your learners."
        in admin_client.get(url(acme), {"email": "nobody@acme.test"}).content.decode()
    )


def test_a_malformed_address_is_an_error_on_the_field(admin_client, acme):
    response = admin_client.get(url(acme), {"email": "not an address"})
    assert response.context["lookup"].errors["email"] and response.context["learner"] is None


def test_the_page_runs_a_fixed_number_of_queries(admin_client, acme):
    config = TestChannelConfigurationFactory(customer=acme)
    learner = LearnerFactory(customer=acme, user__email="bob@acme.test")

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get(url(acme), {"email": "bob@acme.test"}).status_code == 200
        return len(queries)

    enrollment = EnrollmentFactory(learner=learner)
    audit_row(config, enrollment)
    RunError.objects.create(run=make_run(config, failed=1), outcome="failed", enrollment=enrollment, message="x")
    few = count()
    for minutes in range(1, 15):
        enrollment = EnrollmentFactory(learner=learner)
        audit_row(config, enrollment)
        RunError.objects.create(
            run=make_run(config, minutes_ago=minutes, failed=1), outcome="failed", enrollment=enrollment, message="x"
        )
        ConsentFactory(customer=acme)
    assert count() == few
