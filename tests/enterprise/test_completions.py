"""record_completions' rules: a pass writes a grade and a certificate, a failed attempt never takes a pass
back, a report that changes nothing writes nothing, unknown courses are listed."""

import datetime
from decimal import Decimal

import pytest

from enterprise.lms.local.models import Certificate, Grade
from enterprise.services.completions import CompletionReport, record_completions
from tests.factories import CourseFactory, UserFactory

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2027, 3, 1, 12, tzinfo=datetime.UTC)
LATER = NOW + datetime.timedelta(days=1)


def test_a_pass_then_a_failed_attempt_keeps_the_pass_and_its_certificate():
    user, course = UserFactory(), CourseFactory()

    first = record_completions(
        reports=[CompletionReport(user.pk, course.course_id, passed=True, percent=Decimal("0.8"))], now=NOW
    )
    failed = record_completions(
        reports=[CompletionReport(user.pk, course.course_id, passed=False, percent=Decimal("0.2"))], now=LATER
    )

    assert (first.created, first.updated, failed.unchanged) == (1, 0, 1)
    grade = Grade.objects.get(user=user, course=course)
    assert (grade.percent, grade.passed_at) == (Decimal("0.8"), NOW)
    assert Certificate.objects.get(user=user, course=course).issued_at == NOW


def test_a_failed_attempt_without_a_percent_keeps_the_recorded_one_and_the_same_report_twice_writes_nothing():
    user, course = UserFactory(), CourseFactory()
    Grade.objects.create(user=user, course=course, percent=Decimal("0.4"))
    report = CompletionReport(user.pk, course.course_id, passed=False)

    once = record_completions(reports=[report], now=NOW)
    twice = record_completions(reports=[report, report], now=LATER)

    assert (once.unchanged, twice.unchanged, twice.unchanged_keys) == (1, 1, {(user.pk, course.course_id)})
    assert Grade.objects.get(user=user, course=course).percent == Decimal("0.4")
    assert not Certificate.objects.exists()


def test_a_pass_without_a_percent_or_date_gets_one_and_now_and_a_later_date_updates_both():
    user, course = UserFactory(), CourseFactory()

    record_completions(reports=[CompletionReport(user.pk, course.course_id, passed=True)], now=NOW)
    moved = record_completions(
        reports=[CompletionReport(user.pk, course.course_id, passed=True, completed_at=LATER)], now=LATER
    )

    assert (moved.updated, moved.changed_keys) == (1, {(user.pk, course.course_id)})
    grade = Grade.objects.get(user=user, course=course)
    assert (grade.percent, grade.passed_at) == (Decimal(1), LATER)
    assert Certificate.objects.get(user=user, course=course).issued_at == LATER


def test_reports_of_courses_the_catalog_does_not_know_are_listed_and_left_out():
    user = UserFactory()

    result = record_completions(reports=[CompletionReport(user.pk, "course-v1:Nobody+X+1", passed=True)], now=NOW)

    assert (result.unknown_courses, result.created) == ({"course-v1:Nobody+X+1"}, 0)
    assert not Grade.objects.exists()
