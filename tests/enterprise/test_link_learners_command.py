"""``manage.py link_learners``: the same service as the page, a per-row report and totals."""

import io

import pytest
from django.core.management import CommandError, call_command

from enterprise.lms.local.models import LmsEnrollment
from enterprise.models import EnterpriseCustomerUser, PendingEnterpriseCustomerUser
from tests.factories import CourseFactory, CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def csv_path(tmp_path):
    path = tmp_path / "learners.csv"
    path.write_bytes("\ufeffemail\r\nAnn@example.com\r\nnew@example.com\r\n".encode())
    return path


def run(*args):
    out = io.StringIO()
    call_command("link_learners", *map(str, args), stdout=out)
    return out.getvalue()


def test_dry_run_by_slug_prints_rows_and_totals_and_changes_nothing(csv_path):
    customer = CustomerFactory(slug="acme")
    UserFactory(email="ann@example.com")
    output = run("acme", csv_path, "--dry-run")
    assert "line      2  will link" in output and "Ann@example.com" in output
    assert "line      3  will be pending" in output
    assert "Dry run: nothing was changed." in output
    assert "  will link               1" in output and "  rows                    3" in output
    assert not EnterpriseCustomerUser.objects.filter(customer=customer).exists()


def test_apply_by_uuid_with_enrollment(csv_path):
    customer = CustomerFactory()
    ann = UserFactory(email="ann@example.com")
    course = CourseFactory(modes=["audit"])
    output = run(customer.pk, csv_path, "--course-id", course.course_id, "--mode", "audit")
    assert "Done." in output and "[enrolled]" in output and "[enrolled at registration]" in output
    assert EnterpriseCustomerUser.objects.get(user=ann).customer == customer
    assert PendingEnterpriseCustomerUser.objects.get().user_email == "new@example.com"
    assert LmsEnrollment.objects.filter(user=ann, course=course).exists()


def test_invalid_rows_fail_the_command_and_apply_nothing(tmp_path):
    CustomerFactory(slug="acme")
    path = tmp_path / "bad.csv"
    path.write_text("a@example.com\nbroken\n")
    out = io.StringIO()
    with pytest.raises(CommandError, match=r"1 invalid row\(s\) \(line 2\)"):
        call_command("link_learners", "acme", str(path), "--problems-only", stdout=out)
    assert "line      2  invalid" in out.getvalue() and "a@example.com" not in out.getvalue()
    assert not PendingEnterpriseCustomerUser.objects.exists()


def test_unknown_customer_missing_file_and_bad_mode_are_clear_errors(csv_path, tmp_path):
    with pytest.raises(CommandError, match="No enterprise customer with uuid or slug 'nope'"):
        run("nope", csv_path)
    CustomerFactory(slug="acme")
    with pytest.raises(CommandError, match="Cannot read"):
        run("acme", tmp_path / "missing.csv")
    course = CourseFactory(modes=["audit"])
    with pytest.raises(CommandError, match="Available modes: audit"):
        run("acme", csv_path, "--course-id", course.course_id, "--mode", "verified")


def test_course_and_program_are_mutually_exclusive(csv_path):
    CustomerFactory(slug="acme")
    with pytest.raises(CommandError, match="not allowed with argument"):
        run("acme", csv_path, "--course-id", "c", "--program-id", "p")
