"""The Open edX enrollment backend against the fake LMS enrollment API."""

import pytest

from enterprise.exceptions import CourseNotFound, InvalidCourseMode, UserNotFound
from enterprise.lms.interfaces import EnrollmentRequest, LMSEnrollment
from enterprise.lms.openedx.backends import OpenEdXEnrollments
from enterprise.lms.openedx.client import OpenEdXClient
from enterprise.lms.openedx.exceptions import OpenEdXAuthError, OpenEdXUnavailable
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

COURSE = "course-v1:Acme+Data101+2027"
OTHER = "course-v1:Acme+Ops+2027"
ENROLLMENT = "/api/enrollment/v1/enrollment"


@pytest.fixture
def backend(openedx_conf, fake_openedx):
    fake_openedx.add_course_run(COURSE, modes=("audit", "verified"))
    fake_openedx.add_course_run(OTHER, modes=("audit",))
    return OpenEdXEnrollments()


@pytest.fixture
def alice(fake_openedx):
    fake_openedx.add_user("alice")
    return UserFactory(username="alice")


@pytest.fixture
def bob(fake_openedx):
    fake_openedx.add_user("bob")
    return UserFactory(username="bob")


def posts(fake):
    return [c.body for c in fake.calls("lms", ENROLLMENT, "POST")]


def test_enroll_posts_user_mode_and_course_details(backend, fake_openedx, alice):
    result = backend.enroll(user_ids=[alice.pk], course_id=COURSE, mode="verified")

    assert result.enrolled == {(alice.pk, COURSE)}
    assert posts(fake_openedx) == [
        {"user": "alice", "is_active": True, "course_details": {"course_id": COURSE}, "mode": "verified"}
    ]
    assert fake_openedx.enrollments[("alice", COURSE)]["mode"] == "verified"


def test_an_active_enrollment_in_the_same_mode_is_already_enrolled_without_a_post(backend, fake_openedx, alice):
    fake_openedx.enroll("alice", COURSE, "audit")

    result = backend.enroll_many([EnrollmentRequest(alice.pk, COURSE, "audit")])

    assert result.already_enrolled == {(alice.pk, COURSE)}
    assert result.enrolled == set()
    assert posts(fake_openedx) == []


def test_an_active_enrollment_in_another_mode_is_updated_and_counts_as_already_enrolled(backend, fake_openedx, alice):
    fake_openedx.enroll("alice", COURSE, "audit")

    result = backend.enroll_many([EnrollmentRequest(alice.pk, COURSE, "verified")])

    assert result.already_enrolled == {(alice.pk, COURSE)}
    assert fake_openedx.enrollments[("alice", COURSE)]["mode"] == "verified"


def test_an_inactive_enrollment_is_reactivated(backend, fake_openedx, alice):
    fake_openedx.enroll("alice", COURSE, "audit", active=False)

    result = backend.enroll_many([EnrollmentRequest(alice.pk, COURSE, "audit")])

    assert result.enrolled == {(alice.pk, COURSE)}
    assert fake_openedx.enrollments[("alice", COURSE)]["is_active"] is True


def test_a_409_answer_counts_as_already_enrolled(backend, fake_openedx, alice):
    fake_openedx.fail("lms", ENROLLMENT, 409, method="POST")

    result = backend.enroll_many([EnrollmentRequest(alice.pk, COURSE, "audit")])

    assert result.already_enrolled == {(alice.pk, COURSE)}
    assert result.failed == {}


def test_refusals_are_typed_per_pair_and_the_rest_is_applied(backend, fake_openedx, alice, bob):
    ghost = UserFactory(username="ghost")  # a local user the LMS does not know
    result = backend.enroll_many(
        [
            EnrollmentRequest(alice.pk, COURSE, "professional"),
            EnrollmentRequest(alice.pk, "course-v1:Nobody+Nothing+2000", "audit"),
            EnrollmentRequest(bob.pk, OTHER, "audit"),
            EnrollmentRequest(ghost.pk, OTHER, "audit"),
            EnrollmentRequest(987654, OTHER, "audit"),
        ]
    )

    assert result.enrolled == {(bob.pk, OTHER)}
    mode_error = result.failed[(alice.pk, COURSE)]
    assert isinstance(mode_error, InvalidCourseMode)
    assert mode_error.available_modes == ["audit", "verified"]
    assert "Available modes: audit, verified" in str(mode_error)
    assert isinstance(result.failed[(alice.pk, "course-v1:Nobody+Nothing+2000")], CourseNotFound)
    assert isinstance(result.failed[(ghost.pk, OTHER)], UserNotFound)
    assert isinstance(result.failed[(987654, OTHER)], UserNotFound)


