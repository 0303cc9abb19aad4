"""The course list Cornerstone polls, in its format (pure mapping of the catalog's courses).

Each course: ``ID`` (the course id when Cornerstone accepts its characters, else a UUID derived
from it: always the same), ``Title``, ``Description``, ``IsActive``, ``Duration`` (hh:mm:ss),
``Partners``, ``Languages``, ``Subjects``; the course list view adds ``URL`` (this platform's
launch view, which records the learner's Cornerstone session) and ``LastModifiedUTC`` (when the
course's entry last changed, from the audit).
"""

from __future__ import annotations

import datetime
import functools
import re
import uuid

from enterprise.lms.interfaces import Course

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:enterprise-learners:cornerstone:courses")
VALID_ID = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
DESCRIPTION_LIMIT = 10_000
DEFAULT_PARTNER = {"Name": "Enterprise learning platform"}


@functools.lru_cache(maxsize=4096)  # one per course, asked per completion
def cornerstone_id(course_id: str) -> str:
    return course_id if VALID_ID.match(course_id) else str(uuid.uuid5(NAMESPACE, course_id))


def duration(course: Course) -> str | None:
    if course.effort_hours is None:
        return None
    minutes = round(float(course.effort_hours) * 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}:00"


def course_entry(course: Course, *, now: datetime.datetime) -> dict:
    entry = {
        "ID": cornerstone_id(course.course_id),
        "Title": course.title,
        "Description": (course.description or course.title)[:DESCRIPTION_LIMIT],
        "IsActive": course.end is None or now <= course.end,  # running, starting soon or upcoming
        "Partners": [DEFAULT_PARTNER],
        "Languages": ["en-US"],
        "Subjects": sorted({skill.name for skill in course.skills}) or ["Industry Specific"],
    }
    hours = duration(course)
    if hours is not None:
        entry["Duration"] = hours
    return entry


def listed(payload: dict, *, launch_url: str, modified: datetime.datetime) -> dict:
    """An entry of the served list: the published payload, its launch URL and modification time."""
    return {
        **payload,
        "URL": launch_url,
        "LastModifiedUTC": modified.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
