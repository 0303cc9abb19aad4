"""LinkedIn Learning and Lynda against the strict fake (issue 18 item 3)."""

from __future__ import annotations

import datetime

import msgspec
import pytest

from enterprise.lms import get_catalog
from enterprise.lms.content.models import Catalog, ProviderCourse, ProviderProgress
from enterprise.lms.local.models import Certificate
from integrated_channels.integrated_channel.models import Run
from integrated_channels.linkedin_learning import operations
from integrated_channels.linkedin_learning.client import AnswerPage, read_page
from integrated_channels.linkedin_learning.models import LinkedInLearningConnection, LyndaConnection
from tests.factories import CustomerFactory, LearnerFactory
from tests.fakes.linkedin_learning import ASSETS_PATH, REPORTS_PATH, TOKEN_PATH, Activity, Asset, FakeLinkedInLearning

pytestmark = pytest.mark.django_db


@pytest.fixture
def remote():
    assets = [Asset(f"urn:li:lyndaCourse:{n}", f"Python {n}", topics=("Python",)) for n in range(150)]
    assets += [
        Asset("urn:li:lyndaCourse:900", "Leadership en français", language="fr", library="Business"),
        Asset("urn:li:lyndaCourse:901", "Old Lynda course", library="Lynda", retired=True),
        Asset("urn:li:lyndaCourse:902", "Lynda Photoshop", library="Lynda", seconds=None),
    ]
    with FakeLinkedInLearning(assets=assets) as fake:
        yield fake


def connect(remote, model=LinkedInLearningConnection, **fields):
    values = {
        "customer": CustomerFactory(name="Acme"),
        "name": "LinkedIn",
        "active": True,
        "client_id": remote.client_id,
        "client_secret": remote.client_secret,
        "api_url": remote.url,
        "token_url": remote.url + TOKEN_PATH,
        "catalogs": "Technology",
        "custom_tags": "LinkedIn",
    }
    return model.objects.create(**(values | fields))


def test_courses_are_imported_page_by_page_with_the_filters_as_query_parameters(remote):
    connection = connect(remote, languages="EN", libraries="technology")

    run = operations.import_courses(connection, trigger=Run.Trigger.ADMIN)

    assert (run.status, run.sent, run.failed) == (Run.Status.COMPLETED, 150, 0)
    pages = remote.calls(ASSETS_PATH)
    assert [(query["start"], query["count"]) for query in pages] == [("0", "100"), ("100", "100")]
    assert pages[0]["assetFilteringCriteria.locales[0].language"] == "en"
    assert pages[0]["assetFilteringCriteria.classifications[0]"] == "urn:li:lyndaCategory:2"
    assert len(remote.calls(TOKEN_PATH)) == 1
    assert run.remote_calls == 4  # token, libraries, two asset pages
    course = get_catalog().get_course("linkedin:urn:li:lyndaCourse:7")
    assert (course.provider, course.provider_id, course.library, course.language) == (
        "linkedin",
        "urn:li:lyndaCourse:7",
        "Technology",
        "en",
    )
    assert course.launch_url == "https://www.linkedin.com/learning/7"
    assert course.tags == ("Python",)
    assert Catalog.objects.get(customer=connection.customer).entries.count() == 150
    assert not ProviderCourse.objects.filter(provider_id="urn:li:lyndaCourse:900").exists()


def test_lynda_is_linkedin_learning_limited_to_the_lynda_library(remote):
    connection = connect(remote, model=LyndaConnection, libraries="Business")
    assert connection.channel == "LYNDA" and connection.libraries == "Lynda"

    run = operations.import_courses(connection, trigger=Run.Trigger.SCHEDULE)

    assert run.sent == 2
    assert remote.calls(ASSETS_PATH)[0]["assetFilteringCriteria.classifications[0]"] == "urn:li:lyndaCategory:4"
    assert get_catalog().get_course("linkedin:urn:li:lyndaCourse:901").retired
    assert get_catalog().get_course("linkedin:urn:li:lyndaCourse:902").effort_hours is None


def test_each_model_lists_only_its_own_connections_though_they_share_a_table(remote):
    linkedin = connect(remote)
    lynda = connect(remote, model=LyndaConnection, customer=linkedin.customer, name="Lynda")
    assert list(LinkedInLearningConnection.objects.all()) == [linkedin]
    assert list(LyndaConnection.objects.all()) == [lynda]
    assert lynda.specific() == lynda and isinstance(lynda.specific(), LyndaConnection)


