"""Mapping of grades and courses to Moodle's web service functions (pure functions of the inputs).

A learner record carries the grade out of 100 for the course's final-grade assignment: the score
when the platform knows it, else 100 for a pass and 0 for a fail; an enrollment in progress (sent
only when the connection sends in-progress records, edx-enterprise's
``enable_incomplete_progress_transmission``) carries the score so far. A course is a Moodle course
whose short name is this platform's course id, in the connection's category, with a link to the
course in its summary; a withdrawn course is hidden (never deleted: Moodle would delete its grades).
"""

from __future__ import annotations

from django.utils.html import escape

from enterprise.lms.completion import FAIL
from integrated_channels.integrated_channel.exporters.content_metadata import ContentMetadataExporter
from integrated_channels.integrated_channel.exporters.learner_data import LearnerCompletion, LearnerDataExporter
from integrated_channels.integrated_channel.exporters.mapping import course_url, percent

FULLNAME_LIMIT = 254
SUMMARY_HTML = 1  # FORMAT_HTML


def moodle_grade(item: LearnerCompletion) -> float:
    value = percent(item)
    if value is not None:
        return value
    if item.completion.complete:
        return 0.0 if item.completion.grade == FAIL else 100.0
    return 0.0


class MoodleLearnerDataExporter(LearnerDataExporter):
    needs_email = True  # Moodle users are found by e-mail
    incremental_selection = False  # the e-mail address has no modification time

    def learner_payload(self, item: LearnerCompletion) -> dict:
        return {
            "course": item.course_id,
            "email": item.email.strip().lower(),
            "grade": moodle_grade(item),
            "complete": item.completion.complete,
        }

    def reported_grade(self, item: LearnerCompletion) -> str:
        return f"{moodle_grade(item):g}"


class MoodleContentMetadataExporter(ContentMetadataExporter):
    def course_payload(self, course) -> dict:
        url = course_url(course.course_id)
        description = escape(course.description or course.title)
        payload = {
            "shortname": course.course_id,
            "fullname": course.title[:FULLNAME_LIMIT],
            "idnumber": course.course_id,
            "categoryid": self.configuration.category_id,
            "summary": f'<p>{description}</p><p><a href="{escape(url)}">{escape(url)}</a></p>',
            "summaryformat": SUMMARY_HTML,
            "visible": 1,
        }
        if course.start is not None:
            payload["startdate"] = int(course.start.timestamp())
        if course.end is not None:
            payload["enddate"] = int(course.end.timestamp())
        return payload

    def inactive_payload(self, course_id: str, last_payload) -> dict:
        return {"shortname": course_id, "visible": 0}
