"""The seed's completion rules (enterprise.lms.completion), case by case, and their bulk form."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from enterprise.lms.completion import FAIL, IN_PROGRESS, PASS, completions_for, determine_completion
from enterprise.lms.interfaces import INSTRUCTOR_PACED, SELF_PACED, Certificate, Course, Grade
from enterprise.lms.local.backends import LocalCompletions
from tests.factories import CertificateFactory, CourseFactory, GradeFactory, UserFactory

NOW = datetime.datetime(2027, 6, 1, 12, 0, tzinfo=datetime.UTC)
DAY = datetime.timedelta(days=1)
COURSE_ID = "course-v1:Org+C1+2027"


def course(pacing, *, end=None, course_id=COURSE_ID):
    return Course(course_id=course_id, title="A course", pacing=pacing, end=end)


def certificate(grade="0.92", issued_at=NOW - DAY):
    return Certificate(user_id=1, course_id=COURSE_ID, grade=grade, issued_at=issued_at)


def grade(percent="0.80", passed_at=None):
    return Grade(user_id=1, course_id=COURSE_ID, percent=Decimal(percent), passed_at=passed_at)


# Instructor-paced: a certificate decides.


def test_instructor_paced_with_certificate_is_complete_with_the_certificate_grade_and_date():
    issued = NOW - 3 * DAY
    result = determine_completion(course(INSTRUCTOR_PACED), certificate(grade="0.92", issued_at=issued), None, now=NOW)
    assert result.complete is True
    assert result.grade == "0.92"
    assert result.completed_at == issued


def test_instructor_paced_certificate_grade_wins_over_a_failing_grade():
    result = determine_completion(
        course(INSTRUCTOR_PACED), certificate(grade="Pass"), grade("0.10", passed_at=None), now=NOW
    )
    assert (result.complete, result.grade) == (True, "Pass")
    assert result.percent == Decimal("0.10")


def test_instructor_paced_without_certificate_is_in_progress_even_when_passed():
    result = determine_completion(course(INSTRUCTOR_PACED), None, grade("0.95", passed_at=NOW - DAY), now=NOW)
    assert result.complete is False
    assert result.grade == IN_PROGRESS
    assert result.completed_at is None


def test_instructor_paced_ignores_a_past_end_date_without_certificate():
    result = determine_completion(course(INSTRUCTOR_PACED, end=NOW - DAY), None, None, now=NOW)
    assert (result.complete, result.grade) == (False, IN_PROGRESS)


# Self-paced with an end date: the end date decides, the grade as of now says Pass or Fail.


def test_self_paced_ended_and_passed_before_now_is_complete_pass_at_course_end():
    end = NOW - 2 * DAY
    result = determine_completion(course(SELF_PACED, end=end), None, grade("0.80", passed_at=NOW - 5 * DAY), now=NOW)
    assert result.complete is True
    assert result.grade == PASS
    assert result.completed_at == end
    assert result.percent == Decimal("0.80")


def test_self_paced_ended_and_passed_exactly_now_is_pass():
    result = determine_completion(course(SELF_PACED, end=NOW - DAY), None, grade(passed_at=NOW), now=NOW)
    assert result.grade == PASS


def test_self_paced_ended_with_a_grade_not_passed_is_complete_fail():
    end = NOW - DAY
    result = determine_completion(course(SELF_PACED, end=end), None, grade("0.30", passed_at=None), now=NOW)
    assert (result.complete, result.grade, result.completed_at) == (True, FAIL, end)


def test_self_paced_ended_with_no_grade_at_all_is_complete_fail():
    end = NOW - DAY
    result = determine_completion(course(SELF_PACED, end=end), None, None, now=NOW)
    assert (result.complete, result.grade, result.completed_at) == (True, FAIL, end)
    assert result.percent is None


def test_self_paced_ended_with_a_pass_dated_after_now_is_fail():
    result = determine_completion(course(SELF_PACED, end=NOW - DAY), None, grade(passed_at=NOW + DAY), now=NOW)
    assert result.grade == FAIL


def test_self_paced_ended_at_exactly_now_counts_as_ended():
    result = determine_completion(course(SELF_PACED, end=NOW), None, grade(passed_at=NOW - DAY), now=NOW)
    assert (result.complete, result.grade) == (True, PASS)


def test_self_paced_ended_ignores_a_certificate():
    result = determine_completion(course(SELF_PACED, end=NOW - DAY), certificate(grade="0.99"), None, now=NOW)
    assert result.grade == FAIL


def test_self_paced_ending_in_the_future_is_in_progress_even_when_passed():
    result = determine_completion(course(SELF_PACED, end=NOW + DAY), None, grade(passed_at=NOW - DAY), now=NOW)
    assert result.complete is False
    assert result.grade == IN_PROGRESS
    assert result.completed_at is None


# Self-paced without an end date: passing decides.


def test_self_paced_without_end_and_passed_is_complete_pass_at_passed_date():
    passed_at = NOW - 4 * DAY
    result = determine_completion(course(SELF_PACED), None, grade("0.75", passed_at=passed_at), now=NOW)
    assert (result.complete, result.grade, result.completed_at) == (True, PASS, passed_at)


def test_self_paced_without_end_and_not_passed_is_in_progress():
    result = determine_completion(course(SELF_PACED), None, grade("0.40", passed_at=None), now=NOW)
    assert (result.complete, result.grade, result.completed_at) == (False, IN_PROGRESS, None)
    assert result.percent == Decimal("0.40")


def test_self_paced_without_end_and_no_grade_is_in_progress():
    result = determine_completion(course(SELF_PACED), None, None, now=NOW)
    assert (result.complete, result.grade) == (False, IN_PROGRESS)


def test_self_paced_without_end_and_pass_dated_after_now_is_in_progress():
    result = determine_completion(course(SELF_PACED), None, grade(passed_at=NOW + DAY), now=NOW)
    assert (result.complete, result.grade) == (False, IN_PROGRESS)


def test_now_defaults_to_the_current_time():
    soon = timezone.now() + datetime.timedelta(hours=1)
    result = determine_completion(course(SELF_PACED, end=soon), None, None)
    assert result.complete is False


# completions_for: many pairs, through a backend.


class RecordingCompletions(LocalCompletions):
    """The local backend, remembering which keys it was asked about."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.asked = []

    def get_certificates(self, keys):
        keys = list(keys)
        self.asked.append(keys)
        return super().get_certificates(keys)


