"""A user who appears with a pending e-mail becomes a linked learner, with their enrollments."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from enterprise.lms.local.models import LmsEnrollment
from enterprise.models import EnterpriseCourseEnrollment, EnterpriseCustomerUser, PendingEnterpriseCustomerUser
from enterprise.services.pending import ConversionStatus, convert_pending_learner
from tests.factories import (
    CourseFactory,
    LearnerFactory,
    PendingEnrollmentFactory,
    PendingLearnerFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
User = get_user_model()


def test_registration_with_pending_email_links_the_user():
    pending = PendingLearnerFactory(user_email="ann@example.com")
    user = User.objects.create_user("ann", email="  ANN@Example.com ")
    learner = EnterpriseCustomerUser.objects.get(user=user)
    assert learner.customer_id == pending.customer_id and learner.linked
    assert not PendingEnterpriseCustomerUser.objects.exists()


def test_pending_enrollments_are_materialised_through_the_enrollment_backend():
    course = CourseFactory(modes=["audit", "verified"])
    pending = PendingLearnerFactory(user_email="ann@example.com")
    PendingEnrollmentFactory(pending_learner=pending, course_id=course.course_id, mode="verified", source="api")
    user = User.objects.create_user("ann", email="ann@example.com")
    lms = LmsEnrollment.objects.get(user=user, course=course)
    assert (lms.mode, lms.is_active) == ("verified", True)
    enrollment = EnterpriseCourseEnrollment.objects.get(learner__user=user)
    assert (enrollment.course_id, enrollment.mode, enrollment.source) == (course.course_id, "verified", "api")


def test_changing_email_to_a_pending_address_links_the_user():
    pending = PendingLearnerFactory(user_email="new@example.com")
    user = UserFactory(email="old@example.com")
    assert not EnterpriseCustomerUser.objects.filter(user=user).exists()
    user.email = "New@Example.com"
    user.save(update_fields=["email"])
    assert EnterpriseCustomerUser.objects.get(user=user).customer_id == pending.customer_id


def test_saves_that_do_not_touch_email_do_not_query_pending_learners(django_assert_num_queries):
    user = UserFactory()
    with django_assert_num_queries(1):  # the UPDATE of last_login only
        user.save(update_fields=["last_login"])


def test_user_linked_elsewhere_keeps_the_pending_row():
    learner = LearnerFactory()
    PendingLearnerFactory(user_email="ann@example.com")
    learner.user.email = "ann@example.com"
    learner.user.save()
    assert PendingEnterpriseCustomerUser.objects.filter(user_email="ann@example.com").exists()
    assert EnterpriseCustomerUser.objects.get(user=learner.user, linked=True) == learner
    result = convert_pending_learner(user=learner.user)
    assert result.status == ConversionStatus.CONFLICT and "already linked" in result.error


def test_backend_failure_rolls_back_everything_and_keeps_the_pending_learner(settings):
    settings.ENTERPRISE = {"ENROLLMENT_BACKEND": "tests.enterprise.test_pending_conversion.BrokenEnrollments"}
    pending = PendingLearnerFactory(user_email="ann@example.com")
    PendingEnrollmentFactory(pending_learner=pending)
    user = User.objects.create_user("ann", email="ann@example.com")
    assert User.objects.filter(pk=user.pk).exists()  # registration itself succeeds
    assert not EnterpriseCustomerUser.objects.filter(user=user).exists()
    assert PendingEnterpriseCustomerUser.objects.filter(pk=pending.pk).exists()
    assert pending.pending_enrollments.count() == 1


def test_refused_enrollments_are_reported_and_the_rest_applied():
    course = CourseFactory(modes=["audit"])
    pending = PendingLearnerFactory(user_email="ann@example.com")
    PendingEnrollmentFactory(pending_learner=pending, course_id=course.course_id, mode="audit")
    PendingEnrollmentFactory(pending_learner=pending, course_id="course-v1:Gone+X+1", mode="audit")
    user = UserFactory(username="ann", email="other@example.com")
    user.email = "ann@example.com"
    User.objects.filter(pk=user.pk).update(email=user.email)  # no signal: convert explicitly
    result = convert_pending_learner(user=user)
    assert result.status == ConversionStatus.LINKED
    assert result.enrolled == [course.course_id]
    assert list(result.failed) == ["course-v1:Gone+X+1"]
    assert list(EnterpriseCourseEnrollment.objects.values_list("course_id", flat=True)) == [course.course_id]


def _queries_to_register_with_pending_enrollments(count: int, username: str) -> int:
    pending = PendingLearnerFactory(user_email=f"{username}@example.com")
    for index in range(count):
        course = CourseFactory(course_id=f"course-v1:{username}+C{index}+2027", modes=["audit"])
        PendingEnrollmentFactory(pending_learner=pending, course_id=course.course_id, mode="audit")
    with CaptureQueriesContext(connection) as queries:
        User.objects.create_user(username, email=f"{username}@example.com")
    assert EnterpriseCourseEnrollment.objects.filter(learner__user__username=username).count() == count
    assert LmsEnrollment.objects.filter(user__username=username).count() == count
    return len(queries)


def test_conversion_query_count_does_not_grow_with_pending_enrollments(django_assert_max_num_queries):
    few = _queries_to_register_with_pending_enrollments(3, "few")
    # 75, not more: SQLite takes 999 parameters per statement, so bulk_create splits its INSERT of the
    # enrollments' 13 columns (who started it and the purchase included) beyond 76 rows (a statement per
    # 76 rows, not per row)
    many = _queries_to_register_with_pending_enrollments(75, "many")
    assert few == many
    assert many <= 25  # user insert + conversion, savepoints included


class BrokenEnrollments:
    def __init__(self, **kwargs):
        pass

    def enroll_many(self, requests):
        from enterprise.exceptions import LMSUnavailable

        list(requests)
        raise LMSUnavailable("LMS down")


def test_a_pending_enrollment_revives_an_unenrolled_enrollment_of_the_same_learner():
    from django.utils import timezone

    course = CourseFactory(modes=["audit", "verified"])
    user = UserFactory(email="old@example.com")
    learner = LearnerFactory(user=user, linked=False, unlinked_at=timezone.now())
    old = EnterpriseCourseEnrollment.objects.create(
        learner=learner, course_id=course.course_id, mode="audit", unenrolled_at=timezone.now()
    )
    pending = PendingLearnerFactory(customer=learner.customer, user_email="new@example.com")
    PendingEnrollmentFactory(pending_learner=pending, course_id=course.course_id, mode="verified")

    user.email = "new@example.com"
    user.save(update_fields=["email"])

    old.refresh_from_db()
    assert (old.unenrolled_at, old.mode) == (None, "verified")
    assert EnterpriseCourseEnrollment.objects.filter(learner=learner).count() == 1
