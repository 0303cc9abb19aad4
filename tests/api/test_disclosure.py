"""A customer's administrator learns nothing of another customer from the bulk endpoints (decision 0050):
a conflict says "belongs to another customer", without the customer's name or the user's id; an
address several users share does not name them. Staff keep the detail."""

import pytest

from enterprise.models import EnterpriseCourseEnrollment
from tests.factories import CourseFactory, LearnerFactory, PendingLearnerFactory, UserFactory

pytestmark = pytest.mark.django_db


def url(customer, tail):
    return f"/enterprise/api/v1/customers/{customer.uuid}/learners/{tail}"


@pytest.fixture
def globex_people(other_customer):
    """A learner and a pending learner of Globex, and an address two users share."""
    learner = LearnerFactory(
        customer=other_customer, user=UserFactory(username="globex-learner", email="gl@example.com")
    )
    PendingLearnerFactory(customer=other_customer, user_email="gp@example.com")
    UserFactory(username="twin-one", email="twin@example.com")
    UserFactory(username="twin-two", email="TWIN@example.com")
    return learner


EMAILS = ["gl@example.com", "gp@example.com", "twin@example.com"]


def _rows(body):
    return {row["email"]: row for row in body["rows"]}


@pytest.mark.parametrize("dry_run", [True, False])
@pytest.mark.parametrize(
    ("tail", "extra"), [("link/", {}), ("enroll/", {"course_id": "course-v1:A+B+1", "mode": "audit"})]
)
def test_a_customer_admin_is_told_belongs_to_another_customer_and_nothing_more(
    api_admin, customer, globex_people, tail, extra, dry_run
):
    CourseFactory(course_id="course-v1:A+B+1")
    response = api_admin.post(url(customer, tail), {"emails": EMAILS, "dry_run": dry_run, **extra}, format="json")

    assert response.status_code == 200, response.json()
    text = response.content.decode()
    rows = _rows(response.json())
    for email in ("gl@example.com", "gp@example.com"):
        assert (rows[email]["status"], rows[email]["message"], rows[email]["user_id"]) == (
            "conflict",
            "Belongs to another customer.",
            None,
        )
    assert rows["twin@example.com"]["status"] == "ambiguous"
    assert rows["twin@example.com"]["user_id"] is None
    for secret in ("Globex", "globex", "twin-one", "twin-two", f'"user_id":{globex_people.user_id}'):
        assert secret not in text.replace(" ", "")
    assert not customer.learners.exists() and not customer.pending_learners.exists()
    assert not EnterpriseCourseEnrollment.objects.exists()


def test_staff_keep_the_detail(api_staff, customer, globex_people):
    body = api_staff.post(url(customer, "link/"), {"emails": EMAILS, "dry_run": True}, format="json").json()

    rows = _rows(body)
    assert rows["gl@example.com"]["message"] == "Already linked to enterprise customer 'Globex'."
    assert rows["gl@example.com"]["user_id"] == globex_people.user_id
    assert rows["gp@example.com"]["message"] == "Already pending for enterprise customer 'Globex'."
    assert "twin-one" in rows["twin@example.com"]["message"]


def test_unlink_and_unenroll_say_not_a_learner_for_another_customers_learner(api_admin, customer, globex_people):
    for tail, extra in (("unlink/", {}), ("unenroll/", {"course_id": "course-v1:A+B+1"})):
        body = api_admin.post(
            url(customer, tail),
            {"emails": ["gl@example.com", "gp@example.com"], "dry_run": True, **extra},
            format="json",
        ).json()
        assert {(row["status"], row["message"], row["user_id"]) for row in body["rows"]} == {
            ("not_a_learner", "Not a learner of this customer.", None)
        }, tail
