"""Transcript rows for the SFTP export: every enrollment of the date range, complete or not (decision 0064).

Reuses the framework's learner-data selection (consent, catalog, completion rules) with the
audit ignored: a transcript lists everything of its period, whether it was exported before or not.
After its own columns, a transcript carries the customer's learner fields (built-in and custom,
``enterprise.learner_fields``), read from the learners' attributes.
"""

from __future__ import annotations

from django.db.models import F

from enterprise.learner_fields import fields_of
from enterprise.models import EnterpriseCustomerUser
from enterprise.services.bulk_sql import AnyOf
from integrated_channels.integrated_channel.exporters.learner_data import LearnerCompletion, LearnerDataExporter

TRANSCRIPT_COLUMNS = (
    "email",
    "username",
    "course_id",
    "course_title",
    "enrolled_at",
    "status",
    "grade",
    "completed_at",
)


class TranscriptExporter(LearnerDataExporter):
    sends_every_enrollment = True

    @property
    def needs_enrollment_dates(self) -> bool:
        return True

    def previous_attempts(self, enrollment_ids=None):
        return {}

    def learner_payload(self, item: LearnerCompletion):
        completion = item.completion
        return {
            "learner_id": item.learner_id,  # not a column: finds the learner's fields (``with_learner_fields``)
            "email": item.email,
            "username": item.username,
            "course_id": item.course_id,
            "course_title": item.course.title,
            "enrolled_at": item.enrolled_at.isoformat() if item.enrolled_at else "",
            "status": "completed" if completion.complete else "in progress",
            "grade": completion.grade,
            "completed_at": completion.completed_at.isoformat() if completion.completed_at else "",
        }


def learner_field_columns(customer) -> tuple[str, ...]:
    """The learner fields a transcript adds after its own columns: every field of the customer but e-mail."""
    return tuple(field.key for field in fields_of(customer) if field.key != "email")


def with_learner_fields(rows: list[dict], columns: tuple[str, ...]) -> None:
    """Fill each row's learner-field columns from its learner's attributes (one query per 5,000 learners)."""
    ids = sorted({row["learner_id"] for row in rows})
    attributes: dict[int, dict] = {}
    for start in range(0, len(ids), 5000):
        attributes.update(
            EnterpriseCustomerUser.objects.filter(AnyOf(F("pk"), ids[start : start + 5000])).values_list(
                "pk", "attributes"
            )
        )
    for row in rows:
        values = attributes.get(row["learner_id"]) or {}
        for column in columns:
            row[column] = values.get(column, "")


SKILL_COLUMNS = ("email", "username", "name", "skill", "level", "course_id", "course_title", "achieved_at")


class SkillAchievementExporter(LearnerDataExporter):
    """The completed enrollments whose course teaches skills (decision 0080).

    Every completion counts (no date filter here, no audit): a skill's achievement date is the
    first completion of a course teaching it, which may lie before the exported range.
    """

    @property
    def needs_enrollment_dates(self) -> bool:
        return False

    def previous_attempts(self):
        return {}

    def learner_payload(self, item: LearnerCompletion):
        return {
            "user_id": item.user_id,
            "email": item.email,
            "username": item.username,
            "course_id": item.course_id,
            "course_title": item.course.title,
            "achieved_at": item.completion.completed_at.isoformat() if item.completion.completed_at else "",
            "skills": [(skill.name, skill.level) for skill in item.course.skills],
        }
