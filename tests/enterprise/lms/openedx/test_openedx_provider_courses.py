"""Provider courses with the Open edX backends (decision 0390): kept locally, merged into every answer.

The fake Open edX is strict: a provider course's id reaching the LMS enrollment API or course-discovery
would be a 400 or "not found", and every call is recorded, so the tests check that none was made.
"""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from enterprise.lms.content import services as content
from enterprise.lms.content.models import ProviderCourse
from enterprise.lms.interfaces import EnrollmentRequest
from enterprise.lms.local.models import LmsEnrollment
from enterprise.lms.openedx.backends import OpenEdXCatalog, OpenEdXCompletions, OpenEdXEnrollments
from enterprise.lms.openedx.exceptions import OpenEdXHTTPError
from enterprise.services.completions import CompletionReport, record_completions
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db

RUN = "course-v1:Acme+Coach+2027"
PROVIDED = "hmm:hmm-coaching"
ENROLLMENT = "/api/enrollment/v1/enrollment"


@pytest.fixture
def provider_courses():
    content.import_courses(
        provider="hmm",
        customer_id=CustomerFactory().pk,
        records=[
            content.CourseRecord(provider_id="hmm-coaching", title="Coaching for Results", language="en"),
            content.CourseRecord(provider_id="hmm-coaching-old", title="Coaching (2019)", retired=True),
        ],
    )


@pytest.fixture
def catalog(openedx_conf, fake_openedx, provider_courses):
    fake_openedx.add_course_run(RUN, title="Coaching teams", modes=("audit", "verified"))
    return OpenEdXCatalog()


def test_get_courses_answers_provider_courses_from_the_local_tables_and_runs_from_discovery(catalog, fake_openedx):
    found = catalog.get_courses([RUN, PROVIDED, "hmm:unknown", "course-v1:Acme+None+2027"])

    assert sorted(found) == [RUN, PROVIDED]
    assert (found[PROVIDED].provider, found[PROVIDED].title, found[PROVIDED].modes) == (
        "hmm",
        "Coaching for Results",
        ("audit",),
    )
    assert found[RUN].modes == ("audit", "verified")
    (runs_call,) = fake_openedx.calls("discovery", "/api/v1/course_runs/")
    # The provider course was not asked of discovery; an id no provider course has is (it may be the LMS's).
    assert runs_call.query["keys"] == f"{RUN},course-v1:Acme+None+2027,hmm:unknown"


def test_get_course_of_a_provider_course_asks_discovery_nothing(catalog, fake_openedx):
    course = catalog.get_course(PROVIDED)

    assert (course.course_id, course.language) == (PROVIDED, "en")
    assert fake_openedx.calls("discovery") == []


def test_course_search_merges_provider_courses_in_turns_and_leaves_retired_ones_out(catalog, fake_openedx):
    for year in range(2020, 2026):  # more runs than the limit: the provider course still gets its turn
        fake_openedx.add_course_run(f"course-v1:Acme+Coach+{year}", title="Coaching teams")

    found = catalog.search_courses("coaching", limit=4)

    assert len(found) == 4
    assert PROVIDED in [c.course_id for c in found]
    assert "hmm:hmm-coaching-old" not in [c.course_id for c in found]
    assert [c.course_id for c in found] == sorted(c.course_id for c in found)


def test_course_search_escapes_what_was_typed(catalog, fake_openedx):
    fake_openedx.add_course_run("course-v1:Acme+Cpp+2027", title="C++ for engineers")

    assert [c.course_id for c in catalog.search_courses("C++")] == ["course-v1:Acme+Cpp+2027"]
    assert [c.course_id for c in catalog.search_courses("course-v1:Acme+Cpp")] == ["course-v1:Acme+Cpp+2027"]
    assert [c.course_id for c in catalog.search_courses("c++ engin")] == ["course-v1:Acme+Cpp+2027"]

    queries = [call.query["q"] for call in fake_openedx.calls("discovery", "/api/v1/courses/")]
    assert queries == ["C\\+\\+*", "course\\-v1\\:Acme\\+Cpp*", "c\\+\\+* AND engin*"]


