"""The transcript rows' completion and status agree with the completion rules (``determine_completion``),
whichever way the selection reads them: the local LMS's certificates and grades joined in the enrollment
query on PostgreSQL (``completion_columns`` and ``rules_of``, decision 0555), or asked per chunk through the
backend (``completions_for``) elsewhere. Edge cases: passed and failed grades, a pass dated after now, a
certificate, unenrolled, in progress, not started, each rule's course, and the status filter."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from enterprise.lms import get_catalog, get_completion_backend
from enterprise.lms.completion import determine_completion
from enterprise.lms.content.models import ProviderCourse, ProviderProgress
from enterprise.models import EnterpriseCourseEnrollment, EnterpriseCustomerUser
from integrated_channels.integrated_channel.exporters import reports
from tests.factories import CertificateFactory, CourseFactory, CustomerFactory, GradeFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = timezone.now()
DAY = datetime.timedelta(days=1)
UNTIL = NOW + datetime.timedelta(hours=1)  # the selection's end: after the enrollments are made, before any day


def _enroll(
    customer, course, *, certificate=None, grade=None, progress=None, unenrolled=False
) -> EnterpriseCourseEnrollment:
    """A learner of its own enrolled in ``course``, with the certificate and grade given (factory keywords), and
    a content provider's progress (``{"percent": ...}``) on a provider course."""
    user = UserFactory()
    learner = EnterpriseCustomerUser.objects.create(customer=customer, user=user)
    if certificate is not None:
        CertificateFactory(user=user, course=course, **certificate)
    if grade is not None:
        GradeFactory(user=user, course=course, **grade)
    if progress is not None:
        ProviderProgress.objects.create(
            user=user, course=course.provider_course, customer=customer, modified=NOW, **progress
        )
    return EnterpriseCourseEnrollment.objects.create(
        learner=learner, course_id=course.course_id, mode="audit", unenrolled_at=NOW - DAY if unenrolled else None
    )


@pytest.fixture
def edge_cases():
    """One enrollment per case, each course one of the four rules."""
    customer = CustomerFactory()
    instructor = CourseFactory()
    self_open = CourseFactory(pacing="self")
    self_ended = CourseFactory(pacing="self", end=NOW - DAY)
    self_running = CourseFactory(pacing="self", end=NOW + DAY)
    # a content provider's course: a course in progress has its percent on the progress row, no grade row
    # (decision 0560); the joined columns read it there as ``get_grades`` does
    provided = CourseFactory(pacing="self")
    ProviderCourse.objects.create(
        course=provided, provider="linkedin", provider_id="urn:li:lyndaCourse:7", first_seen=NOW, last_seen=NOW
    )
    micro = datetime.datetime(2026, 3, 1, 8, 0, 0, 1250, tzinfo=datetime.UTC)
    cases = [
        (instructor, {"certificate": {"grade": "0.92", "issued_at": micro}}),
        (instructor, {"certificate": {"grade": "Pass", "issued_at": NOW.replace(microsecond=0) - DAY}}),
        # a certificate and a grade: the certificate's rule shows no percent
        (instructor, {"certificate": {}, "grade": {"percent": Decimal("0.95"), "passed_at": None}}),
        (instructor, {"grade": {"percent": Decimal("0.4"), "passed_at": None}}),  # started, no certificate
        (instructor, {"grade": {"percent": Decimal("0"), "passed_at": None}}),  # a zero grade: not started
        (instructor, {}),
        (instructor, {"certificate": {}, "unenrolled": True}),
        (self_open, {"grade": {"percent": Decimal("0.85"), "passed_at": micro}}),  # passed
        (self_open, {"grade": {"percent": Decimal("0.3"), "passed_at": None}}),  # failed so far: in progress
        (self_open, {"grade": {"percent": Decimal("0.9"), "passed_at": NOW + DAY}}),  # a pass dated later
        (self_open, {}),
        (self_open, {"grade": {"percent": Decimal("0.7"), "passed_at": None}, "unenrolled": True}),
        (self_ended, {"grade": {"percent": Decimal("0.85"), "passed_at": NOW - 2 * DAY}}),  # Pass
        (self_ended, {"grade": {"percent": Decimal("0.2"), "passed_at": None}}),  # Fail
        (self_ended, {}),  # Fail, no percent
        (self_running, {"grade": {"percent": Decimal("0.5"), "passed_at": NOW - DAY}}),  # not complete yet
        (self_running, {}),
        (self_running, {"certificate": {}}),  # a certificate a self-paced rule does not read
        (provided, {"progress": {"percent": Decimal("0.4")}}),  # in progress, read from the progress row
        (provided, {"progress": {"percent": None}}),  # a percent not reported: 0, not started
        (provided, {"progress": {"percent": Decimal("1")}, "grade": {"percent": Decimal("1"), "passed_at": micro}}),
        (provided, {"progress": {"percent": Decimal("0.6")}, "grade": {"percent": Decimal("0.2"), "passed_at": None}}),
        (provided, {}),
    ]
    for course, options in cases:
        _enroll(customer, course, **options)
    return customer