@pytest.mark.django_db
def test_completions_for_applies_the_rules_per_pair():
    instructor = CourseFactory(pacing=INSTRUCTOR_PACED)
    open_ended = CourseFactory(pacing=SELF_PACED, end=None)
    learner, other = UserFactory(), UserFactory()
    issued = timezone.now() - DAY
    CertificateFactory(user=learner, course=instructor, grade="0.91", issued_at=issued)
    GradeFactory(user=other, course=open_ended, passed_at=None)
    courses = {c.course_id: course(c.pacing, course_id=c.course_id) for c in (instructor, open_ended)}

    result = completions_for(
        [(learner.pk, instructor.course_id), (other.pk, instructor.course_id), (other.pk, open_ended.course_id)],
        courses=courses,
        backend=LocalCompletions(),
    )

    assert result[(learner.pk, instructor.course_id)].grade == "0.91"
    assert result[(learner.pk, instructor.course_id)].completed_at == issued
    assert result[(other.pk, instructor.course_id)].grade == IN_PROGRESS
    assert result[(other.pk, open_ended.course_id)].grade == IN_PROGRESS


@pytest.mark.django_db
def test_completions_for_skips_pairs_whose_course_is_unknown():
    known = CourseFactory(pacing=INSTRUCTOR_PACED)
    user = UserFactory()
    backend = RecordingCompletions()

    result = completions_for(
        [(user.pk, known.course_id), (user.pk, "course-v1:Gone+X+2020")],
        courses={known.course_id: course(INSTRUCTOR_PACED, course_id=known.course_id)},
        backend=backend,
    )

    assert set(result) == {(user.pk, known.course_id)}
    assert backend.asked == [[(user.pk, known.course_id)]]


@pytest.mark.django_db
def test_completions_for_passes_now_to_the_rules():
    ended = CourseFactory(pacing=SELF_PACED, start=NOW - 30 * DAY, end=NOW - DAY)
    user = UserFactory()
    GradeFactory(user=user, course=ended, passed_at=NOW - 2 * DAY)
    courses = {ended.course_id: course(SELF_PACED, end=ended.end, course_id=ended.course_id)}

    before_end = completions_for(
        [(user.pk, ended.course_id)], courses=courses, backend=LocalCompletions(), now=NOW - 3 * DAY
    )
    after_end = completions_for([(user.pk, ended.course_id)], courses=courses, backend=LocalCompletions(), now=NOW)

    assert before_end[(user.pk, ended.course_id)].grade == IN_PROGRESS
    assert after_end[(user.pk, ended.course_id)].grade == PASS


@pytest.mark.django_db
def test_completions_for_accepts_a_generator_of_keys():
    known = CourseFactory(pacing=INSTRUCTOR_PACED)
    users = UserFactory.create_batch(3)
    CertificateFactory(user=users[1], course=known)

    result = completions_for(
        ((u.pk, known.course_id) for u in users),
        courses={known.course_id: course(INSTRUCTOR_PACED, course_id=known.course_id)},
        backend=LocalCompletions(),
    )

    assert [result[(u.pk, known.course_id)].complete for u in users] == [False, True, False]


