"""The shared report selection (``exporters.reports.transcripts``): queries per keyset chunk, memory
bounded by a chunk, timestamps as ``datetime.isoformat`` in UTC whichever database makes the text."""

from __future__ import annotations

import datetime
import tracemalloc

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from enterprise.models import EnterpriseCourseEnrollment, EnterpriseCustomerUser
from integrated_channels.integrated_channel.exporters import reports
from tests.factories import CertificateFactory, CourseFactory, CustomerFactory

pytestmark = pytest.mark.django_db


def _enrollments(customer, courses, count: int, start: int = 0) -> list[EnterpriseCourseEnrollment]:
    users = get_user_model().objects.bulk_create(
        [get_user_model()(username=f"sel{i}", email=f"sel{i}@example.com") for i in range(start, start + count)]
    )
    if users[0].pk is None:
        users = list(get_user_model().objects.filter(username__in=[u.username for u in users]))
    learners = EnterpriseCustomerUser.objects.bulk_create(
        [EnterpriseCustomerUser(customer=customer, user=u) for u in users]
    )
    if learners[0].pk is None:
        learners = list(EnterpriseCustomerUser.objects.filter(user__in=users))
    return EnterpriseCourseEnrollment.objects.bulk_create(
        [
            EnterpriseCourseEnrollment(learner=learner, course_id=courses[i % len(courses)].course_id, mode="audit")
            for i, learner in enumerate(learners)
        ]
    )


def _rows(customer) -> list[tuple[str, dict]]:
    return list(reports.transcripts(customer, None, timezone.now()).rows)


def test_a_fixed_number_of_queries_per_chunk(monkeypatch):
    monkeypatch.setattr(reports, "CHUNK", 5)
    customer, courses = CustomerFactory(), [CourseFactory(), CourseFactory(pacing="self")]
    _enrollments(customer, courses, 10)
    with CaptureQueriesContext(connection) as two_chunks:
        assert len(_rows(customer)) == 10
    _enrollments(customer, courses, 10, start=10)
    with CaptureQueriesContext(connection) as four_chunks:
        assert len(_rows(customer)) == 20
    per_chunk = (len(four_chunks) - len(two_chunks)) / 2
    assert per_chunk <= 4  # the chunk; certificates, grades (the courses' rules); grades of the open ones
    assert len(two_chunks) <= 2 * per_chunk + 3  # the courses and their modes, once; the empty last page


def test_memory_is_bounded_by_a_chunk_not_by_the_rows(monkeypatch):
    monkeypatch.setattr(reports, "CHUNK", 100)
    customer, courses = CustomerFactory(), [CourseFactory(), CourseFactory()]
    _enrollments(customer, courses, 1000)

    def peak(customer) -> tuple[int, int]:
        tracemalloc.start()
        count = sum(1 for _row in reports.transcripts(customer, None, timezone.now()).rows)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return count, peak

    small = peak(customer)
    _enrollments(customer, courses, 3000, start=1000)
    large = peak(customer)
    assert (small[0], large[0]) == (1000, 4000)
    assert large[1] < small[1] * 1.5  # four times the rows, about the same peak: one chunk held at a time


def test_timestamps_are_isoformat_in_utc_with_or_without_microseconds():
    customer, course = CustomerFactory(), CourseFactory()
    first, second = _enrollments(customer, [course], 2)
    stamps = {
        first.pk: datetime.datetime(2026, 1, 5, 9, 59, tzinfo=datetime.UTC),
        second.pk: datetime.datetime(2026, 1, 5, 9, 59, 1, 250, tzinfo=datetime.timezone(datetime.timedelta(hours=2))),
    }
    for pk, stamp in stamps.items():
        EnterpriseCourseEnrollment.objects.filter(pk=pk).update(created=stamp, unenrolled_at=stamp)
    CertificateFactory(user=first.learner.user, course=course)
    rows = {row["EnrollmentId"]: row for _key, row in _rows(customer)}
    for pk, stamp in stamps.items():
        expected = stamp.astimezone(datetime.UTC).isoformat()
        assert (rows[pk]["EnrolledAt"], rows[pk]["UnenrolledAt"]) == (expected, expected)
        assert rows[pk]["PurchasedAt"] is None
