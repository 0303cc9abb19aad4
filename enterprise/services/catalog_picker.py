"""The course and program pickers of Manage Learners: suggestions and a course's modes, as JSON bodies.

The admin's Manage Learners page and the portal's Learners page serve these from their own URLs
(each checks its own permission or customer scope) and share one script
(``enterprise/js/manage_learners.js``) that fills the pickers from them.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from enterprise.exceptions import EnterpriseError
from enterprise.lms import get_catalog

#: Suggestions of the course and program pickers: at most this many, for at least MIN_QUERY characters.
PICKER_LIMIT, PICKER_MIN_QUERY = 15, 2


def catalog_suggestions(query: str, kind: str) -> tuple[int, dict[str, object]]:
    """``(http status, body)``: catalog entries of ``kind`` (course or program) whose title or id contains ``query``.

    Fewer than ``PICKER_MIN_QUERY`` characters: no suggestion. A remote catalog that is down
    answers 502 with its error and no result (the raw id still works in the form).
    """
    query = (query or "").strip()
    if kind not in ("course", "program"):
        return 400, {"error": _("kind is course or program.")}
    if len(query) < PICKER_MIN_QUERY:
        return 200, {"results": []}
    catalog = get_catalog()
    try:
        if kind == "course":
            results = [
                {"id": c.course_id, "title": c.title, "detail": course_detail(c)}
                for c in catalog.search_courses(query, limit=PICKER_LIMIT)
            ]
        else:
            results = [
                {
                    "id": p.program_id,
                    "title": p.title,
                    "detail": ngettext("%(count)d course", "%(count)d courses", len(p.course_ids))
                    % {"count": len(p.course_ids)},
                }
                for p in catalog.search_programs(query, limit=PICKER_LIMIT)
            ]
    except EnterpriseError as exc:
        return 502, {"error": exc.message, "results": []}
    return 200, {"results": results}


def course_modes(course_id: str) -> tuple[int, dict[str, object]]:
    """``(http status, body)``: the course's id, title and enrollment modes (404 for an unknown course)."""
    course_id = (course_id or "").strip()
    if not course_id:
        return 400, {"error": _("Give a course_id.")}
    try:
        course = get_catalog().get_course(course_id)
    except EnterpriseError as exc:
        return (404 if exc.code == "course_not_found" else 502), {"error": exc.message}
    return 200, {"course_id": course.course_id, "title": course.title, "modes": list(course.modes)}


def course_detail(course) -> str:
    """ "Dec. 7, 2026 · audit, verified": the start (in the site's date format) and the modes."""
    parts = [date_format(timezone.localtime(course.start), "DATE_FORMAT")] if course.start else []
    return " · ".join([*parts, ", ".join(course.modes)] if course.modes else parts)
