"""Open edX API payloads to the plain data of ``enterprise.lms.interfaces``: pure functions, no I/O."""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from django.utils.dateparse import parse_datetime

from enterprise.lms import interfaces

SELF_PACED_VALUES = frozenset({"self_paced", "self"})
PERCENT_PLACES = Decimal("0.0001")
CERTIFICATE_EARNED = "downloadable"  # the status of an issued certificate in the certificates API


def parse_date(value) -> datetime.datetime | None:
    if not value:
        return None
    parsed = parse_datetime(str(value))
    if parsed is None:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)


def course_from_run(run: dict, *, skills: tuple[interfaces.Skill, ...] = ()) -> interfaces.Course:
    """A discovery course run (``/api/v1/course_runs/`` item, or one nested in a course or program);
    ``skills`` are its course's (runs carry none)."""
    modes = {seat.get("type") for seat in run.get("seats") or () if seat.get("type")}
    return interfaces.Course(
        course_id=run["key"],
        title=run.get("title") or run["key"],
        pacing=interfaces.SELF_PACED if run.get("pacing_type") in SELF_PACED_VALUES else interfaces.INSTRUCTOR_PACED,
        start=parse_date(run.get("start")),
        end=parse_date(run.get("end")),
        modes=tuple(sorted(modes)),
        description=run.get("short_description") or "",
        skills=skills,
        effort_hours=effort_hours(run),
    )


def course_key_of_run(run: dict) -> str:
    """The course (``Org+Number``) of a run: its ``course`` field, else read from ``course-v1:Org+Number+Run``."""
    return run.get("course") or run["key"].split(":", 1)[-1].rsplit("+", 1)[0]


def skills_from_course(course: dict) -> tuple[interfaces.Skill, ...]:
    """The course's ``skill_names`` (course-discovery gives names only, no level), sorted; a name
    repeated in another case counts once (its first spelling)."""
    names: dict[str, str] = {}
    for name in course.get("skill_names") or ():
        text = str(name or "").strip()
        if text:
            names.setdefault(text.casefold(), text)
    return tuple(interfaces.Skill(name=names[key]) for key in sorted(names))


def effort_hours(run: dict) -> Decimal | None:
    """Total estimated hours of a course run: weeks to complete x the upper weekly effort (discovery's
    ``weeks_to_complete`` and ``max_effort``, hours per week; ``min_effort`` when there is no maximum).
    None when discovery does not say."""
    weekly = run.get("max_effort") or run.get("min_effort")
    weeks = run.get("weeks_to_complete")
    try:
        if weekly and weeks:
            hours = Decimal(str(weekly)) * Decimal(str(weeks))
            return hours.quantize(Decimal("0.01")) if hours >= 0 else None
    except InvalidOperation:
        return None
    return None


def current_run_key(course: dict, *, now: datetime.datetime) -> str | None:
    """The run of a program's course to enroll into: the earliest published run not yet ended,
    else the latest run."""
    runs = [r for r in course.get("course_runs") or () if r.get("key") and r.get("status", "published") == "published"]
    if not runs:
        return None
    far_past = datetime.datetime.min.replace(tzinfo=datetime.UTC)
    runs.sort(key=lambda r: parse_date(r.get("start")) or far_past)
    for run in runs:
        end = parse_date(run.get("end"))
        if end is None or end > now:
            return run["key"]
    return runs[-1]["key"]


def program_from_payload(payload: dict, *, now: datetime.datetime) -> interfaces.Program:
    course_ids = [current_run_key(course, now=now) for course in payload.get("courses") or ()]
    return interfaces.Program(
        program_id=str(payload["uuid"]),
        title=payload.get("title") or str(payload["uuid"]),
        course_ids=tuple(key for key in course_ids if key),
    )


def enrollment_from_payload(user_id: int, payload: dict) -> interfaces.LMSEnrollment:
    return interfaces.LMSEnrollment(
        user_id=user_id,
        course_id=payload["course_details"]["course_id"],
        mode=payload.get("mode") or "",
        is_active=bool(payload.get("is_active")),
    )


def certificate_from_payload(user_id: int, payload: dict) -> interfaces.Certificate | None:
    """An earned certificate, or None for the other statuses (notpassing, unavailable, audit_passing …)."""
    if payload.get("status") != CERTIFICATE_EARNED:
        return None
    issued_at = parse_date(payload.get("created_date"))
    if issued_at is None:
        return None
    return interfaces.Certificate(
        user_id=user_id, course_id=payload["course_id"], grade=str(payload.get("grade") or ""), issued_at=issued_at
    )


def percent(value) -> Decimal:
    try:
        return Decimal(str(value if value is not None else 0)).quantize(PERCENT_PLACES)
    except InvalidOperation:
        return Decimal(0).quantize(PERCENT_PLACES)


def grade_from_payload(
    user_id: int, course_id: str, payload: dict, *, passed_at: datetime.datetime | None
) -> interfaces.Grade:
    """The grades API says *whether* the learner passed, not when: ``passed_at`` is decided by the caller."""
    return interfaces.Grade(
        user_id=user_id,
        course_id=course_id,
        percent=percent(payload.get("percent")),
        passed_at=passed_at if payload.get("passed") else None,
    )


def subsection_grades_from_payload(user_id: int, course_id: str, payload: dict) -> list[interfaces.SubsectionGrade]:
    """The graded subsections of a gradebook entry (``section_breakdown``, edx-platform's GradebookView): the
    subsection's usage key (``module_id``), name and share of points earned (``percent``, 0..1), in course order.

    A breakdown that is not a list of objects, or a row without its ``module_id``, is not what the API
    documents: ``OpenEdXResponseError``.
    """
    from enterprise.lms.openedx.exceptions import OpenEdXResponseError

    rows = payload.get("section_breakdown")
    if rows is None:
        return []
    if not isinstance(rows, list) or not all(isinstance(row, dict) and row.get("module_id") for row in rows):
        raise OpenEdXResponseError("A gradebook entry's section_breakdown is not a list of graded subsections.")
    return [
        interfaces.SubsectionGrade(
            user_id=user_id,
            course_id=course_id,
            subsection_id=str(row["module_id"]),
            title=str(row.get("subsection_name") or row.get("label") or row["module_id"]),
            percent=min(max(percent(row.get("percent")), Decimal(0)), Decimal(1)),
        )
        for row in rows
    ]
