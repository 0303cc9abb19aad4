"""The Open edX completion backend (grades and certificates APIs), and the seed's rules through it."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from enterprise.lms.completion import FAIL, IN_PROGRESS, PASS, completions_for
from enterprise.lms.openedx.backends import OpenEdXCatalog, OpenEdXCompletions
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
COURSE = "course-v1:Acme+Data101+2027"
OTHER = "course-v1:Acme+Ops+2027"
GRADES = "/api/grades/v1/courses/"
CERTIFICATES = "/api/certificates/v0/certificates/"


@pytest.fixture
def backend(openedx_conf, fake_openedx):
    fake_openedx.add_course_run(COURSE)
    fake_openedx.add_course_run(OTHER)
    return OpenEdXCompletions()


def learner(fake, username, *courses):
    for course_id in courses:
        fake.enroll(username, course_id)
    return UserFactory(username=username)


NOW = timezone.now().replace(microsecond=0)


def issued(days_ago):
    return NOW - days_ago * DAY


# Certificates


def test_one_course_reads_the_certificate_detail(backend, fake_openedx):
    alice = learner(fake_openedx, "alice", COURSE)
    fake_openedx.set_certificate("alice", COURSE, grade="0.92", created=issued(3))

    certificate = backend.get_certificate(alice.pk, COURSE)

    assert (certificate.grade, certificate.issued_at) == ("0.92", issued(3))
    (call,) = fake_openedx.calls("lms", CERTIFICATES)
    assert call.path == f"{CERTIFICATES}alice/courses/{COURSE}/"


def test_several_courses_of_one_user_read_the_certificate_list_once(backend, fake_openedx):
    alice = learner(fake_openedx, "alice", COURSE, OTHER)
    fake_openedx.set_certificate("alice", COURSE, grade="0.92", created=issued(3))
    fake_openedx.set_certificate("alice", OTHER, grade="0.40", created=issued(1), status="notpassing")
    fake_openedx.set_certificate("alice", "course-v1:Acme+Unasked+2027", grade="1.0", created=issued(1))

    certificates = backend.get_certificates([(alice.pk, COURSE), (alice.pk, OTHER)])

    assert set(certificates) == {(alice.pk, COURSE)}  # notpassing is no certificate; unasked left out
    assert [c.path for c in fake_openedx.calls("lms", CERTIFICATES)] == [f"{CERTIFICATES}alice/"]


def test_no_certificate_is_no_entry(backend, fake_openedx):
    alice = learner(fake_openedx, "alice", COURSE)
    assert backend.get_certificate(alice.pk, COURSE) is None


# Grades


def test_few_learners_are_graded_one_call_each(backend, fake_openedx):
    alice = learner(fake_openedx, "alice", COURSE)
    bob = learner(fake_openedx, "bob", COURSE)
    carol = UserFactory(username="carol")  # not enrolled: the API answers 404 user_not_enrolled
    fake_openedx.set_grade("alice", COURSE, 0.83, passed=True)
    fake_openedx.set_grade("bob", COURSE, 0.2, passed=False)

    grades = backend.get_grades([(alice.pk, COURSE), (bob.pk, COURSE), (carol.pk, COURSE)])

    assert grades[(alice.pk, COURSE)].percent == Decimal("0.8300")
    assert grades[(alice.pk, COURSE)].passed is True
    assert grades[(bob.pk, COURSE)].passed is False
    assert (carol.pk, COURSE) not in grades
    assert sorted(c.query["username"] for c in fake_openedx.calls("lms", GRADES)) == ["alice", "bob", "carol"]


def test_many_learners_of_a_course_are_read_from_its_paginated_listing(
    settings, openedx_conf, backend, fake_openedx, django_assert_max_num_queries
):
    settings.ENTERPRISE_OPENEDX = {**openedx_conf, "GRADES_COURSE_LISTING_THRESHOLD": 3}
    users = [learner(fake_openedx, f"user{n}", COURSE) for n in range(5)]
    fake_openedx.enroll("outsider", COURSE)  # in the course, not asked for
    for n in range(5):
        fake_openedx.set_grade(f"user{n}", COURSE, n / 10, passed=n >= 3)

    backend.client.token()  # fetched and stored once per token lifetime, not part of the bulk path
    with django_assert_max_num_queries(2):  # usernames for the grades, then for the certificates of passes
        grades = backend.get_grades([(u.pk, COURSE) for u in users])

    assert {key[0] for key in grades} == {u.pk for u in users}
    assert [grades[(u.pk, COURSE)].passed for u in users] == [False, False, False, True, True]
    listing = [c for c in fake_openedx.calls("lms", GRADES) if "username" not in c.query]
    assert len(listing) == 3  # six enrolled users in pages of two


def test_a_passed_grade_is_dated_by_the_certificate_when_there_is_one(backend, fake_openedx):
    alice = learner(fake_openedx, "alice", COURSE, OTHER)
    fake_openedx.set_grade("alice", COURSE, 0.9, passed=True)
    fake_openedx.set_grade("alice", OTHER, 0.9, passed=True)
    fake_openedx.set_certificate("alice", COURSE, grade="0.9", created=issued(5))

    before = timezone.now()
    grades = OpenEdXCompletions().get_grades([(alice.pk, COURSE), (alice.pk, OTHER)])

    assert grades[(alice.pk, COURSE)].passed_at == issued(5)
    assert before - DAY < grades[(alice.pk, OTHER)].passed_at <= timezone.now()  # when first seen


def test_completions_ask_for_each_certificate_once(backend, fake_openedx):
    alice = learner(fake_openedx, "alice", COURSE)
    fake_openedx.set_grade("alice", COURSE, 0.9, passed=True)
    fake_openedx.set_certificate("alice", COURSE, grade="0.9", created=issued(5))
    courses = OpenEdXCatalog().get_courses([COURSE])

    completions_for([(alice.pk, COURSE)], courses=courses, backend=backend)

    assert len(fake_openedx.calls("lms", CERTIFICATES)) == 1


# The seed's completion rules, through the Open edX backends


def completion(fake, username, course_id):
    user = UserFactory(username=username)
    courses = OpenEdXCatalog().get_courses([course_id])
    return completions_for([(user.pk, course_id)], courses=courses, backend=OpenEdXCompletions())[(user.pk, course_id)]


def test_instructor_paced_is_complete_with_a_certificate_and_its_grade(openedx_conf, fake_openedx):
    fake_openedx.add_course_run("course-v1:Acme+IP+2027", pacing="instructor_paced", end=timezone.now() + 30 * DAY)
    fake_openedx.enroll("ann", "course-v1:Acme+IP+2027")
    fake_openedx.set_certificate("ann", "course-v1:Acme+IP+2027", grade="0.87", created=issued(2))

    result = completion(fake_openedx, "ann", "course-v1:Acme+IP+2027")

    assert (result.complete, result.grade, result.completed_at) == (True, "0.87", issued(2))


def test_instructor_paced_without_certificate_is_in_progress_even_when_passed(openedx_conf, fake_openedx):
    fake_openedx.add_course_run("course-v1:Acme+IP+2027", pacing="instructor_paced", end=timezone.now() - DAY)
    fake_openedx.enroll("ann", "course-v1:Acme+IP+2027")
    fake_openedx.set_grade("ann", "course-v1:Acme+IP+2027", 0.95, passed=True)

    result = completion(fake_openedx, "ann", "course-v1:Acme+IP+2027")

    assert (result.complete, result.grade) == (False, IN_PROGRESS)


@pytest.mark.parametrize(("passed", "expected"), [(True, PASS), (False, FAIL)])
def test_self_paced_with_an_ended_course_is_complete_with_pass_or_fail(openedx_conf, fake_openedx, passed, expected):
    end = issued(1)
    fake_openedx.add_course_run("course-v1:Acme+SP+2026", pacing="self_paced", end=end)
    fake_openedx.enroll("ann", "course-v1:Acme+SP+2026")
    fake_openedx.set_grade("ann", "course-v1:Acme+SP+2026", 0.7 if passed else 0.3, passed=passed)

    result = completion(fake_openedx, "ann", "course-v1:Acme+SP+2026")

    assert (result.complete, result.grade, result.completed_at) == (True, expected, end)
    assert result.percent == Decimal("0.7000" if passed else "0.3000")


def test_self_paced_before_its_end_date_is_in_progress_even_when_passed(openedx_conf, fake_openedx):
    fake_openedx.add_course_run("course-v1:Acme+SP+2027", pacing="self_paced", end=timezone.now() + 10 * DAY)
    fake_openedx.enroll("ann", "course-v1:Acme+SP+2027")
    fake_openedx.set_grade("ann", "course-v1:Acme+SP+2027", 0.9, passed=True)

    result = completion(fake_openedx, "ann", "course-v1:Acme+SP+2027")

    assert (result.complete, result.grade) == (False, IN_PROGRESS)


def test_self_paced_without_end_is_complete_once_passed(openedx_conf, fake_openedx):
    fake_openedx.add_course_run("course-v1:Acme+Open+2027", pacing="self_paced", end=None)
    fake_openedx.enroll("ann", "course-v1:Acme+Open+2027")
    fake_openedx.set_grade("ann", "course-v1:Acme+Open+2027", 0.9, passed=True)
    fake_openedx.set_certificate("ann", "course-v1:Acme+Open+2027", grade="0.9", created=issued(4))

    result = completion(fake_openedx, "ann", "course-v1:Acme+Open+2027")

    assert (result.complete, result.grade, result.completed_at) == (True, PASS, issued(4))


def test_self_paced_without_end_not_passed_is_in_progress(openedx_conf, fake_openedx):
    fake_openedx.add_course_run("course-v1:Acme+Open+2027", pacing="self_paced", end=None)
    fake_openedx.enroll("ann", "course-v1:Acme+Open+2027")
    fake_openedx.set_grade("ann", "course-v1:Acme+Open+2027", 0.4, passed=False)

    result = completion(fake_openedx, "ann", "course-v1:Acme+Open+2027")

    assert (result.complete, result.grade) == (False, IN_PROGRESS)
    assert result.percent == Decimal("0.4000")