@pytest.mark.django_db
def test_completions_for_makes_a_bounded_number_of_queries(django_assert_max_num_queries):
    now = timezone.now()
    catalog = [
        CourseFactory(pacing=INSTRUCTOR_PACED),
        CourseFactory(pacing=SELF_PACED, start=now - 30 * DAY, end=now - DAY),
        CourseFactory(pacing=SELF_PACED, end=None),
    ]
    users = UserFactory.create_batch(50)
    for user in users[::2]:
        CertificateFactory(user=user, course=catalog[0])
        GradeFactory(user=user, course=catalog[1], passed_at=now - 2 * DAY)
        GradeFactory(user=user, course=catalog[2], passed_at=now - DAY)
    courses = {c.course_id: course(c.pacing, end=c.end, course_id=c.course_id) for c in catalog}
    keys = [(u.pk, c.course_id) for u in users for c in catalog]

    with django_assert_max_num_queries(2):
        result = completions_for(keys, courses=courses, backend=LocalCompletions(), now=now)

    assert len(result) == 150
    assert sum(c.complete for c in result.values()) == 25 + 50 + 25
    assert sum(c.grade == PASS for c in result.values()) == 25 + 25


class RecordingBackend:
    """A completion backend that records which pairs it was asked about."""

    def __init__(self):
        self.certificate_keys, self.grade_keys = [], []

    def get_certificates(self, keys):
        self.certificate_keys.extend(keys)
        return {}

    def get_grades(self, keys):
        self.grade_keys.extend(keys)
        return {}


def test_completions_for_asks_each_pair_only_what_its_rule_reads():
    courses = {
        "ip": Course(course_id="ip", title="IP", pacing=INSTRUCTOR_PACED),
        "sp-ended": Course(course_id="sp-ended", title="E", pacing=SELF_PACED, end=NOW - DAY),
        "sp-running": Course(course_id="sp-running", title="R", pacing=SELF_PACED, end=NOW + DAY),
        "sp-open": Course(course_id="sp-open", title="O", pacing=SELF_PACED),
    }
    backend = RecordingBackend()
    result = completions_for([(1, cid) for cid in courses], courses=courses, backend=backend, now=NOW)
    assert backend.certificate_keys == [(1, "ip")]
    assert sorted(backend.grade_keys) == [(1, "sp-ended"), (1, "sp-open")]
    assert result[(1, "sp-running")].grade == IN_PROGRESS
    assert result[(1, "sp-ended")].grade == FAIL


class MemoryBackend:
    """A completion backend answering from dicts (certificates and grades by (user id, course id))."""

    def __init__(self, certificates, grades):
        self.certificates, self.grades = certificates, grades

    def get_certificates(self, keys):
        return {key: self.certificates[key] for key in keys if key in self.certificates}

    def get_grades(self, keys):
        return {key: self.grades[key] for key in keys if key in self.grades}


def test_completions_for_gives_determine_completions_answer_for_every_rule_and_input():
    courses = {
        "ip": Course(course_id="ip", title="IP", pacing=INSTRUCTOR_PACED, end=NOW - DAY),
        "sp-ended": Course(course_id="sp-ended", title="E", pacing=SELF_PACED, end=NOW - DAY),
        "sp-ends-now": Course(course_id="sp-ends-now", title="N", pacing=SELF_PACED, end=NOW),
        "sp-running": Course(course_id="sp-running", title="R", pacing=SELF_PACED, end=NOW + DAY),
        "sp-open": Course(course_id="sp-open", title="O", pacing=SELF_PACED),
    }
    # user 1: nothing; 2: a certificate only; 3: a grade not passed; 4: passed before now; 5: passed exactly now;
    # 6: a pass dated after now; 7: a certificate and a passed grade
    inputs = {
        1: (None, None),
        2: (Certificate(2, "", "0.91", NOW - DAY), None),
        3: (None, Grade(3, "", Decimal("0.30"))),
        4: (None, Grade(4, "", Decimal("0.85"), NOW - 2 * DAY)),
        5: (None, Grade(5, "", Decimal("0.70"), NOW)),
        6: (None, Grade(6, "", Decimal("0.90"), NOW + DAY)),
        7: (Certificate(7, "", "Pass", NOW - DAY), Grade(7, "", Decimal("0.95"), NOW - DAY)),
    }
    certificates = {(u, cid): c for u, (c, _g) in inputs.items() if c for cid in courses}
    grades = {(u, cid): g for u, (_c, g) in inputs.items() if g for cid in courses}
    keys = [(u, cid) for u in inputs for cid in courses]

    result = completions_for(keys, courses=courses, backend=MemoryBackend(certificates, grades), now=NOW)

    for user_id, course_id in keys:
        c = courses[course_id]
        # what the rule reads: a certificate (instructor-paced), a grade (self-paced, ended or open), nothing (running)
        reads_grade = c.self_paced and (c.end is None or c.end <= NOW)
        expected = determine_completion(
            c,
            certificates.get((user_id, course_id)) if not c.self_paced else None,
            grades.get((user_id, course_id)) if reads_grade else None,
            now=NOW,
        )
        assert result[(user_id, course_id)] == expected, (user_id, course_id)
    assert len(result) == len(keys)
    assert sum(r.complete for r in result.values()) == 3 + 7 + 7 + 2  # ip: 2, 7; two ended: all; open: 4, 5
