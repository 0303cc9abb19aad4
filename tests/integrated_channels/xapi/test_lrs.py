"""The xAPI LRS channel against a real LRS (ralph-malph) on 127.0.0.1."""

from __future__ import annotations

import datetime
import io

import pytest
import requests
from django.core.management import call_command
from django.utils import timezone

from enterprise.lms.local.models import Certificate
from integrated_channels.integrated_channel.models import LearnerDataTransmissionAudit, Run, RunError
from integrated_channels.integrated_channel.services.transmission import transmit_learner_data
from integrated_channels.xapi import verbs
from integrated_channels.xapi.client import XAPIClient
from tests.factories import ConsentFactory, CourseFactory, EnrollmentFactory, LearnerFactory, StaffFactory
from tests.integrated_channels.factories import completed_enrollment
from tests.integrated_channels.xapi.factories import IRI_BASE, LRS_READ_TIMEOUT, lrs_config

pytestmark = pytest.mark.django_db


def run(config, **kwargs):
    return transmit_learner_data(configuration=config, **kwargs)


def by_verb(statements):
    found = {}
    for statement in statements:
        found.setdefault(statement["verb"]["id"], []).append(statement)
    return found


def test_first_run_sends_registered_and_completed_statements_that_the_lrs_stores(lrs):
    config = lrs_config(lrs, customer__enable_data_sharing_consent=True)
    done = completed_enrollment(config.customer)
    running = completed_enrollment(config.customer, complete=False)
    completed_enrollment(config.customer, consent=False)  # no consent: not sent

    result = run(config)

    assert (result.status, result.sent, result.failed) == ("completed", 2, 0)
    assert result.skip_reasons == {"no_consent": 1}
    stored = by_verb(lrs.statements())
    assert len(stored[verbs.REGISTERED]) == 2 and len(stored[verbs.COMPLETED]) == 1
    completed = stored[verbs.COMPLETED][0]
    assert completed["actor"]["mbox"] == f"mailto:{done.learner.user.email.lower()}"
    assert completed["object"]["id"] == IRI_BASE + done.course_id
    assert completed["result"] == {"completion": True, "success": True, "score": {"scaled": 0.91}}
    registered_for = {statement["object"]["id"] for statement in stored[verbs.REGISTERED]}
    assert registered_for == {IRI_BASE + done.course_id, IRI_BASE + running.course_id}
    audit = LearnerDataTransmissionAudit.objects.get(enrollment=done)
    assert audit.status == "sent" and [s["id"] for s in audit.payload] == sorted(
        [s["id"] for s in lrs.statements() if s["object"]["id"] == IRI_BASE + done.course_id],
        key=[s["id"] for s in audit.payload].index,
    )


def test_second_run_sends_nothing_and_a_changed_completion_is_sent_once(lrs):
    config = lrs_config(lrs)
    enrollment = completed_enrollment(config.customer, complete=False, consent=None)
    first = run(config)
    assert first.sent == 1 and len(lrs.statements()) == 1

    second = run(config)
    assert (second.sent, second.skip_reasons) == (0, {"unchanged": 1})
    assert second.remote_calls == 0

    course = CourseFactory(course_id=enrollment.course_id)
    Certificate.objects.create(
        user=enrollment.learner.user,
        course=course,
        grade="0.75",
        issued_at=timezone.now() - datetime.timedelta(hours=1),
    )
    third = run(config)
    fourth = run(config)

    assert (third.sent, fourth.sent) == (1, 0)
    stored = by_verb(lrs.statements())
    assert len(stored[verbs.REGISTERED]) == 1  # sent again, same id and content: stored once
    assert [s["result"]["score"]["scaled"] for s in stored[verbs.COMPLETED]] == [0.75]

    Certificate.objects.filter(user=enrollment.learner.user).update(grade="0.95")
    assert run(config).sent == 1
    scores = sorted(s["result"]["score"]["scaled"] for s in by_verb(lrs.statements())[verbs.COMPLETED])
    assert scores == [0.75, 0.95]  # the new result is a new statement (an LRS never changes one)


def test_statements_are_batched_one_json_array_per_post(lrs):
    config = lrs_config(lrs, enrollments_per_call=2)
    for _ in range(5):
        completed_enrollment(config.customer, consent=None)

    result = run(config)

    assert (result.sent, result.remote_calls) == (5, 3)
    assert len(lrs.statements()) == 10


def test_a_bad_key_stops_the_run_with_the_lrs_message(lrs):
    config = lrs_config(lrs, secret="not-the-secret")
    enrollment = completed_enrollment(config.customer, consent=None)

    result = run(config)

    assert result.status == Run.Status.FAILED
    assert "401" in result.error and "Invalid authentication credentials" in result.error
    line = RunError.objects.get(run_id=result.run_id, outcome=RunError.Outcome.RUN)
    assert line.status_code == 401 and line.code == "authentication_failed"
    assert "not-the-secret" not in result.error
    assert RunError.objects.filter(run_id=result.run_id, enrollment=enrollment, outcome="not_attempted").exists()
    assert lrs.statements() == []


def test_a_refused_statement_fails_alone_and_is_resent_next_run(lrs):
    config = lrs_config(lrs, enrollments_per_call=10)
    good = completed_enrollment(config.customer, consent=None)
    learner = LearnerFactory(customer=config.customer, user__email="not-an-address")
    bad = EnrollmentFactory(learner=learner, course_id=CourseFactory().course_id)

    result = run(config)

    assert (result.sent, result.failed) == (1, 1)
    line = RunError.objects.get(run_id=result.run_id, outcome="failed")
    assert line.enrollment_id == bad.pk and line.status_code == 422  # ralph: 422 for an invalid statement
    assert "not a valid email address" in line.message
    assert LearnerDataTransmissionAudit.objects.get(enrollment=good).status == "sent"
    stored = lrs.statements()
    assert {s["actor"]["mbox"] for s in stored} == {f"mailto:{good.learner.user.email.lower()}"}
    again = run(config)
    assert (again.sent, again.failed, again.skip_reasons) == (0, 1, {"unchanged": 1})