def test_an_unknown_library_fails_the_run_with_the_known_ones(remote):
    connection = connect(remote, libraries="Cooking")
    run = operations.import_courses(connection, trigger=Run.Trigger.ADMIN)
    assert run.status == Run.Status.FAILED
    assert run.error_message == (
        "Unknown LinkedIn Learning library: Cooking (known: Business, Creative, Lynda, Technology)."
    )


def test_refused_credentials_fail_the_run_without_echoing_the_secret(remote):
    connection = connect(remote, client_secret="wrong-secret-value")
    run = operations.import_courses(connection, trigger=Run.Trigger.ADMIN)
    assert run.status == Run.Status.FAILED
    assert run.error_code == "token_request_failed"
    assert "wrong-secret-value" not in run.error_message
    assert not operations.test_connection(connection).ok
    good = connect(remote, customer=connection.customer, name="Good", libraries="Lynda")
    result = operations.test_connection(good)
    assert result.ok and result.found == ["Business", "Creative", "Lynda", "Technology"]


def test_429_is_retried_after_retry_after_and_401_gets_one_new_token(remote):
    connection = connect(remote, libraries="")
    remote.fail.append((ASSETS_PATH, 429, {"Retry-After": "0"}))
    first = operations.import_courses(connection, trigger=Run.Trigger.ADMIN)
    assert (first.status, first.sent) == (Run.Status.COMPLETED, 153)  # the retired one too, marked retired
    remote.revoke()  # the stored token is no longer valid: one 401, one new token, the call again
    again = operations.import_courses(connection, trigger=Run.Trigger.ADMIN)
    assert (again.status, again.sent, again.skipped) == (Run.Status.COMPLETED, 0, 153)
    assert len(remote.calls(TOKEN_PATH)) == 2


def test_activity_reports_become_progress_and_completions(remote):
    connection = connect(remote, libraries="")
    operations.import_courses(connection, trigger=Run.Trigger.ADMIN)
    learners = [LearnerFactory(customer=connection.customer, user__email=f"p{n}@example.com") for n in range(2)]
    now_ms = int(datetime.datetime.now(tz=datetime.UTC).timestamp() * 1000)
    remote.activities = [
        Activity("p0@example.com", "urn:li:lyndaCourse:1", 1800, 100, now_ms - 90_000_000, now_ms - 1000, True),
        Activity("P1@example.com", "urn:li:lyndaCourse:2", None, 35, now_ms - 5000, now_ms - 1000, False),
        Activity("stranger@example.com", "urn:li:lyndaCourse:2", None, 10, now_ms - 5000, now_ms - 1000),
        Activity("p1@example.com", "urn:li:lyndaCourse:99999", None, 10, now_ms - 5000, now_ms - 1000),
    ]

    run = operations.import_progress(connection, trigger=Run.Trigger.ADMIN)

    assert (run.status, run.sent, run.failed) == (Run.Status.COMPLETED_WITH_ERRORS, 2, 2)
    assert sorted(run.errors.values_list("message", flat=True)) == [
        "report page 1, item 3: stranger@example.com is not a linked learner",
        "report page 1, item 4: unknown linkedin course 'urn:li:lyndaCourse:99999'",
    ]
    query = remote.calls(REPORTS_PATH)[0]
    assert (query["timeOffset.unit"], query["timeOffset.duration"]) == ("DAY", "31")
    done = ProviderProgress.objects.get(user=learners[0].user)
    assert (done.time_spent_seconds, str(done.percent)) == (1800, "1.0000")
    assert ProviderProgress.objects.get(user=learners[1].user).time_spent_seconds is None  # not reported
    assert Certificate.objects.filter(user=learners[0].user, course__course_id="linkedin:urn:li:lyndaCourse:1").exists()
    assert not Certificate.objects.filter(user=learners[1].user).exists()


def test_a_malformed_answer_fails_the_run_with_a_typed_error(remote, monkeypatch):
    connection = connect(remote, libraries="")
    real = remote._assets
    monkeypatch.setattr(remote, "_assets", lambda query: {**real(query), "elements": ["not an object"]})
    run = operations.import_courses(connection, trigger=Run.Trigger.ADMIN)
    assert (run.status, run.error_code) == (Run.Status.FAILED, "malformed_response")
    assert "no list of objects in elements" in run.error_message


