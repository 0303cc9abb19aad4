"""Per-subsection grades of the embedded LMS (enterprise.lms.local): the completion interface's assessment data."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from enterprise.exceptions import SubsectionGradesUnavailable
from enterprise.lms import interfaces
from enterprise.lms.local.backends import LocalCompletions
from tests.factories import CourseFactory, SubsectionGradeFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_grades_by_pair_in_course_order_in_one_query(django_assert_num_queries):
    course, other = CourseFactory(), CourseFactory()
    alice, bob = UserFactory(), UserFactory()
    SubsectionGradeFactory(user=alice, course=course, subsection_id="final", title="Final", position=2, percent="1")
    SubsectionGradeFactory(user=alice, course=course, subsection_id="quiz", title="Quiz", position=1, percent="0.5")
    SubsectionGradeFactory(user=alice, course=other, subsection_id="quiz", position=1)  # not asked for
    SubsectionGradeFactory(user=bob, course=other, subsection_id="lab", title="Lab", position=1, percent="0.25")

    with django_assert_num_queries(1):
        found = LocalCompletions().get_subsection_grades(
            [(alice.pk, course.course_id), (bob.pk, other.course_id), (bob.pk, course.course_id)]
        )

    assert set(found) == {(alice.pk, course.course_id), (bob.pk, other.course_id)}  # bob has none in course
    quiz, final = found[(alice.pk, course.course_id)]
    assert (quiz.subsection_id, quiz.title, quiz.percent) == ("quiz", "Quiz", Decimal("0.5"))
    assert (final.subsection_id, final.percent) == ("final", Decimal("1"))
    assert isinstance(quiz, interfaces.SubsectionGrade) and quiz.graded_at is not None
    assert found[(bob.pk, other.course_id)][0].title == "Lab"


def test_no_pairs_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert LocalCompletions().get_subsection_grades([]) == {}


def test_the_database_refuses_a_percent_out_of_range_and_a_second_row():
    grade = SubsectionGradeFactory(subsection_id="quiz")
    with pytest.raises(IntegrityError), transaction.atomic():
        SubsectionGradeFactory(user=grade.user, course=grade.course, subsection_id="quiz")
    with pytest.raises(IntegrityError), transaction.atomic():
        SubsectionGradeFactory(percent="1.5")


def test_a_backend_without_subsection_grades_says_so():
    class Minimal(interfaces.CompletionBackend):
        def get_certificates(self, keys):
            return {}

        def get_grades(self, keys):
            return {}

    with pytest.raises(SubsectionGradesUnavailable, match="Minimal keeps no per-subsection grades"):
        Minimal().get_subsection_grades([(1, "course-v1:A+B+C")])
