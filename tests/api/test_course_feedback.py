"""Course feedback through the API: per customer, one per learner and course, rating 1 to 5."""

import pytest
from django.contrib.auth.models import Permission
from django.db import IntegrityError, transaction

from enterprise.exceptions import FeedbackNotSupported
from enterprise.lms.interfaces import CompletionBackend
from enterprise.lms.local.models import CourseFeedback
from enterprise.services.feedback import feedback_by_course
from tests.api.conftest import client_for, errors_of
from tests.factories import CourseFactory, EnrollmentFactory, LearnerFactory, StaffFactory, UserFactory

BASE = "/enterprise/api/v1"


@pytest.fixture
def course(db):
    return CourseFactory(course_id="course-v1:Org+FB+2027")


@pytest.fixture
def enrolled(learner, course):
    return EnrollmentFactory(learner=learner, course_id=course.course_id)


def url(customer) -> str:
    return f"{BASE}/customers/{customer.uuid}/course-feedback/"


def test_admin_records_then_replaces_feedback(api_admin, customer, learner, course, enrolled):
    payload = {"user_id": learner.user_id, "course_id": course.course_id, "rating": 4, "comment": " Clear. "}
    first = api_admin.post(url(customer), payload, format="json")
    assert first.status_code == 201, first.content
    assert first.json() == {
        "user_id": learner.user_id,
        "course_id": course.course_id,
        "rating": 4,
        "comment": "Clear.",
        "created": True,
    }
    again = api_admin.post(url(customer), {**payload, "rating": 2, "comment": ""}, format="json")
    assert again.status_code == 200 and again.json()["created"] is False
    row = CourseFeedback.objects.get()
    assert (row.rating, row.comment) == (2, "")
    listed = api_admin.get(url(customer)).json()["results"]
    assert [(r["user_id"], r["course_id"], r["rating"]) for r in listed] == [(learner.user_id, course.course_id, 2)]


@pytest.mark.parametrize("rating", [0, 6, "x", None])
def test_rating_outside_one_to_five_is_refused(api_admin, customer, learner, course, enrolled, rating):
    response = api_admin.post(
        url(customer), {"user_id": learner.user_id, "course_id": course.course_id, "rating": rating}, format="json"
    )
    assert response.status_code == 400
    assert [e["field"] for e in errors_of(response)] == ["rating"]
    assert not CourseFeedback.objects.exists()


def test_learner_not_enrolled_or_unenrolled_is_refused(api_admin, customer, learner, course, enrolled):
    payload = {"user_id": learner.user_id, "course_id": course.course_id, "rating": 5}
    enrolled.unenrolled_at = enrolled.created
    enrolled.save()
    response = api_admin.post(url(customer), payload, format="json")
    assert response.status_code == 400
    assert [e["code"] for e in errors_of(response)] == ["not_enrolled"]
    assert not CourseFeedback.objects.exists()


def test_another_customers_learner_and_url_stay_hidden(
    api_admin, api_other, customer, other_customer, learner, course, enrolled
):
    payload = {"user_id": learner.user_id, "course_id": course.course_id, "rating": 5}
    assert api_other.post(url(customer), payload, format="json").status_code == 404
    refused = api_other.post(url(other_customer), payload, format="json")
    assert refused.status_code == 400 and errors_of(refused)[0]["code"] == "not_enrolled"
    api_admin.post(url(customer), payload, format="json")
    assert api_other.get(url(other_customer)).json()["results"] == []
    assert api_other.get(url(customer)).status_code == 404


def test_staff_need_the_model_permissions(customer, learner, course, enrolled):
    payload = {"user_id": learner.user_id, "course_id": course.course_id, "rating": 3}
    staff = StaffFactory(username="no-perms", is_superuser=False)
    assert client_for(staff).post(url(customer), payload, format="json").status_code == 403
    staff.user_permissions.set(Permission.objects.filter(codename__in=["add_coursefeedback", "change_coursefeedback"]))
    assert client_for(staff).post(url(customer), payload, format="json").status_code == 201


def test_database_refuses_a_second_row_and_a_rating_out_of_range(learner, course):
    CourseFeedback.objects.create(user=learner.user, course=course, rating=5)
    with pytest.raises(IntegrityError), transaction.atomic():
        CourseFeedback.objects.create(user=learner.user, course=course, rating=4)
    with pytest.raises(IntegrityError), transaction.atomic():
        CourseFeedback.objects.create(user=UserFactory(), course=course, rating=6)


def test_summary_per_course_in_one_query(django_assert_num_queries, customer, course):
    keys = []
    for rating in (5, 4, 4):
        learner = LearnerFactory(customer=customer)
        CourseFeedback.objects.create(user=learner.user, course=course, rating=rating)
        keys.append((learner.user_id, course.course_id))
    keys.append((LearnerFactory(customer=customer).user_id, course.course_id))  # no feedback
    with django_assert_num_queries(1):
        summary = feedback_by_course(keys)
    assert summary[course.course_id].count == 3
    assert str(summary[course.course_id].average) == "4.33"


def test_a_host_lms_without_feedback_refuses_clearly():
    class NoFeedback(CompletionBackend):
        def get_certificates(self, keys):
            return {}

        def get_grades(self, keys):
            return {}

    with pytest.raises(FeedbackNotSupported):
        NoFeedback().record_feedback(user_id=1, course_id="c", rating=3)
    assert NoFeedback().get_feedback([(1, "c")]) == {}


def test_a_learner_records_and_lists_only_their_own(api_learner, customer, learner, course, enrolled):
    other = LearnerFactory(customer=customer)
    EnrollmentFactory(learner=other, course_id=course.course_id)
    CourseFeedback.objects.create(user=other.user, course=course, rating=1)
    mine = {"user_id": learner.user_id, "course_id": course.course_id, "rating": 5}
    assert api_learner.post(url(customer), mine, format="json").status_code == 201
    refused = api_learner.post(url(customer), {**mine, "user_id": other.user_id}, format="json")
    assert refused.status_code == 403
    assert [r["user_id"] for r in api_learner.get(url(customer)).json()["results"]] == [learner.user_id]
    assert CourseFeedback.objects.get(user=other.user).rating == 1


def test_a_learner_of_another_customer_gets_404(api_learner, other_customer, learner, course):
    payload = {"user_id": learner.user_id, "course_id": course.course_id, "rating": 5}
    assert api_learner.post(url(other_customer), payload, format="json").status_code == 404
