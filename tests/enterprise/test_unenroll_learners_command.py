"""``manage.py unenroll_learners``: the unenrollment service from a terminal, per-row report and totals."""

import io

import pytest
from django.core.management import CommandError, call_command

from enterprise.lms import get_enrollment_backend
from enterprise.lms.local.models import LmsEnrollment
from enterprise.models import EnterpriseCourseEnrollment
from tests.factories import CourseFactory, CustomerFactory, LearnerFactory, UserFactory

pytestmark = pytest.mark.django_db


def run(*args):
    out = io.StringIO()
    call_command("unenroll_learners", *map(str, args), stdout=out)
    return out.getvalue()


@pytest.fixture
def setup(tmp_path):
    customer = CustomerFactory(slug="acme")
    course = CourseFactory(modes=["audit"])
    learner = LearnerFactory(customer=customer, user=UserFactory(email="ann@example.com"))
    get_enrollment_backend().enroll(user_ids=[learner.user_id], course_id=course.course_id, mode="audit")
    enrollment = EnterpriseCourseEnrollment.objects.create(learner=learner, course_id=course.course_id, mode="audit")
    path = tmp_path / "out.csv"
    path.write_text("email\nann@example.com\nwho@example.com\n")
    return customer, course, enrollment, path


def test_dry_run_then_apply(setup):
    customer, course, enrollment, path = setup
    output = run("acme", path, "--course-id", course.course_id, "--dry-run")
    assert "[will unenroll]" in output and "not a learner of this customer" in output
    assert f"Unenrollment from: course {course.course_id}" in output
    enrollment.refresh_from_db()
    assert enrollment.enrolled

    output = run(customer.pk, path, "--course-id", course.course_id)

    assert "Done." in output and "[unenrolled]" in output
    enrollment.refresh_from_db()
    assert not enrollment.enrolled and not LmsEnrollment.objects.get().is_active


def test_a_course_or_program_is_required_and_invalid_files_fail(setup, tmp_path):
    _customer, course, enrollment, path = setup
    with pytest.raises(CommandError):
        run("acme", path)
    bad = tmp_path / "bad.csv"
    bad.write_text("ann@example.com\nnot an address\n")
    with pytest.raises(CommandError, match="invalid row"):
        run("acme", bad, "--course-id", course.course_id)
    enrollment.refresh_from_db()
    assert enrollment.enrolled
