"""Cornerstone: the course list it polls, the launch that records a learner's session, completions to the callback."""

from __future__ import annotations

import base64
import io
from urllib.parse import urlencode

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils.http import http_date

from integrated_channels.cornerstone.catalog import cornerstone_id
from integrated_channels.cornerstone.models import CornerstoneLearnerSession
from integrated_channels.integrated_channel.models import LearnerDataTransmissionAudit, Run
from tests.factories import CourseFactory, StaffFactory
from tests.integrated_channels.cornerstone.conftest import CATALOG_PASSWORD
from tests.integrated_channels.factories import SECRET, completed_enrollment

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def staff():
    return StaffFactory(username="staff")


def transmit(command="transmit_learner_data"):
    call_command(command, api_user="staff", channel=["CSOD"], stdout=io.StringIO())


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def poll(client, config, password=CATALOG_PASSWORD, **headers):
    url = reverse("cornerstone:course_list") + "?" + urlencode({"ciid": str(config.customer.uuid)})
    return client.get(url, HTTP_AUTHORIZATION=basic("cornerstone", password), **headers)


def launch(client, config, enrollment, fake_csod, guid="guid-1", callback="/cb/123"):
    token = fake_csod.start_session(callback, guid)
    query = {
        "ciid": str(config.customer.uuid),
        "course": enrollment.course_id,
        "userGuid": guid,
        "sessionToken": token,
        "callbackUrl": callback,
        "subdomain": "acme",
    }
    client.force_login(enrollment.learner.user)
    return client.get(reverse("cornerstone:launch") + "?" + urlencode(query)), token


def test_the_course_list_offers_what_content_runs_published(client, csod_config):
    course = CourseFactory(course_id="course-v1:Org+Data+2027", title="Data", skills=["SQL"])
    completed_enrollment(csod_config.customer, course=course)

    assert poll(client, csod_config).json() == []  # nothing published yet
    transmit("transmit_content_metadata")
    response = poll(client, csod_config)

    [entry] = response.json()
    assert entry["ID"] == cornerstone_id(course.course_id) != course.course_id  # ":" and "+" are not accepted
    assert (entry["Title"], entry["IsActive"], entry["Subjects"]) == ("Data", True, ["SQL"])
    assert entry["URL"].startswith("http://testserver/cornerstone/launch/?")
    assert "Last-Modified" in response
    assert Run.objects.order_by("-id").first().remote_calls == 0  # publishing calls nobody

    unchanged = poll(client, csod_config, HTTP_IF_MODIFIED_SINCE=response["Last-Modified"])
    assert unchanged.status_code == 304


def test_the_course_list_refuses_wrong_or_missing_credentials(client, csod_config):
    assert poll(client, csod_config, password="wrong").status_code == 401
    assert client.get(reverse("cornerstone:course_list") + f"?ciid={csod_config.customer.uuid}").status_code == 401
    url = reverse("cornerstone:course_list") + "?ciid=not-a-uuid"
    assert client.get(url, HTTP_AUTHORIZATION=basic("cornerstone", CATALOG_PASSWORD)).status_code == 401
    assert SECRET not in poll(client, csod_config, password="wrong").content.decode()


def test_a_launch_records_the_session_and_opens_the_course(client, csod_config, fake_csod):
    enrollment = completed_enrollment(csod_config.customer)

    response, token = launch(client, csod_config, enrollment, fake_csod)

    assert response.status_code == 302 and response["Location"].endswith(f"/courses/{enrollment.course_id}/about")
    session = CornerstoneLearnerSession.objects.get()
    assert (session.user_guid, session.callback_path, session.session_token) == ("guid-1", "/cb/123", token)


@pytest.mark.parametrize("callback", ["https://evil.example/cb", "//evil.example/cb", "/cb?x=1", "cb"])
def test_a_launch_with_a_callback_that_is_not_a_portal_path_is_refused(client, csod_config, fake_csod, callback):
    enrollment = completed_enrollment(csod_config.customer)
    response, _token = launch(client, csod_config, enrollment, fake_csod, callback=callback)
    assert response.status_code == 403
    assert not CornerstoneLearnerSession.objects.exists()


