from urllib.parse import urlencode

import pytest

from enterprise.lms.local.models import Certificate, Grade
from tests.api.conftest import client_for, errors_of
from tests.factories import (
    CourseFactory,
    CustomerFactory,
    EnrollmentFactory,
    LearnerFactory,
    ProgramFactory,
    StaffFactory,
    UserFactory,
)

BASE = "/enterprise/api/v1"


@pytest.fixture
def enrollments(customer, other_customer, learner):
    mine = [EnrollmentFactory(learner=learner) for _ in range(2)]
    colleague = LearnerFactory(customer=customer)
    theirs = [EnrollmentFactory(learner=colleague) for _ in range(3)]
    foreign = [EnrollmentFactory(learner=LearnerFactory(customer=other_customer)) for _ in range(4)]
    return mine, theirs, foreign


def _ids(client, query=""):
    body = client.get(f"{BASE}/enrollments/{query}").json()
    return {row["id"] for row in body["results"]}


def test_enrollments_are_scoped_by_role(api_staff, api_admin, api_learner, enrollments):
    mine, theirs, foreign = enrollments
    assert _ids(api_staff) == {e.pk for e in mine + theirs + foreign}
    assert _ids(api_admin) == {e.pk for e in mine + theirs}
    assert _ids(api_learner) == {e.pk for e in mine}
    assert api_learner.get(f"{BASE}/enrollments/{theirs[0].pk}/").status_code == 404
    assert api_admin.get(f"{BASE}/enrollments/{foreign[0].pk}/").status_code == 404


def test_enrollment_filters(api_staff, enrollments, other_customer):
    _mine, _theirs, foreign = enrollments
    assert _ids(api_staff, f"?customer={other_customer.uuid}") == {e.pk for e in foreign}
    assert _ids(api_staff, "?" + urlencode({"course_id": foreign[0].course_id})) == {foreign[0].pk}
    response = api_staff.get(f"{BASE}/enrollments/?customer=nope")
    assert errors_of(response)[0]["field"] == "customer"


def test_enrollment_list_query_count(api_admin, customer, django_assert_max_num_queries):
    for _ in range(30):
        EnrollmentFactory(learner=LearnerFactory(customer=customer))
    with django_assert_max_num_queries(4):
        body = api_admin.get(f"{BASE}/enrollments/?page_size=25").json()
    assert len(body["results"]) == 25
    assert {row["customer"] for row in body["results"]} == {str(customer.uuid)}


def test_catalog_courses_and_programs(api_learner, django_assert_max_num_queries):
    courses = [CourseFactory(course_id=f"course-v1:Org+K{i}+1") for i in range(6)]
    ProgramFactory(title="Data", courses=courses[:3])
    ProgramFactory(title="Ops", courses=courses[3:])
    with django_assert_max_num_queries(5):  # + the provider tags, one query a page
        body = api_learner.get(f"{BASE}/catalog/courses/").json()
    assert [c["course_id"] for c in body["results"]] == [c.course_id for c in courses]
    assert {m["mode"] for m in body["results"][0]["modes"]} == {"audit", "verified"}
    detail = api_learner.get(f"{BASE}/catalog/courses/course-v1:Org+K1+1/").json()
    assert detail["title"] == courses[1].title
    with django_assert_max_num_queries(4):
        programs = api_learner.get(f"{BASE}/catalog/programs/").json()["results"]
    assert sorted(len(p["course_ids"]) for p in programs) == [3, 3]
    assert api_learner.get(f"{BASE}/catalog/courses/course-v1:No+1/").status_code == 404


def test_certificates_are_idempotent_on_user_and_course(db):
    staff = client_for(StaffFactory(username="svc"))
    user, course = UserFactory(), CourseFactory(course_id="course-v1:Org+Z+1")
    payload = {"user_id": user.pk, "course_id": course.course_id, "grade": "0.9", "issued_at": "2027-01-02T03:04:05Z"}
    first = staff.post(f"{BASE}/completions/certificates/", payload, format="json")
    assert first.status_code == 201 and first.json()["created"] is True
    second = staff.post(f"{BASE}/completions/certificates/", {**payload, "grade": "Pass"}, format="json")
    assert second.status_code == 200 and second.json()["created"] is False
    assert Certificate.objects.get().grade == "Pass"


def test_grades_are_idempotent_and_validated(db):
    staff = client_for(StaffFactory(username="svc"))
    user, course = UserFactory(), CourseFactory(course_id="course-v1:Org+Z+1")
    payload = {"user_id": user.pk, "course_id": course.course_id, "percent": "0.75"}
    assert staff.post(f"{BASE}/completions/grades/", payload, format="json").status_code == 201
    assert staff.post(f"{BASE}/completions/grades/", {**payload, "percent": "0.8"}, format="json").status_code == 200
    assert str(Grade.objects.get().percent) == "0.8000"
    bad = {"user_id": 999999, "course_id": "course-v1:No+1", "percent": "1.5"}
    response = staff.post(f"{BASE}/completions/grades/", bad, format="json")
    assert response.status_code == 400
    codes = {e["field"]: e["code"] for e in errors_of(response)}
    assert codes == {"user_id": "user_not_found", "course_id": "course_not_found", "percent": "max_value"}


def test_provider_courses_in_the_catalog_api(api_learner):
    import datetime

    from enterprise.lms.content import services as content

    customer = CustomerFactory()
    content.import_courses(
        provider="linkedin",
        customer_id=customer.pk,
        records=[
            content.CourseRecord(
                "urn:li:lyndaCourse:5",
                "Excel",
                language="en",
                library="Business",
                launch_url="https://www.linkedin.com/learning/excel",
                tags=("Office",),
            )
        ],
        custom_tags=["Acme only"],
        now=datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC),
    )
    CourseFactory(course_id="course-v1:Org+Own+1")
    body = api_learner.get(f"{BASE}/catalog/courses/").json()["results"]
    by_id = {row["course_id"]: row for row in body}
    provider = by_id["linkedin:urn:li:lyndaCourse:5"]
    assert provider["provider"] == {
        "provider": "linkedin",
        "provider_id": "urn:li:lyndaCourse:5",
        "language": "en",
        "library": "Business",
        "duration_seconds": None,
        "launch_url": "https://www.linkedin.com/learning/excel",
        "last_seen": "2026-12-01T00:00:00Z",
        "retired": False,
    }
    assert provider["tags"] == ["Office"]  # another customer's custom tag is not shown
    assert by_id["course-v1:Org+Own+1"]["provider"] is None and by_id["course-v1:Org+Own+1"]["tags"] == []
