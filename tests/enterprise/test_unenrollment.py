"""Unenrolling learners: the service (set-based, LMS included, revived by enrolling again), the Manage
Learners page (a submission, a CSV previewed then confirmed, selected rows) and the enrollment admin."""

import pytest
from django.urls import reverse

from enterprise.exceptions import EnrollmentTargetError, LMSError, UnenrollmentFailed
from enterprise.lms import get_enrollment_backend
from enterprise.lms.interfaces import EnrollmentBackend, UnenrollResult
from enterprise.lms.local.models import LmsEnrollment
from enterprise.models import EnterpriseCourseEnrollment, PendingEnrollment
from enterprise.services.bulk_link import ChunkLinks, LinkedRef, RowResult
from enterprise.services.manage_learners import link_learner
from enterprise.services.unenrollment import (
    resolve_unenroll_target,
    unenroll_chunk,
    unenroll_enrollments,
    unenroll_learner,
    unenroll_users,
)
from tests.factories import (
    CourseFactory,
    CustomerFactory,
    LearnerFactory,
    PendingEnrollmentFactory,
    PendingLearnerFactory,
    ProgramFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def customer():
    return CustomerFactory(name="Acme Corp", slug="acme")


@pytest.fixture
def course():
    return CourseFactory(course_id="course-v1:Org+UN+2027", modes=["audit", "verified"])


def enrolled(customer, course, username, mode="audit"):
    learner = LearnerFactory(customer=customer, user=UserFactory(username=username, email=f"{username}@example.com"))
    get_enrollment_backend().enroll(user_ids=[learner.user_id], course_id=course.course_id, mode=mode)
    return EnterpriseCourseEnrollment.objects.create(learner=learner, course_id=course.course_id, mode=mode)


def lms_active(enrollment) -> bool:
    return LmsEnrollment.objects.get(user_id=enrollment.learner.user_id).is_active


# The service


def test_target_is_a_course_or_a_program(course):
    program = ProgramFactory(courses=[course])
    assert resolve_unenroll_target(course_id=f" {course.course_id} ").course_ids == (course.course_id,)
    assert resolve_unenroll_target(program_id=str(program.program_id)).course_ids == (course.course_id,)
    with pytest.raises(EnrollmentTargetError, match="not both"):
        resolve_unenroll_target(course_id="a", program_id="b")
    with pytest.raises(EnrollmentTargetError, match="Give the Course ID"):
        resolve_unenroll_target()


def test_unenroll_keeps_the_row_deactivates_the_lms_and_enrolling_again_revives_it(customer, course):
    enrollment = enrolled(customer, course, "ann")

    result = unenroll_learner(customer=customer, identifier="ann", course_id=course.course_id)

    assert result.applied and result.rows[0].enrollment == "unenrolled"
    enrollment.refresh_from_db()
    assert enrollment.unenrolled_at is not None and not enrollment.enrolled and not lms_active(enrollment)
    assert EnterpriseCourseEnrollment.objects.enrolled().count() == 0

    again = link_learner(customer=customer, identifier="ann", course_id=course.course_id, mode="verified")

    row = again.rows[0]
    assert (row.enrollment, row.enrollment_message) == ("enrolled", "Enrolled again (was unenrolled).")
    enrollment.refresh_from_db()
    assert enrollment.unenrolled_at is None and enrollment.mode == "verified" and lms_active(enrollment)
    assert EnterpriseCourseEnrollment.objects.count() == 1  # one row per (learner, course), revived


def test_a_dry_run_changes_nothing_and_calls_no_lms(customer, course):
    enrollment = enrolled(customer, course, "ann")
    result = unenroll_learner(customer=customer, identifier="ann@example.com", course_id=course.course_id, dry_run=True)
    assert result.previewing and result.rows[0].enrollment == "unenrolled"
    assert result.summary() == "1 will unenroll"
    enrollment.refresh_from_db()
    assert enrollment.enrolled and lms_active(enrollment)


def test_selected_users_of_another_customer_are_not_touched(customer, course):
    mine = enrolled(customer, course, "ann")
    theirs = enrolled(CustomerFactory(), course, "bob")
    result = unenroll_users(
        customer=customer, user_ids=[mine.learner.user_id, theirs.learner.user_id], course_id=course.course_id
    )
    assert [(row.status, row.enrollment) for row in result.rows] == [
        ("already_linked", "unenrolled"),
        ("not_a_learner", ""),
    ]
    theirs.refresh_from_db()
    assert theirs.enrolled and lms_active(theirs)


def test_pending_learners_lose_their_pending_enrollment(customer, course):
    pending = PendingLearnerFactory(customer=customer, user_email="new@example.com")
    PendingEnrollmentFactory(pending_learner=pending, course_id=course.course_id)
    result = unenroll_learner(customer=customer, identifier="new@example.com", course_id=course.course_id)
    assert result.rows[0].enrollment == "pending_enrollment_removed"
    assert not PendingEnrollment.objects.exists()


class RefusingBackend(EnrollmentBackend):
    """An LMS that refuses to unenroll one user."""

    def __init__(self, refused_user_id):
        super().__init__()
        self.refused = refused_user_id
        self.calls = []

    def enroll_many(self, requests):
        raise NotImplementedError

    def unenroll(self, *, user_ids, course_id):
        raise NotImplementedError

    def list_enrollments(self, *, user_id):
        return []

    def unenroll_many(self, pairs):
        pairs = set(pairs)
        self.calls.append(pairs)
        result = UnenrollResult()
        for pair in pairs:
            if pair[0] == self.refused:
                result.failed[pair] = LMSError("The LMS said no.")
            else:
                result.unenrolled.add(pair)
        return result


def test_a_pair_the_lms_refuses_stays_enrolled_and_says_why(customer, course):
    ann, bob = enrolled(customer, course, "ann"), enrolled(customer, course, "bob")
    rows = [RowResult(line=1, value="ann"), RowResult(line=2, value="bob")]
    links = ChunkLinks(
        linked=[
            LinkedRef(rows[0], ann.learner_id, ann.learner.user_id),
            LinkedRef(rows[1], bob.learner_id, bob.learner.user_id),
        ]
    )
    backend = RefusingBackend(bob.learner.user_id)

    unenroll_chunk(course_ids=[course.course_id], links=links, dry_run=False, backend=backend)

    assert len(backend.calls) == 1  # one call for the whole chunk
    assert [row.enrollment for row in rows] == ["unenrolled", "unenrollment_failed"]
    assert rows[1].enrollment_message == f"{course.course_id}: The LMS said no."
    ann.refresh_from_db()
    bob.refresh_from_db()
    assert not ann.enrolled and bob.enrolled


def test_unenrolling_many_is_set_based(customer, course, django_assert_max_num_queries):
    for n in (3, 40):
        users = [enrolled(customer, course, f"u{n}-{i}").learner.user_id for i in range(n)]
        with django_assert_max_num_queries(10):
            result = unenroll_users(customer=customer, user_ids=users, course_id=course.course_id)
        assert result.enrollment_counts == {"unenrolled": n}


def test_default_unenroll_many_reports_a_failed_course_per_pair():
    class OneCourseFails(RefusingBackend):
        def unenroll(self, *, user_ids, course_id):
            if course_id == "bad":
                raise LMSError("gone")
            return len(list(user_ids))

    result = EnrollmentBackend.unenroll_many(OneCourseFails(None), [(1, "bad"), (2, "bad"), (1, "good")])
    assert set(result.failed) == {(1, "bad"), (2, "bad")} and result.unenrolled == {(1, "good")}


def test_local_backend_reports_pairs_not_enrolled(customer, course):
    enrollment = enrolled(customer, course, "ann")
    result = get_enrollment_backend().unenroll_many(
        [(enrollment.learner.user_id, course.course_id), (999, course.course_id)]
    )
    assert result.unenrolled == {(enrollment.learner.user_id, course.course_id)}
    assert result.not_enrolled == {(999, course.course_id)}


# The enrollment admin: no deletion, an "Unenroll" action


def test_enrollment_admin_unenrolls_instead_of_deleting(staff_client, customer, course):
    enrollment = enrolled(customer, course, "ann")
    changelist = reverse("admin:enterprise_enterprisecourseenrollment_changelist")
    html = staff_client.get(changelist).content.decode()
    assert 'value="unenroll"' in html and 'value="delete_selected"' not in html
    delete = reverse("admin:enterprise_enterprisecourseenrollment_delete", args=[enrollment.pk])
    assert staff_client.post(delete, {"post": "yes"}).status_code == 403
    response = staff_client.post(changelist, {"action": "unenroll", "_selected_action": [enrollment.pk]}, follow=True)
    assert "Unenrolled 1 enrollment." in response.content.decode()
    enrollment.refresh_from_db()
    assert not enrollment.enrolled and not lms_active(enrollment)
    assert "Unenrolled" in staff_client.get(changelist + "?state=unenrolled").content.decode()


def test_unenroll_enrollments_raises_the_lms_refusal_after_applying_the_others(customer, course):
    ann, bob = enrolled(customer, course, "ann"), enrolled(customer, course, "bob")
    with pytest.raises(UnenrollmentFailed, match="1 enrollment"):
        unenroll_enrollments(enrollment_ids=[ann.pk, bob.pk], backend=RefusingBackend(bob.learner.user_id))
    ann.refresh_from_db()
    bob.refresh_from_db()
    assert not ann.enrolled and bob.enrolled


# The Manage Learners page


def page_url(customer):
    return reverse("admin:enterprise_enterprisecustomer_manage_learners", args=[customer.pk])


def test_page_offers_unenroll_for_a_submission_and_for_selected_rows(staff_client, customer, course):
    enrolled(customer, course, "ann")
    html = staff_client.get(page_url(customer)).content.decode()
    assert 'name="action" value="unenroll"' in html
    assert 'name="action" value="unenroll_selected"' in html


def test_unenroll_one_learner_from_the_page(staff_client, customer, course):
    enrollment = enrolled(customer, course, "ann")
    response = staff_client.post(
        page_url(customer),
        {"action": "unenroll", "email_or_username": "ann", "course_id": course.course_id},
        follow=True,
    )
    assert f"Course {course.course_id}: 1 unenrolled." in response.content.decode()
    enrollment.refresh_from_db()
    assert not enrollment.enrolled


def test_unenroll_needs_a_course_or_program_and_names_unknown_learners(staff_client, customer):
    response = staff_client.post(page_url(customer), {"action": "unenroll", "email_or_username": "ann"})
    assert "Give the Course ID or the Program ID" in response.content.decode()
    response = staff_client.post(
        page_url(customer), {"action": "unenroll", "email_or_username": "who@example.com", "course_id": "c"}
    )
    assert "Not a learner of this customer." in response.content.decode()


def test_unenroll_a_csv_is_previewed_then_confirmed(staff_client, customer, course):
    from django.core.files.uploadedfile import SimpleUploadedFile

    ann, bob = enrolled(customer, course, "ann"), enrolled(customer, course, "bob")
    file = SimpleUploadedFile(
        "out.csv", b"ann@example.com\nbob@example.com\nzed@example.com\n", content_type="text/csv"
    )
    response = staff_client.post(
        page_url(customer), {"action": "unenroll", "bulk_upload_csv": file, "course_id": course.course_id}
    )
    html = response.content.decode()
    assert "Preview: nothing has changed yet" in html and "Will unenroll from" in html
    assert [(row["label"], row["enrollment"]) for row in response.context["shown_rows"]] == [
        ("not a learner of this customer", ""),
        ("already linked", "will unenroll"),
        ("already linked", "will unenroll"),
    ]
    ann.refresh_from_db()
    assert ann.enrolled
    confirm = response.context["confirm"]
    data = {"action": "confirm", **{name: confirm[name].value() or "" for name in confirm.fields}}
    assert data["operation"] == "unenroll"
    done = staff_client.post(page_url(customer), data)
    assert "Done: 1 not a learner of this customer, 2 unenrolled." in done.content.decode()
    assert "Unenrolled from" in done.content.decode()
    assert EnterpriseCourseEnrollment.objects.unenrolled().count() == 2 and not lms_active(bob)


def test_unenroll_selected_rows(staff_client, customer, course):
    ann, bob = enrolled(customer, course, "ann"), enrolled(customer, course, "bob")
    response = staff_client.post(
        page_url(customer),
        {"action": "unenroll_selected", "user_id": [ann.learner.user_id], "course_id": course.course_id},
        follow=True,
    )
    assert "1 unenrolled" in response.content.decode()
    ann.refresh_from_db()
    bob.refresh_from_db()
    assert not ann.enrolled and bob.enrolled
    response = staff_client.post(
        page_url(customer), {"action": "unenroll_selected", "user_id": [bob.learner.user_id]}, follow=True
    )
    assert "Give the Course ID or the Program ID" in response.content.decode()
