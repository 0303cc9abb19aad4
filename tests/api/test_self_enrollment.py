"""Who started an enrollment (decision 0401): the self-enrollment API, every other path, the DB constraint."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from enterprise.models import EnterpriseCourseEnrollment, PendingEnrollment
from enterprise.models.enrollment import EnrollmentSource, StartedBy
from enterprise.services.manage_learners import link_learner, link_learners_from_csv
from tests.api.conftest import client_for
from tests.factories import (
    CourseFactory,
    CustomerFactory,
    EnrollmentFactory,
    LearnerFactory,
    PendingLearnerFactory,
    UserFactory,
)

BASE = "/enterprise/api/v1"


@pytest.fixture
def course(db):
    return CourseFactory(course_id="course-v1:Org+SE+2027", modes=["audit", "verified"])


def url(customer) -> str:
    return f"{BASE}/customers/{customer.uuid}/self-enrollments/"


def test_a_learner_enrolls_themselves_and_it_is_recorded_as_self_started(api_learner, customer, learner, course):
    response = api_learner.post(url(customer), {"course_id": course.course_id, "mode": "verified"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json() == {"course_id": course.course_id, "mode": "verified", "status": "enrolled", "message": ""}
    enrollment = EnterpriseCourseEnrollment.objects.get(learner=learner)
    assert (enrollment.started_by, enrollment.source, enrollment.mode) == ("learner", "api", "verified")
    again = api_learner.post(url(customer), {"course_id": course.course_id, "mode": "verified"}, format="json")
    assert again.status_code == 200 and again.json()["status"] == "already_enrolled"
    listed = api_learner.get(f"{BASE}/enrollments/").json()["results"]
    assert [row["started_by"] for row in listed] == ["learner"]


def test_only_a_linked_learner_of_the_customer_and_a_known_course(
    api_learner, api_admin, customer, other_customer, course
):
    assert api_learner.post(url(other_customer), {"course_id": course.course_id}, format="json").status_code == 404
    assert client_for(UserFactory()).post(url(customer), {"course_id": course.course_id}).status_code == 404
    assert api_admin.post(url(customer), {"course_id": course.course_id}, format="json").status_code == 403
    assert client_for().post(url(customer), {"course_id": course.course_id}).status_code in (401, 403)
    unknown = api_learner.post(url(customer), {"course_id": "course-v1:No+Such+Course"}, format="json")
    assert unknown.status_code == 400 and "course-v1:No+Such+Course" in unknown.content.decode()
    bad_mode = api_learner.post(url(customer), {"course_id": course.course_id, "mode": "gold"}, format="json")
    assert bad_mode.status_code == 400 and "gold" in bad_mode.content.decode()
    assert not EnterpriseCourseEnrollment.objects.exists()


def test_every_other_path_records_who_started_the_enrollment(customer, course):
    ann = UserFactory(email="ann@example.com")
    link_learners_from_csv(
        customer=customer,
        file=io.BytesIO(b"ann@example.com\nnew@example.com\n"),
        course_id=course.course_id,
        mode="audit",
    )
    assert EnterpriseCourseEnrollment.objects.get(learner__user=ann).started_by == StartedBy.ADMIN
    assert PendingEnrollment.objects.get().started_by == StartedBy.ADMIN
    bob = UserFactory(email="bob@example.com")
    link_learner(customer=customer, identifier=bob.email, course_id=course.course_id, mode="audit", source="api")
    assert EnterpriseCourseEnrollment.objects.get(learner__user=bob).started_by == StartedBy.API
    carl = UserFactory(email="carl@example.com")
    link_learner(customer=customer, identifier=carl.email, course_id=course.course_id, mode="audit", source="import")
    assert EnterpriseCourseEnrollment.objects.get(learner__user=carl).started_by == StartedBy.CONNECTOR
    # a pending learner bought the course (a purchase is a self-enrollment): kept when they register
    link_learners_from_csv(
        customer=customer,
        file=io.BytesIO(b"buyer@example.com\n"),
        course_id=course.course_id,
        mode="audit",
        source=EnrollmentSource.IMPORT,
        started_by=StartedBy.LEARNER,
    )
    buyer = get_user_model().objects.create_user("buyer", email="buyer@example.com")
    assert EnterpriseCourseEnrollment.objects.get(learner__user=buyer).started_by == StartedBy.LEARNER


def test_enrolling_again_after_an_unenrollment_takes_the_new_starter(customer, course, learner):
    from django.utils import timezone

    EnrollmentFactory(learner=learner, course_id=course.course_id, unenrolled_at=timezone.now())
    link_learner(
        customer=customer,
        identifier=learner.user.email,
        course_id=course.course_id,
        mode="audit",
        started_by=StartedBy.LEARNER,
    )
    enrollment = EnterpriseCourseEnrollment.objects.get()
    assert (enrollment.unenrolled_at, enrollment.started_by) == (None, StartedBy.LEARNER)


def test_the_database_refuses_an_unknown_starter(learner, course):
    with pytest.raises(IntegrityError), transaction.atomic():
        EnterpriseCourseEnrollment.objects.create(learner=learner, course_id=course.course_id, started_by="robot")
    pending = PendingLearnerFactory(customer=CustomerFactory())
    with pytest.raises(IntegrityError), transaction.atomic():
        PendingEnrollment.objects.create(pending_learner=pending, course_id="c", mode="audit", started_by="robot")


def test_the_migration_derives_the_starter_of_existing_rows_from_their_source(customer, course):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("enterprise.migrations.0013_enrollment_started_by")
    rows = {
        source: EnrollmentFactory(
            learner=LearnerFactory(customer=customer), course_id=course.course_id, source=source, started_by="admin"
        )
        for source in ("manual", "api", "import", "pending")
    }
    migration.started_by_from_source(apps, None)
    assert {source: EnterpriseCourseEnrollment.objects.get(pk=row.pk).started_by for source, row in rows.items()} == {
        "manual": "admin",
        "api": "api",
        "import": "connector",
        "pending": "admin",
    }
