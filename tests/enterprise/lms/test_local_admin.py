"""The local catalog's admin: a course's skills are edited inline, a skill only once per course."""

import pytest

from enterprise.lms.local import models as local
from tests.factories import CourseFactory

pytestmark = pytest.mark.django_db


def inline_data(course, skills):
    data = {
        "course_id": course.course_id,
        "title": course.title,
        "description": "",
        "pacing": course.pacing,
        "start_0": "",
        "start_1": "",
        "end_0": "",
        "end_1": "",
        "modes-TOTAL_FORMS": "0",
        "modes-INITIAL_FORMS": "0",
        "skills-TOTAL_FORMS": str(len(skills)),
        "skills-INITIAL_FORMS": "0",
    }
    for index, (name, level) in enumerate(skills):
        data[f"skills-{index}-name"] = name
        data[f"skills-{index}-level"] = level
    return data


def test_skills_are_added_on_the_course_page(admin_client):
    course = CourseFactory(modes=[])
    url = f"/admin/lms_local/course/{course.pk}/change/"
    assert "Course skills" in admin_client.get(url).content.decode()

    response = admin_client.post(url, inline_data(course, [("Python", "Beginner"), ("SQL", "")]))

    assert response.status_code == 302
    assert sorted(local.CourseSkill.objects.filter(course=course).values_list("name", "level")) == [
        ("Python", "Beginner"),
        ("SQL", ""),
    ]


def test_the_same_skill_twice_in_another_case_is_refused(admin_client):
    course = CourseFactory(modes=[], skills=["Python"])
    url = f"/admin/lms_local/course/{course.pk}/change/"

    stored = admin_client.post(url, inline_data(course, [(" PYTHON ", "")]))
    twice = admin_client.post(url, inline_data(course, [("SQL", ""), ("sql", "Advanced")]))

    assert stored.status_code == twice.status_code == 200
    assert "This course already has the skill PYTHON." in stored.content.decode()
    assert "The skill sql is listed twice." in twice.content.decode()
    assert list(local.CourseSkill.objects.filter(course=course).values_list("name", flat=True)) == ["Python"]
