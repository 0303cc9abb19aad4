"""Enrolling the learners of a submission into a course or a program, and linking one learner."""

import io
from unittest import mock

import pytest
from django.contrib.auth import get_user_model

from enterprise.exceptions import (
    CourseNotFound,
    EnrollmentTargetError,
    InvalidCourseMode,
    ProgramNotFound,
    UserNotFound,
)
from enterprise.lms.local.backends import LocalEnrollments
from enterprise.lms.local.models import LmsEnrollment
from enterprise.models import EnterpriseCourseEnrollment, EnterpriseCustomerUser, PendingEnrollment
from enterprise.services.bulk_link import RowStatus
from enterprise.services.enrollment import EnrollmentStatus, resolve_target
from enterprise.services.manage_learners import link_learner, link_learners_from_csv
from tests.factories import (
    CourseFactory,
    CustomerFactory,
    EnrollmentFactory,
    LearnerFactory,
    ProgramFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
User = get_user_model()


def csv_file(*lines):
    return io.BytesIO(("\n".join(lines) + "\n").encode())


# -- the course or program, validated before anything is written -------------------------------


def test_no_target_when_nothing_is_asked():
    assert resolve_target() is None


def test_course_and_program_exclude_each_other():
    with pytest.raises(EnrollmentTargetError, match="not both"):
        resolve_target(course_id="course-v1:X+Y+Z", program_id="abc", mode="audit")


def test_a_mode_needs_a_course_or_program():
    with pytest.raises(EnrollmentTargetError, match="needs a Course ID or a Program ID"):
        resolve_target(mode="audit")


def test_course_target_with_its_mode():
    course = CourseFactory(course_id="course-v1:Org+CS101+2027", title="CS 101", modes=["audit", "verified"])
    target = resolve_target(course_id=" course-v1:Org+CS101+2027 ", mode="verified")
    assert (target.kind, target.target_id, target.title, target.mode, target.course_ids) == (
        "course",
        course.course_id,
        "CS 101",
        "verified",
        (course.course_id,),
    )


def test_unknown_course_and_program():
    with pytest.raises(CourseNotFound):
        resolve_target(course_id="course-v1:No+Such+Course", mode="audit")
    with pytest.raises(ProgramNotFound):
        resolve_target(program_id="not-a-uuid", mode="audit")


def test_unavailable_course_mode_lists_the_available_ones():
    CourseFactory(course_id="course-v1:Org+CS101+2027", modes=["audit", "verified"])
    with pytest.raises(
        InvalidCourseMode, match=r"'honor' is not available for course .*Available modes: audit, verified"
    ):
        resolve_target(course_id="course-v1:Org+CS101+2027", mode="honor")
    with pytest.raises(
        EnrollmentTargetError, match=r"Choose a Course Enrollment Mode\. Available modes: audit, verified"
    ):
        resolve_target(course_id="course-v1:Org+CS101+2027")


def test_program_modes_are_those_all_its_courses_offer():
    first = CourseFactory(modes=["audit", "verified", "honor"])
    second = CourseFactory(modes=["audit", "verified"])
    program = ProgramFactory(courses=[first, second])
    target = resolve_target(program_id=str(program.program_id), mode="verified")
    assert target.kind == "program" and target.course_ids == (first.course_id, second.course_id)
    assert target.program_id == str(program.program_id)
    with pytest.raises(InvalidCourseMode, match=r"'honor' is not available for program .*: audit, verified\."):
        resolve_target(program_id=str(program.program_id), mode="honor")


def test_program_without_courses_is_refused():
    program = ProgramFactory()
    with pytest.raises(EnrollmentTargetError, match="has no courses"):
        resolve_target(program_id=str(program.program_id), mode="audit")


# -- enrolling linked and pending learners --------------------------------------------------------


def test_linked_learners_are_enrolled_through_the_backend_pending_ones_get_pending_enrollments():
    course = CourseFactory(modes=["audit", "verified"])
    customer = CustomerFactory()
    ann = UserFactory(email="ann@example.com")
    result = link_learners_from_csv(
        customer=customer,
        file=csv_file("ann@example.com", "new@example.com"),
        course_id=course.course_id,
        mode="verified",
    )
    assert [row.enrollment for row in result.rows] == [EnrollmentStatus.ENROLLED, EnrollmentStatus.PENDING]
    assert LmsEnrollment.objects.get(user=ann, course=course).mode == "verified"
    enrollment = EnterpriseCourseEnrollment.objects.get(learner__user=ann)
    assert (enrollment.course_id, enrollment.mode, enrollment.source) == (course.course_id, "verified", "manual")
    pending = PendingEnrollment.objects.get(pending_learner__user_email="new@example.com")
    assert (pending.course_id, pending.mode) == (course.course_id, "verified")


def test_pending_enrollments_are_materialised_when_the_learner_registers():
    course = CourseFactory(modes=["audit"])
    customer = CustomerFactory()
    link_learners_from_csv(
        customer=customer, file=csv_file("new@example.com"), course_id=course.course_id, mode="audit"
    )
    user = User.objects.create_user("newbie", email="New@Example.com")
    assert EnterpriseCustomerUser.objects.get(user=user).customer == customer
    assert LmsEnrollment.objects.filter(user=user, course=course, mode="audit").exists()
    assert EnterpriseCourseEnrollment.objects.filter(learner__user=user, course_id=course.course_id).exists()


def test_program_enrollment_covers_every_course_and_records_the_program():
    first, second = CourseFactory(modes=["audit"]), CourseFactory(modes=["audit"])
    program = ProgramFactory(courses=[first, second])
    customer = CustomerFactory()
    ann = UserFactory(email="ann@example.com")
    link_learners_from_csv(
        customer=customer,
        file=csv_file("ann@example.com", "new@example.com"),
        program_id=str(program.program_id),
        mode="audit",
    )
    assert set(LmsEnrollment.objects.filter(user=ann).values_list("course__course_id", flat=True)) == {
        first.course_id,
        second.course_id,
    }
    assert set(EnterpriseCourseEnrollment.objects.values_list("program_id", flat=True)) == {str(program.program_id)}
    assert PendingEnrollment.objects.filter(program_id=str(program.program_id)).count() == 2


def test_enrolling_again_changes_nothing_and_a_new_mode_updates_the_mode():
    course = CourseFactory(modes=["audit", "verified"])
    learner = LearnerFactory(user__email="ann@example.com")
    EnrollmentFactory(learner=learner, course_id=course.course_id, mode="audit")
    LmsEnrollment.objects.create(user=learner.user, course=course, mode="audit")
    same = link_learner(
        customer=learner.customer, identifier="ann@example.com", course_id=course.course_id, mode="audit"
    )
    assert same.rows[0].enrollment == EnrollmentStatus.ALREADY_ENROLLED
    changed = link_learner(
        customer=learner.customer, identifier="ann@example.com", course_id=course.course_id, mode="verified"
    )
    assert changed.rows[0].enrollment == EnrollmentStatus.ENROLLED
    assert "Mode changed to verified" in changed.rows[0].enrollment_message
    assert EnterpriseCourseEnrollment.objects.get().mode == "verified"
    assert LmsEnrollment.objects.get().mode == "verified"


def test_a_dry_run_never_calls_the_enrollment_backend():
    course = CourseFactory(modes=["audit"])
    UserFactory(email="ann@example.com")
    with mock.patch.object(LocalEnrollments, "enroll_many") as enroll_many:
        result = link_learners_from_csv(
            customer=CustomerFactory(),
            file=csv_file("ann@example.com"),
            course_id=course.course_id,
            mode="audit",
            dry_run=True,
        )
    enroll_many.assert_not_called()
    assert result.rows[0].enrollment == EnrollmentStatus.ENROLLED
    assert result.rows[0].enrollment.label(dry_run=True) == "will enroll"
    assert not LmsEnrollment.objects.exists() and not EnterpriseCourseEnrollment.objects.exists()


def test_backend_refusals_are_reported_per_row():
    course = CourseFactory(modes=["audit"])
    ann = UserFactory(email="ann@example.com")
    refusal = InvalidCourseMode("audit", [], course_id=course.course_id)

    def refuse(self, requests):
        from enterprise.lms.interfaces import EnrollResult

        return EnrollResult(failed={(r.user_id, r.course_id): refusal for r in requests})

    with mock.patch.object(LocalEnrollments, "enroll_many", refuse):
        result = link_learners_from_csv(
            customer=CustomerFactory(), file=csv_file("ann@example.com"), course_id=course.course_id, mode="audit"
        )
    row = result.rows[0]
    assert row.status == RowStatus.LINKED and row.enrollment == EnrollmentStatus.FAILED
    assert course.course_id in row.enrollment_message
    assert EnterpriseCustomerUser.objects.filter(user=ann).exists()
    assert not EnterpriseCourseEnrollment.objects.exists()


def test_conflicting_rows_are_not_enrolled():
    course = CourseFactory(modes=["audit"])
    LearnerFactory(user__email="ann@example.com")  # another customer's learner
    result = link_learners_from_csv(
        customer=CustomerFactory(), file=csv_file("ann@example.com"), course_id=course.course_id, mode="audit"
    )
    assert result.rows[0].status == RowStatus.CONFLICT and result.rows[0].enrollment == ""
    assert not LmsEnrollment.objects.exists()


def test_enrollment_queries_grow_with_chunks_not_rows(settings, django_assert_max_num_queries):
    settings.ENTERPRISE = {"MANAGE_LEARNERS_CHUNK_SIZE": 50}
    course = CourseFactory(modes=["audit"])
    User.objects.bulk_create([User(username=f"u{i}", email=f"u{i}@example.com") for i in range(0, 200, 2)])
    lines = [f"u{i}@example.com" for i in range(200)]
    # Target: 2 catalog queries. Per chunk of 50: linking (7, its user look-up included), the backend's bulk
    # enrollment (6 with its savepoint), enterprise enrollments (2), pending enrollments (2) and one spare: 18,
    # whatever the chunk size.
    with django_assert_max_num_queries(4 + 18 * 4):
        result = link_learners_from_csv(
            customer=CustomerFactory(), file=csv_file(*lines), course_id=course.course_id, mode="audit"
        )
    assert result.enrollment_counts == {EnrollmentStatus.ENROLLED: 100, EnrollmentStatus.PENDING: 100}


# -- one learner ------------------------------------------------------------------------------------


def test_link_one_learner_by_username():
    customer = CustomerFactory()
    user = UserFactory(username="ann", email="ann@example.com")
    result = link_learner(customer=customer, identifier=" ann ")
    assert result.rows[0].status == RowStatus.LINKED
    assert EnterpriseCustomerUser.objects.get(user=user).customer == customer
    again = link_learner(customer=customer, identifier="ann")
    assert again.rows[0].status == RowStatus.ALREADY_LINKED


def test_an_unknown_username_fails_clearly():
    with pytest.raises(UserNotFound, match="No user with username 'ghost'"):
        link_learner(customer=CustomerFactory(), identifier="ghost")


def test_an_unknown_email_becomes_pending_and_a_bad_one_is_refused():
    customer = CustomerFactory()
    assert link_learner(customer=customer, identifier="New@Example.com ").rows[0].status == RowStatus.PENDING
    bad = link_learner(customer=customer, identifier="new@")
    assert bad.rows[0].status == RowStatus.INVALID and bad.refused


def test_a_learner_of_another_customer_is_refused_by_username_naming_it():
    learner = LearnerFactory(customer__name="Acme", user__username="ann")
    result = link_learner(customer=CustomerFactory(), identifier="ann")
    assert result.rows[0].status == RowStatus.CONFLICT
    assert result.rows[0].message == "ann is already linked to enterprise customer 'Acme'."
    assert EnterpriseCustomerUser.objects.get(user=learner.user).customer == learner.customer
