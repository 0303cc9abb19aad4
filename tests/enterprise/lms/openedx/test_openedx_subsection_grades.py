"""The Open edX completion backend's per-subsection grades: the gradebook API (course staff)."""

from decimal import Decimal

import pytest

from enterprise.lms.openedx.backends import OpenEdXCompletions
from enterprise.lms.openedx.exceptions import OpenEdXResponseError
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

COURSE = "course-v1:Acme+Data101+2027"
QUIZ = "block-v1:Acme+Data101+2027+type@sequential+block@quiz"
EXAM = "block-v1:Acme+Data101+2027+type@sequential+block@exam"
GRADEBOOK = f"/api/grades/v1/gradebook/{COURSE}/"


@pytest.fixture
def backend(openedx_conf, fake_openedx):
    fake_openedx.add_course_run(COURSE)
    return OpenEdXCompletions()


def learner(fake, username):
    fake.enroll(username, COURSE)
    return UserFactory(username=username)


def test_one_gradebook_call_per_learner_below_the_listing_threshold(backend, fake_openedx):
    ada, bo, cy = (learner(fake_openedx, name) for name in ("ada", "bo", "cy"))
    fake_openedx.set_subsection_grade("ada", COURSE, QUIZ, "Quiz", 7, 8)
    fake_openedx.set_subsection_grade("ada", COURSE, EXAM, "Exam", 10, 10)
    fake_openedx.set_subsection_grade("bo", COURSE, QUIZ, "Quiz", 0, 8)

    found = backend.get_subsection_grades([(ada.pk, COURSE), (bo.pk, COURSE), (cy.pk, COURSE)])

    assert set(found) == {(ada.pk, COURSE), (bo.pk, COURSE)}  # cy has no graded subsection
    quiz, exam = found[(ada.pk, COURSE)]
    assert (quiz.subsection_id, quiz.title, quiz.percent) == (QUIZ, "Quiz", Decimal("0.8750"))
    assert (exam.subsection_id, exam.percent) == (EXAM, Decimal("1.0000"))
    assert found[(bo.pk, COURSE)][0].percent == Decimal(0)
    calls = fake_openedx.calls("lms", GRADEBOOK)
    assert sorted(call.query.get("username") for call in calls) == ["ada", "bo", "cy"]


def test_the_course_listing_is_read_page_by_page_from_the_threshold(backend, fake_openedx, settings):
    settings.ENTERPRISE_OPENEDX = {**settings.ENTERPRISE_OPENEDX, "GRADES_COURSE_LISTING_THRESHOLD": 2}
    users = [learner(fake_openedx, f"l{index}") for index in range(5)]  # the fake's pages hold 2
    for index in range(5):
        fake_openedx.set_subsection_grade(f"l{index}", COURSE, QUIZ, "Quiz", index, 4)

    found = backend.get_subsection_grades([(user.pk, COURSE) for user in users[:3]])

    assert {key: grades[0].percent for key, grades in found.items()} == {
        (users[0].pk, COURSE): Decimal(0),
        (users[1].pk, COURSE): Decimal("0.25"),
        (users[2].pk, COURSE): Decimal("0.5"),
    }
    calls = fake_openedx.calls("lms", GRADEBOOK)
    assert len(calls) == 3 and not any("username" in call.query for call in calls)


def test_a_learner_not_enrolled_has_no_subsection_grades(backend, fake_openedx):
    stranger = UserFactory(username="stranger")
    fake_openedx.add_user("stranger")
    assert backend.get_subsection_grades([(stranger.pk, COURSE)]) == {}


def test_a_breakdown_the_api_does_not_document_is_refused(backend, fake_openedx):
    ada = learner(fake_openedx, "ada")
    fake_openedx.subsection_grades[("ada", COURSE)] = [{"subsection_name": "no module id", "percent": 1}]
    with pytest.raises(OpenEdXResponseError, match="section_breakdown"):
        backend.get_subsection_grades([(ada.pk, COURSE)])
