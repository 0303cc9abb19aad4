"""Placeholder templates of enrollment-notification e-mails.

A template is text with ``{placeholder}`` fields (``{{`` and ``}}`` for literal braces). Only
the names listed for the template's type are allowed, and only bare names: no attribute or
index access (``{user.password}``), no conversion and no format spec, so a template can never
reach into an object or ask for a huge padded string. Validation and rendering share one
parser, so what validates renders.
"""

from __future__ import annotations

import string
from collections.abc import Mapping

from django.utils.html import escape

from enterprise.exceptions import TemplateRenderError

COMMON_PLACEHOLDERS = {
    "user_name": (
        "The learner's full name, or username when the name is empty; for a pending learner, a name read from "
        "an address such as ann.lee@…, else 'learner'."
    ),
    "first_name": "The learner's first name (empty when unknown).",
    "enterprise_name": "The customer's name.",
    "start_date": "The start date of the course or program, e.g. 'March 3, 2027' (past or future).",
    "start_sentence": (
        "'It starts on March 3, 2027.', or for a course under way 'It started on November 2, 2025: you can "
        "begin now.' (empty without a start date)."
    ),
    "enrollment_url": "The link where the learner can start.",
}
PLACEHOLDERS = {
    "course": {
        **COMMON_PLACEHOLDERS,
        "course_name": "The course title.",
        "course_id": "The course identifier.",
    },
    "program": {
        **COMMON_PLACEHOLDERS,
        "program_name": "The program title.",
        "program_id": "The program identifier.",
    },
}

_formatter = string.Formatter()


def _parse(template: str, allowed: Mapping[str, str]):
    try:
        parts = list(_formatter.parse(template))
    except ValueError as exc:
        raise TemplateRenderError(f"Broken template syntax: {exc}. Write {{{{ and }}}} for literal braces.") from exc
    for _literal, field, spec, conversion in parts:
        if field is None:
            continue
        if field == "" or not field.isidentifier():
            raise TemplateRenderError(
                f"Placeholder {{{field}}} is not allowed: use one of {', '.join('{' + n + '}' for n in allowed)}."
            )
        if field not in allowed:
            raise TemplateRenderError(
                f"Unknown placeholder {{{field}}}. Available: {', '.join('{' + n + '}' for n in allowed)}."
            )
        if spec or conversion:
            raise TemplateRenderError(f"Placeholder {{{field}}} may not carry a format spec or conversion.")
    return parts


def validate_template(template: str, template_type: str) -> None:
    """Raise ``TemplateRenderError`` unless the template renders for ``template_type``."""
    _parse(template, PLACEHOLDERS[template_type])


def render_template(template: str, template_type: str, context: Mapping[str, object], *, html: bool = False) -> str:
    """Render ``template`` with ``context``; values are HTML-escaped when ``html`` is true."""
    out = []
    for literal, field, _spec, _conversion in _parse(template, PLACEHOLDERS[template_type]):
        out.append(literal)
        if field is not None:
            value = "" if context.get(field) is None else str(context[field])
            out.append(escape(value) if html else value)
    return "".join(out)