class FailingSession(requests.Session):
    """A session whose calls fail as a broken LRS would, before any reaches ralph."""

    def __init__(self, failure):
        super().__init__()
        self.failure = failure
        self.calls = 0

    def request(self, method, url, **kwargs):
        self.calls += 1
        return self.failure(method, url, **kwargs)


def _answer(status, body=b'{"detail": "statement storage failed"}', headers=None):
    def failure(method, url, **kwargs):
        response = requests.Response()
        response.status_code = status
        response._content = body
        response.headers.update(headers or {"Content-Type": "application/json"})
        response.url = url
        return response

    return failure


def test_server_errors_are_retried_then_reported_and_sent_next_run(lrs, waits):
    config = lrs_config(lrs)
    completed_enrollment(config.customer, consent=None)
    session = FailingSession(_answer(500))

    result = run(config, client=XAPIClient(config, session=session))

    assert (result.sent, result.failed) == (0, 1)
    assert session.calls == 3  # MAX_RETRIES 2 in the tests
    line = RunError.objects.get(run_id=result.run_id, outcome="failed")
    assert line.status_code == 500 and line.transient and "statement storage failed" in line.message
    assert run(config).sent == 1  # the real LRS now
    assert len(lrs.statements()) == 2


def test_retry_after_of_a_429_is_honoured(lrs, waits):
    config = lrs_config(lrs)
    completed_enrollment(config.customer, consent=None)
    answers = [_answer(429, headers={"Retry-After": "7"})]

    class Once(requests.Session):
        def request(self, method, url, **kwargs):
            if answers:
                return answers.pop()(method, url)
            return super().request(method, url, **kwargs)

    result = run(config, client=XAPIClient(config, session=Once()))

    assert result.sent == 1 and 7.0 in waits


def test_timeouts_are_typed_errors_and_the_record_is_resent(lrs):
    config = lrs_config(lrs)
    completed_enrollment(config.customer, consent=None)

    def timeout(method, url, **kwargs):
        assert kwargs["timeout"] == (2.0, float(LRS_READ_TIMEOUT))  # the settings' timeouts
        raise requests.ReadTimeout("read timed out")

    result = run(config, client=XAPIClient(config, session=FailingSession(timeout)))

    line = RunError.objects.get(run_id=result.run_id, outcome="failed")
    assert line.code == "timeout" and line.transient and "did not answer in time" in line.message
    assert run(config).sent == 1


def test_requests_carry_the_version_header_and_basic_auth(lrs):
    config = lrs_config(lrs)
    completed_enrollment(config.customer, consent=None)
    seen = []

    class Recording(requests.Session):
        def request(self, method, url, **kwargs):
            seen.append((method, url, kwargs["headers"], kwargs["auth"], kwargs["json"]))
            return super().request(method, url, **kwargs)

    run(config, client=XAPIClient(config, session=Recording()))

    method, url, headers, auth, body = seen[0]
    assert (method, url) == ("POST", lrs.statements_url)
    assert headers["X-Experience-API-Version"] == "1.0.3" and auth == (lrs.key, lrs.secret)
    assert isinstance(body, list) and len(body) == 2


def test_transmit_learner_data_command_includes_the_xapi_channel(lrs):
    StaffFactory(username="staff")
    config = lrs_config(lrs)
    completed_enrollment(config.customer, consent=None)

    call_command("transmit_learner_data", api_user="staff", channel=["XAPI"], stdout=io.StringIO())

    assert len(lrs.statements()) == 2
    assert ConsentFactory  # the consent gate is covered by the first test


def test_a_400_for_a_batch_is_resent_one_enrollment_per_call(lrs):
    config = lrs_config(lrs, enrollments_per_call=10)
    good = completed_enrollment(config.customer, consent=None)
    bad = completed_enrollment(config.customer, consent=None)
    bad_mbox = f"mailto:{bad.learner.user.email.lower()}"
    calls = []

    class RefusesOneLearner(requests.Session):
        """Answers 400 as an LRS does for a statement it will not take, else passes on to ralph."""

        def request(self, method, url, **kwargs):
            calls.append(len(kwargs["json"]))
            if any(statement["actor"]["mbox"] == bad_mbox for statement in kwargs["json"]):
                return _answer(400, b'{"detail": "statement refused by policy"}')(method, url)
            return super().request(method, url, **kwargs)

    result = run(config, client=XAPIClient(config, session=RefusesOneLearner()))

    assert (result.sent, result.failed) == (1, 1) and calls == [4, 2, 2]
    line = RunError.objects.get(run_id=result.run_id, outcome="failed")
    assert line.enrollment_id == bad.pk and line.status_code == 400 and line.code == "rejected"
    assert "statement refused by policy" in line.message
    assert {s["actor"]["mbox"] for s in lrs.statements()} == {f"mailto:{good.learner.user.email.lower()}"}


def test_selection_queries_are_bounded(lrs, django_assert_max_num_queries):
    config = lrs_config(lrs, customer__enable_data_sharing_consent=True)
    for _ in range(30):
        completed_enrollment(config.customer)

    with django_assert_max_num_queries(30):
        result = run(config)

    assert result.sent == 30
