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
    "type",
    "course_id",
    "course_title",
    "enrolled_at",
    "status",
    "grade",
    "completed_at",
    "embedded_path",
    "embedded_path_id",
    "embedded_course_id",
    "price",
    "currency",
    "purchased_at",
)
COURSE = "Course"
LEARNING_PATH = "Learning Path (Higher Level)"


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
            "enrollment_id": item.enrollment_id,  # not a column: finds the enrollment's path (``with_learning_paths``)
            "email": item.email,
            "username": item.username,
            "type": COURSE,
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


def with_learning_paths(rows: list[dict]) -> list[dict]:
    """Fill the learning-path columns (program = learning path, issue 15 item 7) and add the paths' rows.

    A course enrolled for a program carries the program as its embedded path (name, id) and its own id
    as the embedded course id; each learner's program gets one row of type "Learning Path (Higher
    Level)": completed when every course of it in the export is, enrolled at the first enrollment,
    completed at the last completion. One query per 5,000 enrollments; one catalog read per program.
    """
    from enterprise.exceptions import LMSError
    from enterprise.lms import get_catalog
    from enterprise.models import EnterpriseCourseEnrollment

    ids = sorted({row["enrollment_id"] for row in rows})
    programs: dict[int, str] = {}
    for start in range(0, len(ids), 5000):
        programs.update(
            EnterpriseCourseEnrollment.objects.filter(AnyOf(F("pk"), ids[start : start + 5000]))
            .exclude(program_id="")
            .values_list("pk", "program_id")
        )
    titles: dict[str, str] = {}
    catalog = get_catalog() if programs else None
    for program_id in sorted(set(programs.values())):
        try:
            titles[program_id] = catalog.get_program(program_id).title
        except LMSError:
            titles[program_id] = ""  # gone from the catalog: the id is still said
    paths: dict[tuple[int, str], list[dict]] = {}
    for row in rows:
        program_id = programs.get(row["enrollment_id"], "")
        row["embedded_path"] = titles.get(program_id, "") if program_id else ""
        row["embedded_path_id"] = program_id
        row["embedded_course_id"] = row["course_id"] if program_id else ""
        if program_id:
            paths.setdefault((row["learner_id"], program_id), []).append(row)
    added = []
    for (learner_id, program_id), courses in paths.items():
        complete = all(course["status"] == "completed" for course in courses)
        first = courses[0]
        added.append(
            {
                "learner_id": learner_id,
                "enrollment_id": None,
                "email": first["email"],
                "username": first["username"],
                "type": LEARNING_PATH,
                "course_id": "",
                "course_title": titles.get(program_id, ""),
                "enrolled_at": min((course["enrolled_at"] for course in courses if course["enrolled_at"]), default=""),
                "status": "completed" if complete else "in progress",
                "grade": "",
                "completed_at": max(course["completed_at"] for course in courses) if complete else "",
                "embedded_path": titles.get(program_id, ""),
                "embedded_path_id": program_id,
                "embedded_course_id": "",
                # a learning path bought whole: its courses carry its purchase
                **next(
                    ({k: course[k] for k in PURCHASE_COLUMNS} for course in courses if course.get("purchased_at")),
                    dict.fromkeys(PURCHASE_COLUMNS, ""),
                ),
            }
        )
    return rows + added


PURCHASE_COLUMNS = ("price", "currency", "purchased_at")


def with_purchases(rows: list[dict]) -> None:
    """Fill the purchase columns: the price paid and when, for enrollments a store's order made (the seed's
    FAQ: "price and the date of purchase" in the learner transcript); empty otherwise. One query per 5,000."""
    from enterprise.models import EnterpriseCourseEnrollment

    ids = sorted({row["enrollment_id"] for row in rows if row.get("enrollment_id")})
    bought: dict[int, tuple] = {}
    for start in range(0, len(ids), 5000):
        for pk, amount, currency, at in (
            EnterpriseCourseEnrollment.objects.filter(AnyOf(F("pk"), ids[start : start + 5000]))
            .filter(purchased_at__isnull=False)
            .values_list("pk", "paid_amount", "paid_currency", "purchased_at")
        ):
            bought[pk] = (format(amount.normalize(), "f"), currency, at.isoformat())
    for row in rows:
        row.update(zip(PURCHASE_COLUMNS, bought.get(row.get("enrollment_id"), ("", "", "")), strict=True))


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
