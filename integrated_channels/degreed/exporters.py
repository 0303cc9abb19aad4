"""Mapping of completions and courses to Degreed's v2 API (JSON:API attributes; pure functions).

A completion identifies the learner by e-mail and the course by its external id (this platform's
course id); a course is created in the organisation's content catalog under the same external id.
"""

from __future__ import annotations

from integrated_channels.integrated_channel.exporters.content_metadata import ContentMetadataExporter
from integrated_channels.integrated_channel.exporters.learner_data import LearnerCompletion, LearnerDataExporter
from integrated_channels.integrated_channel.exporters.mapping import course_url, iso_utc, percent, when_of

TITLE_LIMIT = 255
SUMMARY_LIMIT = 2000


class DegreedLearnerDataExporter(LearnerDataExporter):
    needs_email = True  # Degreed finds the learner by e-mail
    incremental_selection = False  # the e-mail address has no modification time

    def learner_payload(self, item: LearnerCompletion) -> dict:
        attributes = {
            "user-id": item.email.strip().lower(),
            "user-identifier-type": "Email",
            "content-id": item.course_id,
            "content-id-type": "ExternalId",
            "content-type": "Course",
            "completed-at": iso_utc(when_of(item, self.now)),
        }
        value = percent(item)
        if value is not None:
            attributes["percentile"] = value
        return {"data": {"type": "completions", "attributes": attributes}}


class DegreedContentMetadataExporter(ContentMetadataExporter):
    """A record's payload: ``{"attributes": {...}, "skills": [...]}`` (the client wraps it in JSON:API)."""

    def course_payload(self, course) -> dict:
        hours = float(course.effort_hours) if course.effort_hours is not None else 0.0
        summary = (course.description or course.title)[:SUMMARY_LIMIT]
        skills = sorted({skill.name for skill in course.skills}) if self.configuration.send_skills else []
        return {
            "attributes": {
                "external-id": course.course_id,
                "title": course.title[:TITLE_LIMIT],
                "summary": summary,
                "url": course_url(course.course_id),
                "language": "en",
                "duration": hours,
                "duration-type": "Hours",
            },
            "skills": skills,
            "obsolete": False,
        }

    def inactive_payload(self, course_id: str, last_payload) -> dict:
        """Withdrawn: the course is deleted from the organisation's catalog."""
        return {"attributes": {"external-id": course_id}, "skills": [], "obsolete": True}