def test_the_strict_fake_refuses_an_unescaped_course_query(catalog, fake_openedx):
    # What the search sent before decision 0390: the fake answers it as discovery would, a parse error.
    with pytest.raises(OpenEdXHTTPError) as refused:
        catalog.client.get_json(catalog.client.discovery("courses/"), params={"q": "C++"})
    assert refused.value.status_code == 400


@pytest.fixture
def alice(fake_openedx):
    fake_openedx.add_user("alice")
    return UserFactory(username="alice")


def test_enrollments_in_provider_courses_are_local_and_never_posted_to_the_lms(catalog, fake_openedx, alice):
    backend = OpenEdXEnrollments()

    result = backend.enroll_many(
        [EnrollmentRequest(alice.pk, RUN, "verified"), EnrollmentRequest(alice.pk, PROVIDED, "audit")]
    )

    assert result.enrolled == {(alice.pk, RUN), (alice.pk, PROVIDED)}
    assert [c.body["course_details"]["course_id"] for c in fake_openedx.calls("lms", ENROLLMENT, "POST")] == [RUN]
    assert LmsEnrollment.objects.get(user=alice, course__course_id=PROVIDED).mode == "audit"
    assert [(e.course_id, e.mode) for e in backend.list_enrollments(user_id=alice.pk)] == [
        (RUN, "verified"),
        (PROVIDED, "audit"),
    ]
    refused = backend.enroll_many([EnrollmentRequest(alice.pk, PROVIDED, "verified")])
    assert refused.failed[(alice.pk, PROVIDED)].code == "invalid_mode"

    unenrolled = backend.unenroll_many([(alice.pk, RUN), (alice.pk, PROVIDED)])

    assert unenrolled.unenrolled == {(alice.pk, RUN), (alice.pk, PROVIDED)}
    assert not LmsEnrollment.objects.get(user=alice, course__course_id=PROVIDED).is_active
    assert not fake_openedx.enrollments[("alice", RUN)]["is_active"]
    assert backend.list_enrollments(user_id=alice.pk) == []


def test_completions_of_provider_courses_come_from_the_local_tables(catalog, fake_openedx, alice):
    completed = timezone.now().replace(microsecond=0) - datetime.timedelta(days=1)
    record_completions(
        reports=[
            CompletionReport(
                user_id=alice.pk, course_id=PROVIDED, passed=True, percent=Decimal("1"), completed_at=completed
            )
        ]
    )
    fake_openedx.enroll("alice", RUN)
    fake_openedx.set_grade("alice", RUN, 0.4, passed=False)
    backend = OpenEdXCompletions()

    grades = backend.get_grades([(alice.pk, RUN), (alice.pk, PROVIDED)])
    certificates = backend.get_certificates([(alice.pk, PROVIDED)])

    assert grades[(alice.pk, PROVIDED)].passed_at == completed
    assert grades[(alice.pk, RUN)].percent == Decimal("0.4")
    assert certificates[(alice.pk, PROVIDED)].issued_at == completed
    asked = [call.path for call in fake_openedx.calls("lms")]
    assert not any("hmm" in path for path in asked), asked
    assert backend.get_subsection_grades([(alice.pk, PROVIDED)]) == {}


def test_a_provider_code_cannot_be_an_open_edx_key_namespace():
    with pytest.raises(ValueError, match="course-v1"):
        content.import_courses(
            provider="course-v1", customer_id=CustomerFactory().pk, records=[content.CourseRecord("x", "X")]
        )
    content.import_courses(
        provider="hmm", customer_id=CustomerFactory().pk, records=[content.CourseRecord("hmm-x", "X")]
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        ProviderCourse.objects.filter(provider_id="hmm-x").update(provider="course-v1")
