"""Every endpoint: anonymous → 401, a user of another customer → 404/403, never data."""

import pytest

from enterprise.models import EnterpriseCourseEnrollment
from tests.api.conftest import errors_of
from tests.factories import CourseFactory, EnrollmentFactory, PendingLearnerFactory

BASE = "/enterprise/api/v1"

CUSTOMER_SCOPED = [
    ("get", "customers/{c}/"),
    ("patch", "customers/{c}/"),
    ("put", "customers/{c}/"),
    ("get", "customers/{c}/learners/"),
    ("post", "customers/{c}/learners/link/"),
    ("post", "customers/{c}/learners/unlink/"),
    ("post", "customers/{c}/learners/enroll/"),
    ("post", "customers/{c}/learners/unenroll/"),
    ("post", "customers/{c}/learners/sap-user-ids/"),
]
EVERY = [
    *CUSTOMER_SCOPED,
    ("get", "customers/"),
    ("get", "enrollments/"),
    ("get", "enrollments/{e}/"),
    ("get", "catalog/courses/"),
    ("get", "catalog/courses/{course}/"),
    ("get", "catalog/programs/"),
    ("post", "completions/certificates/"),
    ("post", "completions/grades/"),
]


@pytest.fixture
def objects(customer, learner):
    PendingLearnerFactory(customer=customer, user_email="bob@example.com")
    enrollment = EnrollmentFactory(learner=learner)
    course = CourseFactory(course_id="course-v1:Org+A+1")
    return {
        "c": customer.uuid,
        "e": enrollment.pk,
        "course": course.course_id,
        "enrollment_course": enrollment.course_id,
    }


def _url(template, objects):
    return f"{BASE}/" + template.format(**objects)


@pytest.mark.parametrize(("method", "template"), EVERY)
def test_anonymous_gets_401(api_anon, objects, method, template):
    payload = {"emails": ["x@example.com"], "course_id": objects["course"], "mode": "audit"}
    response = getattr(api_anon, method)(_url(template, objects), payload, format="json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert errors_of(response)[0]["code"] == "not_authenticated"


@pytest.mark.parametrize(("method", "template"), CUSTOMER_SCOPED)
def test_other_customers_admin_gets_404_and_changes_nothing(api_other, objects, customer, method, template):
    payload = {
        "emails": ["alice@example.com"],
        "name": "Hacked",
        "slug": "hacked",
        "dry_run": False,
        "course_id": objects["enrollment_course"],
    }
    response = getattr(api_other, method)(_url(template, objects), payload, format="json")
    assert response.status_code == 404
    assert errors_of(response)[0]["code"] == "not_found"
    customer.refresh_from_db()
    assert customer.name == "Acme"
    assert customer.learners.filter(linked=True).count() == 1
    assert not EnterpriseCourseEnrollment.objects.unenrolled().exists()
    assert "alice" not in response.content.decode()


@pytest.mark.parametrize(("method", "template"), CUSTOMER_SCOPED)
def test_learner_gets_404_on_customer_resources(api_learner, objects, method, template):
    response = getattr(api_learner, method)(_url(template, objects), {"emails": ["z@example.com"]}, format="json")
    assert response.status_code == 404


def test_other_admin_lists_see_nothing_of_the_customer(api_other, objects):
    assert api_other.get(f"{BASE}/customers/").json()["results"][0]["name"] == "Globex"
    assert len(api_other.get(f"{BASE}/customers/").json()["results"]) == 1
    assert api_other.get(f"{BASE}/enrollments/").json()["results"] == []
    assert api_other.get(f"{BASE}/enrollments/{objects['e']}/").status_code == 404


@pytest.mark.parametrize("template", ["completions/certificates/", "completions/grades/"])
def test_completions_are_staff_only(api_admin, api_learner, objects, template):
    for client in (api_admin, api_learner):
        response = client.post(f"{BASE}/{template}", {}, format="json")
        assert response.status_code == 403
        assert errors_of(response)[0]["code"] == "permission_denied"


def test_catalog_is_read_only(api_admin, objects):
    assert api_admin.post(f"{BASE}/catalog/courses/", {}, format="json").status_code == 405


def test_session_authentication_works(client, customer_admin, customer):
    client.force_login(customer_admin)
    response = client.get(f"{BASE}/customers/{customer.uuid}/")
    assert response.status_code == 200
    assert response.json()["slug"] == "acme"
