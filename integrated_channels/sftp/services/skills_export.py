"""SFTP export of skill achievements for a date range (DESIGN §8, decision 0080).

A learner achieves the skills of a course when the completion rules say the course is complete;
the achievement of a skill (name, level) is dated by the first completion of a course teaching
it. ``<base>/export/skill_achievements_<from>_to_<to>.csv`` (or ``.zip`` holding it) has one row
per learner and skill achieved in the range: e-mail, username, name, skill, level, the course that
achieved it and when. Cells are escaped against formula injection like the transcript's.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from django.db.models.fields.json import KT

from enterprise.models import EnterpriseCustomerUser
from integrated_channels.sftp.exporters import SKILL_COLUMNS, SkillAchievementExporter
from integrated_channels.sftp.operations import SKILLS_EXPORT
from integrated_channels.sftp.services.export import ExportFile, ExportRange, range_export

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Achievement:
    user_id: int
    email: str
    username: str
    skill: str
    level: str
    course_id: str
    course_title: str
    achieved_at: datetime.datetime


def skills_name(date_from: datetime.date, date_to: datetime.date) -> str:
    return f"skill_achievements_{date_from:%Y-%m-%d}_to_{date_to:%Y-%m-%d}.csv"


def first_achievements(payloads) -> tuple[list[Achievement], int]:
    """One achievement per (learner, skill, level): the earliest completion teaching it (ties: course id).

    Also returns how many completed enrollments taught no skill. Skill names compare case-insensitively.
    """
    first: dict[tuple[int, str, str], Achievement] = {}
    without_skills = 0
    for payload in payloads:
        if not payload["skills"] or not payload["achieved_at"]:
            without_skills += 1
            continue
        moment = datetime.datetime.fromisoformat(payload["achieved_at"])
        for name, level in payload["skills"]:
            key = (payload["user_id"], name.casefold(), level.casefold())
            candidate = Achievement(
                user_id=payload["user_id"],
                email=payload["email"],
                username=payload["username"],
                skill=name,
                level=level,
                course_id=payload["course_id"],
                course_title=payload["course_title"],
                achieved_at=moment,
            )
            known = first.get(key)
            if known is None or (moment, payload["course_id"]) < (known.achieved_at, known.course_id):
                first[key] = candidate
    return list(first.values()), without_skills


def learner_names(customer_id) -> dict[int, str]:
    """Full names of the customer's linked learners by user id, in one query: the user's name, else the
    first and last names an import stored in the learner's attributes."""
    rows = EnterpriseCustomerUser.objects.filter(customer_id=customer_id, linked=True, active=True).values_list(
        "user_id",
        "user__first_name",
        "user__last_name",
        KT("attributes__first_name"),
        KT("attributes__last_name"),
    )
    names = {}
    for user_id, first, last, attribute_first, attribute_last in rows:
        name = " ".join(part for part in (first, last) if part)
        names[user_id] = name or " ".join(part for part in (attribute_first, attribute_last) if part)
    return names


def select_skill_achievements(export: ExportRange) -> ExportFile:
    """The skills first achieved in the range, one row per learner, skill and level."""
    start, end = export.start, export.end
    selection = SkillAchievementExporter(configuration=export.configuration, api_user=export.api_user).select()
    completed = [record.payload for record in selection.records if record.completed]
    achievements, without_skills = first_achievements(completed)
    in_range = sorted(
        (a for a in achievements if start <= a.achieved_at < end),
        key=lambda a: (a.achieved_at, a.email, a.skill.casefold(), a.level),
    )
    names = learner_names(export.configuration.customer_id) if in_range else {}
    rows = [
        {
            "email": a.email,
            "username": a.username,
            "name": names.get(a.user_id, ""),
            "skill": a.skill,
            "level": a.level,
            "course_id": a.course_id,
            "course_title": a.course_title,
            "achieved_at": a.achieved_at.isoformat(),
        }
        for a in in_range
    ]
    skip_reasons = dict(selection.skipped)
    in_progress = len(selection.records) - len(completed)
    for reason, count in (
        ("not_complete", in_progress),
        ("course_without_skills", without_skills),
        ("achieved_outside_the_range", len(achievements) - len(in_range)),
    ):
        if count:
            skip_reasons[reason] = skip_reasons.get(reason, 0) + count
    return ExportFile(
        name=skills_name(export.date_from, export.date_to),
        columns=SKILL_COLUMNS,
        rows=rows,
        skipped=sum(skip_reasons.values()),
        skip_reasons=skip_reasons,
    )


export_skill_achievements = range_export(
    SKILLS_EXPORT, select_skill_achievements, label="skills", what="SFTP skills export", log=logger
)
