import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from enterprise.models import EnterpriseCourseEnrollment, EnterpriseCustomerUser, PendingEnterpriseCustomerUser
from tests.api.conftest import errors_of
from tests.factories import CourseFactory, LearnerFactory, PendingLearnerFactory, UserFactory


def url(customer, tail=""):
    return f"/enterprise/api/v1/customers/{customer.uuid}/learners/{tail}"


@pytest.fixture
def mixed(customer):
    """10 linked and 10 pending learners, interleaved in time."""
    now = timezone.now()
    for i in range(10):
        linked = LearnerFactory(customer=customer, user=UserFactory(username=f"l{i:02d}"))
        pending = PendingLearnerFactory(customer=customer, user_email=f"p{i:02d}@example.com")
        EnterpriseCustomerUser.objects.filter(pk=linked.pk).update(created=now - datetime.timedelta(minutes=2 * i))
        PendingEnterpriseCustomerUser.objects.filter(pk=pending.pk).update(
            created=now - datetime.timedelta(minutes=2 * i + 1)
        )
    LearnerFactory(customer=customer, user=UserFactory(username="unlinked"), linked=False, unlinked_at=now)


def test_linked_and_pending_in_one_list_paged_without_n_plus_1(
    api_admin, customer, mixed, django_assert_max_num_queries
):
    with django_assert_max_num_queries(7):
        body = api_admin.get(url(customer) + "?page_size=3").json()
    assert body["count"] == 20
    assert [(row["status"], row["username"] or row["email"]) for row in body["results"]] == [
        ("linked", "l00"),
        ("pending", "p00@example.com"),
        ("linked", "l01"),
    ]
    seen = [(row["status"], row["id"]) for row in body["results"]]
    while body["next"]:
        with django_assert_max_num_queries(7):
            body = api_admin.get(body["next"]).json()
        seen += [(row["status"], row["id"]) for row in body["results"]]
    assert len(seen) == len(set(seen)) == 20
    assert [s for s, _ in seen] == ["linked", "pending"] * 10


def test_filter_by_status_and_search(api_admin, customer, mixed):
    body = api_admin.get(url(customer) + "?status=pending").json()
    assert body["count"] == 10 and {row["status"] for row in body["results"]} == {"pending"}
    body = api_admin.get(url(customer) + "?search=l03").json()
    assert [row["username"] for row in body["results"]] == ["l03"]
    body = api_admin.get(url(customer) + "?search=P04@example.com").json()
    assert [row["email"] for row in body["results"]] == ["p04@example.com"]
    body = api_admin.get(url(customer) + "?search=l07@example.com").json()
    assert [(row["status"], row["username"]) for row in body["results"]] == [("linked", "l07")]


@pytest.mark.parametrize(
    ("query", "field"), [("status=gone", "status"), ("page_size=0", "page_size"), ("cursor=%%%", None)]
)
def test_bad_list_parameters_are_400(api_admin, customer, query, field):
    response = api_admin.get(url(customer) + "?" + query)
    assert response.status_code == 400
    assert errors_of(response)[0]["field"] == field


def test_bulk_link_json_dry_run_then_apply(api_admin, customer, other_customer):
    UserFactory(username="known", email="known@example.com")
    LearnerFactory(customer=other_customer, user=UserFactory(username="taken", email="taken@example.com"))
    payload = {"emails": ["Known@example.com", "new@example.com", "taken@example.com", "new@example.com"]}
    body = api_admin.post(url(customer, "link/"), {**payload, "dry_run": True}, format="json").json()
    assert body["dry_run"] is True and body["applied"] is False
    assert [(row["row"], row["status"]) for row in body["rows"]] == [
        (1, "linked"),
        (2, "pending"),
        (3, "conflict"),
        (4, "duplicate"),
    ]
    assert not customer.learners.exists() and not customer.pending_learners.exists()
    body = api_admin.post(url(customer, "link/"), payload, format="json").json()
    assert body["applied"] is True
    assert body["counts"] == {"linked": 1, "pending": 1, "conflict": 1, "duplicate": 1}
    assert customer.learners.get().user.username == "known"
    assert customer.pending_learners.get().user_email == "new@example.com"


def test_bulk_link_refuses_invalid_rows_with_row_numbers(api_admin, customer):
    response = api_admin.post(url(customer, "link/"), {"emails": ["ok@example.com", "nope"]}, format="json")
    assert response.status_code == 400
    assert [(e["field"], e["row"], e["code"]) for e in errors_of(response)] == [("emails", 2, "invalid_email")]
    assert not customer.pending_learners.exists()


