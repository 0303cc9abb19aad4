"""The services' list entry points (``link_learners``, ``unenroll_learners``): the API's JSON
``emails`` as rows, numbered by position, never a header; the file path stays for uploads."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from enterprise.exceptions import UploadRefused
from enterprise.models import PendingEnterpriseCustomerUser
from enterprise.services.bulk_link import RowStatus, classify_rows, email_rows
from enterprise.services.manage_learners import link_learners
from enterprise.services.unenrollment import unenroll_learners
from tests.factories import CourseFactory, CustomerFactory

pytestmark = pytest.mark.django_db


def test_email_rows_are_numbered_by_position_and_skip_blank_entries():
    rows = list(email_rows([" a@example.com ", "", "  ", 'b,"c"@example.com\n']))
    assert [(row.line, row.cells) for row in rows] == [(1, ("a@example.com",)), (4, ('b,"c"@example.com',))]


def test_a_first_entry_without_an_at_is_invalid_not_a_header():
    as_list = classify_rows(email_rows(["email", "a@example.com"]), header=False)
    as_file = classify_rows(email_rows(["email", "a@example.com"]))
    assert [row.status for row in as_list] == [RowStatus.INVALID, None]
    assert [row.status for row in as_file] == [RowStatus.HEADER, None]


def test_link_learners_links_a_list_with_rows_at_their_positions():
    customer = CustomerFactory()
    result = link_learners(customer=customer, emails=["", "New@Example.com", "new@example.com"])
    assert result.applied
    assert [(row.line, row.email, row.status) for row in result.rows] == [
        (2, "new@example.com", RowStatus.PENDING),
        (3, "new@example.com", RowStatus.DUPLICATE),
    ]
    assert PendingEnterpriseCustomerUser.objects.filter(customer=customer).count() == 1


def test_link_learners_dry_run_writes_nothing():
    customer = CustomerFactory()
    with CaptureQueriesContext(connection) as queries:
        result = link_learners(customer=customer, emails=["a@example.com"], dry_run=True)
    assert not result.applied and [row.status for row in result.rows] == [RowStatus.PENDING]
    assert not PendingEnterpriseCustomerUser.objects.exists()
    # enrolling nobody, the preview plans without writing (decision 0440), as for a file
    writes = [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE"))]
    assert writes == []


@pytest.mark.parametrize("service", [link_learners, unenroll_learners])
def test_a_list_of_blank_entries_or_too_many_is_refused(service, settings):
    customer = CustomerFactory()
    course = CourseFactory(course_id="course-v1:Org+L+1")
    target = {"course_id": course.course_id} if service is unenroll_learners else {}
    with pytest.raises(UploadRefused, match="The list holds no e-mail address"):
        service(customer=customer, emails=["", " "], **target)
    settings.ENTERPRISE = {**getattr(settings, "ENTERPRISE", {}), "MANAGE_LEARNERS_MAX_ROWS": 2}
    with pytest.raises(UploadRefused, match="At most 2 addresses at once"):
        service(customer=customer, emails=["a@example.com", "b@example.com", "c@example.com"], **target)


def test_unenroll_learners_reports_rows_at_their_positions():
    customer = CustomerFactory()
    course = CourseFactory(course_id="course-v1:Org+L+2")
    result = unenroll_learners(customer=customer, emails=["", "nobody@example.com"], course_id=course.course_id)
    assert [(row.line, row.status) for row in result.rows] == [(2, RowStatus.NOT_A_LEARNER)]