def test_a_launch_by_someone_not_a_learner_of_the_customer_is_refused(client, csod_config, fake_csod):
    other = completed_enrollment(
        completed_enrollment(csod_config.customer).learner.customer.__class__.objects.create(name="Other", slug="other")
    )
    response, _token = launch(client, csod_config, other, fake_csod)
    assert response.status_code == 403


def test_completions_go_to_each_learners_callback_with_their_token(client, csod_config, fake_csod):
    first = completed_enrollment(csod_config.customer)
    second = completed_enrollment(csod_config.customer)
    never_launched = completed_enrollment(csod_config.customer)
    launch(client, csod_config, first, fake_csod, guid="g-1", callback="/cb/1")
    launch(client, csod_config, second, fake_csod, guid="g-2", callback="/cb/2")

    transmit()

    completions = fake_csod.portal.completions
    assert sorted(c["userGuid"] for c in completions) == ["g-1", "g-2"]
    assert {c["status"] for c in completions} == {"Completed"} and {c["successStatus"] for c in completions} == {"Pass"}
    assert fake_csod.calls("completion") == 2  # one per learner: each has their own session
    assert not LearnerDataTransmissionAudit.objects.filter(enrollment=never_launched).exists()
    assert LearnerDataTransmissionAudit.objects.get(enrollment=first).remote_id == "g-1"
    for row in LearnerDataTransmissionAudit.objects.all():
        assert "sessionToken" not in str(row.payload)


def test_an_expired_session_fails_that_learner_only(client, csod_config, fake_csod):
    good = completed_enrollment(csod_config.customer)
    stale = completed_enrollment(csod_config.customer)
    launch(client, csod_config, good, fake_csod, guid="g-1", callback="/cb/1")
    _response, token = launch(client, csod_config, stale, fake_csod, guid="g-2", callback="/cb/2")
    fake_csod.expire_session(token)

    with pytest.raises(CommandError):
        transmit()

    assert LearnerDataTransmissionAudit.objects.get(enrollment=good).status == "sent"
    failed = LearnerDataTransmissionAudit.objects.get(enrollment=stale)
    assert failed.status == "failed" and "launch the course from Cornerstone again" in failed.last_error
    assert token not in failed.last_error


def test_course_list_etag_like_if_modified_since_in_the_past_lists_everything(client, csod_config):
    completed_enrollment(csod_config.customer)
    transmit("transmit_content_metadata")
    response = poll(client, csod_config, HTTP_IF_MODIFIED_SINCE=http_date(0))
    assert response.status_code == 200 and len(response.json()) == 1


@pytest.mark.parametrize("incremental", [False, True])
def test_selection_reads_the_sessions_once_and_keeps_the_launched_enrollments(csod_config, incremental):
    import datetime

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from integrated_channels.cornerstone.exporters import CornerstoneLearnerDataExporter

    first = completed_enrollment(csod_config.customer)
    second = completed_enrollment(csod_config.customer, learner=first.learner)
    not_launched = completed_enrollment(csod_config.customer, learner=first.learner)
    other_learner = completed_enrollment(csod_config.customer)
    user = first.learner.user
    for enrollment, guid, hours_ago in ((first, "g-old", 2), (second, "g-new", 1)):
        CornerstoneLearnerSession.objects.create(
            configuration=csod_config,
            user=user,
            course_id=enrollment.course_id,
            user_guid=guid,
            callback_path="/cb/1",
            session_token="t",
        )
        CornerstoneLearnerSession.objects.filter(user_guid=guid).update(
            modified=timezone.now() - datetime.timedelta(hours=hours_ago)
        )
    since = timezone.now() - datetime.timedelta(days=1) if incremental else None

    with CaptureQueriesContext(connection) as queries:
        selection = CornerstoneLearnerDataExporter(configuration=csod_config).select(since=since)

    sessions_read = [q["sql"] for q in queries.captured_queries if "cornerstone_cornerstonelearnersession" in q["sql"]]
    assert len(sessions_read) == (2 if incremental else 1)  # incremental: plus the "ids changed since" subquery
    assert selection.considered == 2
    assert sorted(r.enrollment_id for r in selection.records) == sorted([first.pk, second.pk])
    assert {r.remote_id for r in selection.records} == {"g-new"}  # the learner's latest session's GUID
    assert not_launched.pk not in {r.enrollment_id for r in selection.records}
    assert other_learner.pk not in {r.enrollment_id for r in selection.records}