def test_bulk_link_csv_upload(api_admin, customer):
    upload = SimpleUploadedFile("learners.csv", b"email\na@example.com\nb@example.com\n", content_type="text/csv")
    response = api_admin.post(url(customer, "link/"), {"file": upload}, format="multipart")
    assert response.status_code == 200, response.json()
    assert [(row["row"], row["status"]) for row in response.json()["rows"]] == [(2, "pending"), (3, "pending")]


@pytest.mark.parametrize(
    "payload", [{}, {"emails": []}, {"emails": ["a@example.com"], "file": "x"}, {"emails": "a@example.com"}]
)
def test_bulk_link_needs_emails_or_file(api_admin, customer, payload):
    response = api_admin.post(url(customer, "link/"), payload, format="json")
    assert response.status_code == 400
    assert errors_of(response)[0]["field"] in ("emails", "file")


def test_bulk_link_query_count_does_not_grow_with_rows(api_admin, customer, django_assert_max_num_queries):
    for n in (5, 50):
        emails = [f"bulk{n}-{i}@example.com" for i in range(n)]
        with django_assert_max_num_queries(20):
            assert api_admin.post(url(customer, "link/"), {"emails": emails}, format="json").status_code == 200


def test_bulk_enroll_links_and_enrolls(api_admin, customer):
    CourseFactory(course_id="course-v1:Org+E+1")
    UserFactory(username="eve", email="eve@example.com")
    payload = {"emails": ["eve@example.com", "later@example.com"], "course_id": "course-v1:Org+E+1", "mode": "audit"}
    response = api_admin.post(url(customer, "enroll/"), payload, format="json")
    assert response.status_code == 200, response.json()
    rows = response.json()["rows"]
    assert [(row["status"], row["enrollment"]) for row in rows] == [
        ("linked", "enrolled"),
        ("pending", "pending_enrollment"),
    ]
    enrollment = EnterpriseCourseEnrollment.objects.get()
    assert (enrollment.course_id, enrollment.source) == ("course-v1:Org+E+1", "api")


def test_bulk_enroll_errors_name_the_field(api_admin, customer):
    CourseFactory(course_id="course-v1:Org+E+1", modes=["audit"])
    response = api_admin.post(url(customer, "enroll/"), {"emails": ["a@example.com"]}, format="json")
    assert errors_of(response)[0]["field"] == "course_id"
    payload = {"emails": ["a@example.com"], "course_id": "course-v1:Org+E+1", "mode": "gold"}
    response = api_admin.post(url(customer, "enroll/"), payload, format="json")
    assert response.status_code == 400
    assert errors_of(response)[0] == {
        "field": "mode",
        "row": None,
        "code": "invalid_mode",
        "message": "Enrollment mode 'gold' is not available for course course-v1:Org+E+1. Available modes: audit.",
    }
    payload = {"emails": ["a@example.com"], "course_id": "course-v1:Org+None+1", "mode": "audit"}
    assert errors_of(api_admin.post(url(customer, "enroll/"), payload, format="json"))[0]["code"] == "course_not_found"


def test_bulk_unlink(api_admin, customer, learner):
    PendingLearnerFactory(customer=customer, user_email="bob@example.com")
    payload = {"emails": [learner.user.email, "bob@example.com", "who@example.com", "bad", "bob@example.com"]}
    body = api_admin.post(url(customer, "unlink/"), {**payload, "dry_run": True}, format="json").json()
    statuses = [row["status"] for row in body["rows"]]
    assert statuses == ["unlinked", "pending_removed", "not_a_learner", "invalid", "duplicate"]
    assert customer.learners.filter(linked=True).count() == 1
    body = api_admin.post(url(customer, "unlink/"), payload, format="json").json()
    assert body["counts"]["unlinked"] == 1
    assert not customer.learners.filter(linked=True).exists()
    assert not customer.pending_learners.exists()
    learner.refresh_from_db()
    assert learner.unlinked_at is not None


def _enrolled(customer, username, course_id, mode="audit"):
    """A linked learner enrolled in ``course_id`` here and in the local LMS."""
    from enterprise.lms import get_enrollment_backend

    learner = LearnerFactory(customer=customer, user=UserFactory(username=username, email=f"{username}@example.com"))
    get_enrollment_backend().enroll(user_ids=[learner.user_id], course_id=course_id, mode=mode)
    return EnterpriseCourseEnrollment.objects.create(learner=learner, course_id=course_id, mode=mode)


