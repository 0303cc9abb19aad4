"""Mapping of completions and courses to the Canvas REST API (pure functions of the inputs).

A course is a Canvas course of the connection's account whose ``integration_id`` and course code
are this platform's course id, with the course's description and a link to it as its syllabus. A
learner record is the grade posted to the course's final-grade assignment: a percentage
("91%"), or "complete"/"incomplete" when no score is known. An assessment-level record is a graded
subsection's grade, posted to the assignment of that subsection (its ``integration_id``: the
subsection's id).
"""

from __future__ import annotations

from django.utils.html import escape

from enterprise.lms.completion import FAIL
from integrated_channels.integrated_channel.exporters.content_metadata import ContentMetadataExporter
from integrated_channels.integrated_channel.exporters.learner_data import LearnerCompletion, LearnerDataExporter
from integrated_channels.integrated_channel.exporters.mapping import course_url, iso_utc, percent
from integrated_channels.integrated_channel.exporters.subsection_grades import SubsectionGradeExporter

NAME_LIMIT = 255


def posted_grade(item: LearnerCompletion) -> str:
    value = percent(item)
    if value is not None:
        return f"{value:g}%"
    if item.completion.complete:
        return "0%" if item.completion.grade == FAIL else "100%"
    return "0%"


class CanvasLearnerDataExporter(LearnerDataExporter):
    needs_email = True  # Canvas users are found by e-mail (their login)
    incremental_selection = False  # the e-mail address has no modification time

    def learner_payload(self, item: LearnerCompletion) -> dict:
        return {
            "course": item.course_id,
            "email": item.email.strip().lower(),
            "posted_grade": posted_grade(item),
            "complete": item.completion.complete,
        }

    def reported_grade(self, item: LearnerCompletion) -> str:
        return posted_grade(item)


def subsection_posted_grade(percent) -> str:
    """A subsection's share of points (0..1) as Canvas's percent grade, e.g. ``"87.5%"``."""
    return f"{float(percent) * 100:.2f}".rstrip("0").rstrip(".") + "%"


class CanvasSubsectionGradeExporter(SubsectionGradeExporter):
    """A grade per graded subsection, posted to the subsection's assignment of the Canvas course."""

    needs_email = True

    def subsection_payload(self, *, email, remote_id, grade) -> dict:
        return {
            "course": grade.course_id,
            "email": email.strip().lower(),
            "subsection_id": grade.subsection_id,
            "subsection_title": grade.title[:NAME_LIMIT],
            "posted_grade": subsection_posted_grade(grade.percent),
        }

    def reported_subsection_grade(self, grade) -> str:
        return subsection_posted_grade(grade.percent)


class CanvasContentMetadataExporter(ContentMetadataExporter):
    def course_payload(self, course) -> dict:
        url = course_url(course.course_id)
        body = escape(course.description or course.title)
        fields = {
            "name": course.title[:NAME_LIMIT],
            "course_code": course.course_id,
            "integration_id": course.course_id,
            "syllabus_body": f'<p>{body}</p><p><a href="{escape(url)}">{escape(url)}</a></p>',
            "default_view": "syllabus",
            "is_public": False,
        }
        if course.start is not None:
            fields["start_at"] = iso_utc(course.start)
        if course.end is not None:
            fields["end_at"] = iso_utc(course.end)
        return {"course": fields, "withdrawn": False}

    def inactive_payload(self, course_id: str, last_payload) -> dict:
        return {"course": {"integration_id": course_id}, "withdrawn": True}
