"""Mapping of grades and courses to the Blackboard Learn REST API (pure functions of the inputs).

A course is a Learn course whose ``externalId`` is this platform's course id (its ``courseId``,
which Learn restricts to letters, digits, ``-``, ``_`` and ``.``, is derived from it), with a
content item linking to the course; a withdrawn course is made unavailable. A learner record is
the score out of 100 for the course's final-grade column; an assessment-level record the score out
of 100 in the column of a graded subsection.
"""

from __future__ import annotations

import hashlib
import re

from django.utils.html import escape

from enterprise.lms.completion import FAIL
from integrated_channels.integrated_channel.exporters.content_metadata import ContentMetadataExporter
from integrated_channels.integrated_channel.exporters.learner_data import LearnerCompletion, LearnerDataExporter
from integrated_channels.integrated_channel.exporters.mapping import course_url, percent
from integrated_channels.integrated_channel.exporters.subsection_grades import SubsectionGradeExporter

NAME_LIMIT = 333
LINK_HANDLER = "resource/x-bb-externallink"


def learn_course_id(course_id: str) -> str:
    """A Learn ``courseId`` for a course id: readable, within Learn's characters and 100 characters, unique."""
    readable = re.sub(r"[^A-Za-z0-9._-]+", "-", course_id).strip("-")[:60]
    digest = hashlib.sha256(course_id.encode()).hexdigest()[:12]
    return f"{readable}-{digest}"


def learn_score(item: LearnerCompletion) -> float:
    value = percent(item)
    if value is not None:
        return value
    if item.completion.complete:
        return 0.0 if item.completion.grade == FAIL else 100.0
    return 0.0


class BlackboardLearnerDataExporter(LearnerDataExporter):
    needs_email = True  # Learn users are found by their e-mail among the course's members
    incremental_selection = False  # the e-mail address has no modification time

    def learner_payload(self, item: LearnerCompletion) -> dict:
        return {
            "course": item.course_id,
            "email": item.email.strip().lower(),
            "score": learn_score(item),
            "complete": item.completion.complete,
        }

    def reported_grade(self, item: LearnerCompletion) -> str:
        return f"{learn_score(item):g}"


def subsection_column_id(subsection_id: str) -> str:
    """The ``externalId`` of a subsection's column: stable, short and of plain characters whatever the LMS's id
    (Open edX usage keys hold ``+``, ``:`` and ``@`` and run past 80 characters)."""
    return "edx_sub_" + hashlib.sha256(subsection_id.encode()).hexdigest()[:24]


def subsection_score(percent_value) -> float:
    return round(float(percent_value) * 100, 2)


class BlackboardSubsectionGradeExporter(SubsectionGradeExporter):
    """A grade per graded subsection, the score out of 100 in the subsection's gradebook column."""

    needs_email = True

    def subsection_payload(self, *, email, remote_id, grade) -> dict:
        return {
            "course": grade.course_id,
            "email": email.strip().lower(),
            "subsection_id": grade.subsection_id,
            "column": {"externalId": subsection_column_id(grade.subsection_id), "name": grade.title[:NAME_LIMIT]},
            "score": subsection_score(grade.percent),
        }

    def reported_subsection_grade(self, grade) -> str:
        return f"{subsection_score(grade.percent):g}"


class BlackboardContentMetadataExporter(ContentMetadataExporter):
    def course_payload(self, course) -> dict:
        url = course_url(course.course_id)
        description = course.description or course.title
        return {
            "course": {
                "externalId": course.course_id,
                "courseId": learn_course_id(course.course_id),
                "name": course.title[:NAME_LIMIT],
                "description": description,
                "availability": {"available": "Yes"},
            },
            "content": {
                "title": course.title[:NAME_LIMIT],
                "body": f"<p>{escape(description)}</p>",
                "contentHandler": {"id": LINK_HANDLER, "url": url},
                "availability": {"available": "Yes"},
            },
        }

    def inactive_payload(self, course_id: str, last_payload) -> dict:
        return {"course": {"externalId": course_id, "availability": {"available": "No"}}, "content": None}