def test_bulk_unenroll_dry_run_then_apply_with_per_row_results(api_admin, customer, other_customer):
    from enterprise.lms.local.models import LmsEnrollment
    from tests.factories import PendingEnrollmentFactory

    course = CourseFactory(course_id="course-v1:Org+U+1")
    enrolled = _enrolled(customer, "ulla", course.course_id)
    stranger = _enrolled(other_customer, "olga", course.course_id)
    pending = PendingLearnerFactory(customer=customer, user_email="paul@example.com")
    PendingEnrollmentFactory(pending_learner=pending, course_id=course.course_id)
    LearnerFactory(customer=customer, user=UserFactory(username="nora", email="nora@example.com"))
    payload = {
        "emails": ["ulla@example.com", "paul@example.com", "nora@example.com", "olga@example.com", "nobody@x.org"],
        "course_id": course.course_id,
    }

    body = api_admin.post(url(customer, "unenroll/"), {**payload, "dry_run": True}, format="json").json()

    assert (body["dry_run"], body["applied"]) == (True, False)
    assert [(row["row"], row["status"], row["enrollment"]) for row in body["rows"]] == [
        (1, "already_linked", "unenrolled"),
        (2, "already_pending", "pending_enrollment_removed"),
        (3, "already_linked", "not_enrolled"),
        (4, "not_a_learner", ""),  # another customer's learner is never touched
        (5, "not_a_learner", ""),
    ]
    enrolled.refresh_from_db()
    assert enrolled.unenrolled_at is None and pending.pending_enrollments.exists()

    body = api_admin.post(url(customer, "unenroll/"), payload, format="json").json()

    assert body["applied"] and body["enrollment_counts"] == {
        "unenrolled": 1,
        "not_enrolled": 1,
        "pending_enrollment_removed": 1,
    }
    enrolled.refresh_from_db()
    stranger.refresh_from_db()
    assert enrolled.unenrolled_at is not None and stranger.unenrolled_at is None
    assert not pending.pending_enrollments.exists()
    lms = {row.user_id: row.is_active for row in LmsEnrollment.objects.all()}
    assert lms == {enrolled.learner.user_id: False, stranger.learner.user_id: True}

    body = api_admin.post(url(customer, "unenroll/"), payload, format="json").json()
    assert body["rows"][0]["enrollment"] == "already_unenrolled"


def test_bulk_unenroll_needs_one_target_and_refuses_invalid_rows(api_admin, customer):
    response = api_admin.post(url(customer, "unenroll/"), {"emails": ["a@example.com"]}, format="json")
    assert errors_of(response)[0]["field"] == "course_id"
    both = {"emails": ["a@example.com"], "course_id": "c", "program_id": "p"}
    assert errors_of(api_admin.post(url(customer, "unenroll/"), both, format="json"))[0]["field"] == "course_id"
    bad = {"emails": ["a@example.com", "not-an-address"], "course_id": "c"}
    errors = errors_of(api_admin.post(url(customer, "unenroll/"), bad, format="json"))
    assert [(e["code"], e["row"]) for e in errors] == [("invalid_email", 2)]
    unknown_program = {"emails": ["a@example.com"], "program_id": "no-such-program"}
    assert errors_of(api_admin.post(url(customer, "unenroll/"), unknown_program, format="json"))[0]["code"] == (
        "program_not_found"
    )


def test_bulk_unenroll_csv_upload(api_admin, customer):
    course = CourseFactory(course_id="course-v1:Org+U+2")
    enrollment = _enrolled(customer, "carl", course.course_id)
    upload = SimpleUploadedFile("learners.csv", b"email\ncarl@example.com\n", content_type="text/csv")
    response = api_admin.post(url(customer, "unenroll/"), {"file": upload, "course_id": course.course_id})
    assert response.status_code == 200, response.json()
    assert [(row["row"], row["enrollment"]) for row in response.json()["rows"]] == [(2, "unenrolled")]
    enrollment.refresh_from_db()
    assert not enrollment.enrolled


def test_bulk_unenroll_query_count_does_not_grow_with_rows(api_admin, customer, django_assert_max_num_queries):
    course = CourseFactory(course_id="course-v1:Org+U+3")
    for n in (3, 30):
        emails = []
        for i in range(n):
            _enrolled(customer, f"q{n}x{i}", course.course_id)
            emails.append(f"q{n}x{i}@example.com")
        with django_assert_max_num_queries(20):
            body = api_admin.post(url(customer, "unenroll/"), {"emails": emails, "course_id": course.course_id}).json()
        assert body["enrollment_counts"] == {"unenrolled": n}


def test_enrollments_list_shows_the_unenrolled_state(api_admin, customer):
    enrollment = _enrolled(customer, "dora", CourseFactory(course_id="course-v1:Org+U+4").course_id)
    api_admin.post(url(customer, "unenroll/"), {"emails": ["dora@example.com"], "course_id": enrollment.course_id})
    row = api_admin.get(f"/enterprise/api/v1/enrollments/{enrollment.pk}/").json()
    assert row["unenrolled_at"] is not None