def test_enroll_raises_the_first_refusal(backend, alice):
    with pytest.raises(InvalidCourseMode):
        backend.enroll(user_ids=[alice.pk], course_id=OTHER, mode="verified")


def test_one_enrollment_listing_per_user_whatever_the_number_of_courses(
    backend, fake_openedx, alice, django_assert_max_num_queries
):
    backend.client.token()  # fetched and stored once per token lifetime, not part of the bulk path
    with django_assert_max_num_queries(1):  # the usernames, in one query
        backend.enroll_many([EnrollmentRequest(alice.pk, COURSE, "audit"), EnrollmentRequest(alice.pk, OTHER, "audit")])

    listings = fake_openedx.calls("lms", ENROLLMENT, "GET")
    assert [c.query for c in listings] == [{"user": "alice"}]


def test_a_server_error_during_enrollment_is_retried(backend, fake_openedx, alice):
    fake_openedx.fail("lms", ENROLLMENT, 502, method="POST", times=1)
    backend.client = OpenEdXClient(sleep=lambda s: None)

    result = backend.enroll_many([EnrollmentRequest(alice.pk, COURSE, "audit")])

    assert result.enrolled == {(alice.pk, COURSE)}


def test_an_unavailable_lms_stops_the_batch_with_a_transient_error(backend, fake_openedx, alice):
    fake_openedx.fail("lms", ENROLLMENT, 503, method="POST", times=10)
    backend.client = OpenEdXClient(sleep=lambda s: None)

    with pytest.raises(OpenEdXUnavailable) as excinfo:
        backend.enroll_many([EnrollmentRequest(alice.pk, COURSE, "audit")])
    assert excinfo.value.transient is True


def test_an_api_user_without_staff_rights_cannot_enroll_others(openedx_conf, fake_openedx, alice):
    fake_openedx.add_course_run(COURSE)

    with pytest.raises(OpenEdXAuthError) as excinfo:
        OpenEdXEnrollments(api_user="plain_learner").enroll_many([EnrollmentRequest(alice.pk, COURSE, "audit")])
    assert excinfo.value.status_code == 403


def test_unenroll_deactivates_active_enrollments_and_counts_them(backend, fake_openedx, alice, bob):
    fake_openedx.enroll("alice", COURSE, "verified")
    fake_openedx.enroll("bob", COURSE, "audit", active=False)

    assert backend.unenroll(user_ids=[alice.pk, bob.pk], course_id=COURSE) == 1

    assert fake_openedx.enrollments[("alice", COURSE)] | {"created": None} == {
        "mode": "verified",
        "is_active": False,
        "created": None,
    }
    assert posts(fake_openedx) == [
        {"user": "alice", "is_active": False, "course_details": {"course_id": COURSE}, "mode": "verified"}
    ]


def test_list_enrollments_returns_active_ones_sorted(backend, fake_openedx, alice):
    fake_openedx.enroll("alice", OTHER, "audit")
    fake_openedx.enroll("alice", COURSE, "verified")
    fake_openedx.enroll("alice", "course-v1:Acme+Old+2020", "audit", active=False)

    assert backend.list_enrollments(user_id=alice.pk) == [
        LMSEnrollment(alice.pk, COURSE, "verified"),
        LMSEnrollment(alice.pk, OTHER, "audit"),
    ]
    assert backend.list_enrollments(user_id=987654) == []


def test_unenroll_many_reports_each_pair(backend, fake_openedx, alice, bob):
    fake_openedx.enroll("alice", COURSE, "verified")
    fake_openedx.enroll("alice", OTHER, "audit")
    fake_openedx.enroll("bob", COURSE, "audit", active=False)
    fake_openedx.fail("lms", ENROLLMENT, 400, method="POST", times=1)  # the first POST is refused

    result = backend.unenroll_many([(alice.pk, COURSE), (alice.pk, OTHER), (bob.pk, COURSE), (987654, COURSE)])

    assert set(result.failed) == {(alice.pk, COURSE), (987654, COURSE)}  # pairs are tried in order
    assert isinstance(result.failed[(987654, COURSE)], UserNotFound)
    assert result.unenrolled == {(alice.pk, OTHER)}
    assert result.not_enrolled == {(bob.pk, COURSE)}
    assert fake_openedx.enrollments[("alice", OTHER)]["is_active"] is False
    assert fake_openedx.enrollments[("alice", COURSE)]["is_active"] is True


def test_unenroll_many_stops_when_the_lms_is_unavailable(backend, fake_openedx, alice):
    fake_openedx.enroll("alice", COURSE, "verified")
    fake_openedx.fail("lms", ENROLLMENT, 503, method="POST", times=10)
    backend.client = OpenEdXClient(sleep=lambda s: None)
    with pytest.raises(OpenEdXUnavailable):
        backend.unenroll_many([(alice.pk, COURSE)])