def test_a_page_is_read_for_its_paging_and_its_elements_built_only_when_asked():
    raw = b'{"elements": [{"urn": "a"}, {"urn": "b"}], "paging": {"start": 0, "links": [{"rel": "next"}]}}'
    page = read_page(raw)
    assert (page.count, page.has_next, page.raw) == (2, True, raw)
    assert page.elements() == [{"urn": "a"}, {"urn": "b"}]
    elsewhere = read_page(b'{"elements": [{"urn": "a"}, {"urn": "b"}], "paging": {"start": 5, "links": []}}')
    assert page.fingerprint == elsewhere.fingerprint  # of the elements: the links repeat the moving query
    assert read_page(b'{"elements": [{"urn": "a"}]}').fingerprint != page.fingerprint
    last = read_page(b'{"paging": null, "elements": [], "other": 1}')
    assert (last.count, last.has_next) == (0, False)
    with pytest.raises(msgspec.ValidationError):
        read_page(b'{"elements": {"urn": "a"}}')
    with pytest.raises(msgspec.DecodeError):
        read_page(b"<html>Service unavailable</html>")


def test_a_no_change_rerun_follows_the_pages_without_building_their_elements(remote, monkeypatch):
    connection = connect(remote, libraries="")
    now_ms = int(datetime.datetime.now(tz=datetime.UTC).timestamp() * 1000)
    LearnerFactory(customer=connection.customer, user__email="p0@example.com")
    remote.activities = [
        Activity("p0@example.com", f"urn:li:lyndaCourse:{n}", 60, 50, now_ms - 5000, now_ms - 1000) for n in range(120)
    ]
    operations.import_courses(connection, trigger=Run.Trigger.ADMIN)
    first = operations.import_progress(connection, trigger=Run.Trigger.ADMIN)
    assert (first.status, first.sent) == (Run.Status.COMPLETED, 120)
    built = []
    real = AnswerPage.elements
    monkeypatch.setattr(AnswerPage, "elements", lambda page: built.append(page) or real(page))
    asset_calls, report_calls = len(remote.calls(ASSETS_PATH)), len(remote.calls(REPORTS_PATH))

    courses = operations.import_courses(connection, trigger=Run.Trigger.ADMIN)
    progress = operations.import_progress(connection, trigger=Run.Trigger.ADMIN)

    assert (courses.sent, courses.skipped, progress.sent, progress.skipped) == (0, 153, 0, 120)
    assert built == []  # every page skipped by its fingerprint, read for its paging only (decision 0525)
    assert len(remote.calls(ASSETS_PATH)) - asset_calls == 2  # still every page, following the next links
    assert len(remote.calls(REPORTS_PATH)) - report_calls == 2


def test_the_mapping_makes_percents_and_dates_as_decimal_division_and_fromtimestamp_do():
    """Whole percents come from a table made once, the completion date is the latest engagement's when they are the
    same moment (decision 0580): the values are those of the plain computation."""
    from decimal import Decimal

    from integrated_channels.linkedin_learning import mapping

    for whole in range(101):
        assert mapping._fraction(whole) == (Decimal(whole) / 100).quantize(Decimal("0.0001"))
    assert mapping._fraction(33.5) == Decimal("0.3350") and mapping._fraction("40") is None
    assert mapping._fraction(40.0) == Decimal("0.4000")

    def element(completed_last: int) -> dict:
        return {
            "learnerDetails": {"email": "p0@example.com"},
            "contentDetails": {"contentUrn": "urn:li:lyndaCourse:1"},
            "activities": [
                {"engagementType": "PROGRESS_PERCENTAGE", "engagementValue": 100, "lastEngagedAt": 2_000_000},
                {"engagementType": "COMPLETIONS", "engagementValue": 1, "lastEngagedAt": completed_last},
            ],
        }

    def moment(ms: int) -> datetime.datetime:
        return datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.UTC)

    same = mapping.progress_of(element(2_000_000), source="s")
    assert same.completed_at == same.last_activity == moment(2_000_000)
    earlier = mapping.progress_of(element(1_500_000), source="s")
    assert (earlier.completed_at, earlier.last_activity) == (moment(1_500_000), moment(2_000_000))
    unset = mapping.progress_of(element(0), source="s")
    assert unset.completed_at == moment(2_000_000)  # no date of its own: the latest engagement's
    assert same.percent == Decimal("1.0000")