def _expected(customer) -> dict[int, tuple]:
    """Per enrollment: (status, grade, percent, completed at) by ``determine_completion``, one pair at a time."""
    catalog, backend = get_catalog(), get_completion_backend()
    expected = {}
    for enrollment in EnterpriseCourseEnrollment.objects.filter(learner__customer=customer).select_related("learner"):
        user_id, course_id = enrollment.learner.user_id, enrollment.course_id
        course = catalog.get_course(course_id)
        grade = backend.get_grade(user_id, course_id)
        completion = determine_completion(course, backend.get_certificate(user_id, course_id), grade, now=UNTIL)
        # the rules read only what they need: an instructor-paced course's percent is not read
        percent = completion.percent if course.self_paced and (course.end is None or course.end <= UNTIL) else None
        if enrollment.unenrolled_at is not None:
            status = "unenrolled"
        elif completion.complete:
            status = "completed"
        elif grade is not None and grade.percent:
            status = "in progress"
        else:
            status = "not started"
        completed_at = completion.completed_at.astimezone(datetime.UTC).isoformat() if completion.complete else None
        expected[enrollment.pk] = (
            status,
            completion.grade,
            float(percent * 100) if percent is not None else None,
            completed_at,
        )
    return expected


def _selected(customer, status=reports.TranscriptStatus.ALL) -> dict[int, tuple]:
    rows = reports.transcripts(customer, None, UNTIL, status).rows
    return {r["EnrollmentId"]: (r["Status"], r["Grade"], r["Percent"], r["CompletedAt"]) for _key, r in rows}


def test_rows_agree_with_the_completion_rules(edge_cases):
    expected = _expected(edge_cases)
    assert _selected(edge_cases) == expected
    assert {row[0] for row in expected.values()} == {"unenrolled", "completed", "in progress", "not started"}
    assert {row[1] for row in expected.values()} >= {"0.92", "Pass", "Fail", "In Progress"}


@pytest.mark.parametrize("status", [s for s in reports.TranscriptStatus if s != reports.TranscriptStatus.ALL])
def test_the_status_filter_keeps_the_rows_of_that_status(edge_cases, status):
    expected = {pk: row for pk, row in _expected(edge_cases).items() if row[0] == status}
    selection = reports.transcripts(edge_cases, None, UNTIL, status)
    assert {
        r["EnrollmentId"]: (r["Status"], r["Grade"], r["Percent"], r["CompletedAt"]) for _key, r in selection.rows
    } == expected
    assert selection.skip_reasons == {"status_filtered_out": len(_expected(edge_cases)) - len(expected)}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the joined columns are PostgreSQL's (LATERAL)")
def test_on_postgresql_the_local_lms_completions_are_joined_in_the_chunk_query(edge_cases, monkeypatch):
    monkeypatch.setattr(reports, "CHUNK", 5)
    with CaptureQueriesContext(connection) as queries:
        assert len(list(reports.transcripts(edge_cases, None, UNTIL).rows)) == 23
    sql = [query["sql"] for query in queries.captured_queries]
    assert len([text for text in sql if "LATERAL" in text]) == 6  # 5 chunks of up to 5 rows and the empty page
    # no certificate or grade asked apart from the chunks' own query (the rest: the catalog's courses)
    assert [
        text for text in sql if "LATERAL" not in text and ("certificate" in text or '"lms_local_grade"' in text)
    ] == []
    assert [text for text in sql if "LATERAL" not in text and '"lms_content_providerprogress"' in text] == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the pages are read ahead only when joined (PostgreSQL)")
def test_a_selection_left_half_read_gives_its_connection_back(edge_cases, monkeypatch):
    monkeypatch.setattr(reports, "CHUNK", 5)
    rows = reports.transcripts(edge_cases, None, UNTIL).rows
    first = next(rows)  # the reader thread holds the connection and has the next page's query under way
    assert connection.allow_thread_sharing
    rows.close()  # a resumed export stopping early: the reader finishes its page and lends the connection back
    assert not connection.allow_thread_sharing
    assert first[1]["EnrollmentId"] == EnterpriseCourseEnrollment.objects.order_by("pk").values_list("pk")[0][0]
