"""JSON paths of xAPI statements, typed CSV values, and the checks an imported statement passes.

A path is dotted (``result.score.scaled``, ``object.definition.name.en-US``); ``set_path`` builds
the nested objects. Values are parsed by the type the mapping gives their column; a value that
does not parse is an error naming the row's line and the column (decision 0071).
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone

STRING, NUMBER, BOOLEAN, DATE = "string", "number", "boolean", "date"
TYPES = (STRING, NUMBER, BOOLEAN, DATE)

ACTOR_MBOX, VERB_ID, OBJECT_ID = "actor.mbox", "verb.id", "object.id"
#: The paths every import maps (the seed's defaults), in the order the admin shows them.
MANDATORY = (ACTOR_MBOX, VERB_ID, OBJECT_ID)
#: Paths the admin proposes besides, with the type their values must have.
KNOWN: dict[str, str] = {
    ACTOR_MBOX: STRING,
    VERB_ID: STRING,
    OBJECT_ID: STRING,
    "id": STRING,
    "actor.name": STRING,
    "result.score.scaled": NUMBER,
    "result.score.raw": NUMBER,
    "result.score.min": NUMBER,
    "result.score.max": NUMBER,
    "result.success": BOOLEAN,
    "result.completion": BOOLEAN,
    "result.duration": STRING,
    "timestamp": DATE,
    "object.definition.name.en-US": STRING,
    "object.definition.type": STRING,
    "context.registration": STRING,
}
ROOTS = ("id", "actor", "verb", "object", "result", "context", "timestamp", "authority", "version")
PATH_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z0-9][A-Za-z0-9_-]*)*$")
TRUE = {"true", "1", "yes", "y"}
FALSE = {"false", "0", "no", "n"}


class ValueRefused(ValueError):
    """A CSV value that does not fit its column's type or its path's rules."""


def path_error(path: str, value_type: str) -> str:
    """Why ``path`` (typed ``value_type``) cannot be mapped; "" when it can."""
    if not PATH_RE.match(path or "") or path.split(".", 1)[0] not in ROOTS:
        return f"{path!r} is not an xAPI statement path (dotted, starting with one of {', '.join(ROOTS)})."
    expected = KNOWN.get(path)
    if expected and value_type != expected:
        return f"{path} holds a {expected}, not a {value_type}."
    if value_type not in TYPES:
        return f"Unknown type {value_type!r} (one of {', '.join(TYPES)})."
    return ""


def parse(value: str, value_type: str):
    """The typed value of a CSV cell (already stripped, not empty); ``ValueRefused`` when it does not parse."""
    if value_type == STRING:
        return value
    if value_type == NUMBER:
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise ValueRefused(f"{value!r} is not a number") from None
        if not number.is_finite():
            raise ValueRefused(f"{value!r} is not a number")
        return number
    if value_type == BOOLEAN:
        lowered = value.lower()
        if lowered in TRUE:
            return True
        if lowered in FALSE:
            return False
        raise ValueRefused(f"{value!r} is not a boolean (true/false, yes/no, 1/0)")
    if value_type == DATE:
        return parse_date(value)
    raise ValueRefused(f"unknown type {value_type!r}")


def parse_date(value: str) -> datetime.datetime:
    """An ISO 8601 date or date-time; a naive one is in the site's time zone."""
    try:
        moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueRefused(f"{value!r} is not an ISO 8601 date (e.g. 2026-11-30 or 2026-11-30T09:00:00Z)") from None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_current_timezone())
    return moment


def is_iri(value: str) -> bool:
    """An absolute IRI: a scheme, and something after it (``https://…``, ``urn:…``, ``course-v1:…``)."""
    if any(character.isspace() for character in value):
        return False
    parts = urlsplit(value)
    return bool(re.match(r"^[A-Za-z][A-Za-z0-9+.-]*$", parts.scheme or "")) and bool(
        parts.netloc or parts.path or parts.query
    )


def mbox_email(value: str) -> str:
    """The normalised e-mail of an ``actor.mbox`` (``mailto:`` optional in the CSV); ``ValueRefused`` otherwise."""
    address = value[len("mailto:") :] if value.lower().startswith("mailto:") else value
    try:
        validate_email(address)
    except ValidationError:
        raise ValueRefused(f"{value!r} is not a mailto: e-mail address") from None
    return address.strip().lower()


def set_path(target: dict, path: str, value) -> None:
    *parents, last = path.split(".")
    for name in parents:
        target = target.setdefault(name, {})
        if not isinstance(target, dict):
            raise ValueRefused(f"{path} conflicts with another mapped path")
    target[last] = value


def get_path(source: dict, path: str):
    for name in path.split("."):
        if not isinstance(source, dict) or name not in source:
            return None
        source = source[name]
    return source


def jsonable(value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    return value
