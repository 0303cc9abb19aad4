"""A learner's ``person`` and course role for LearningStudio, from the user and the learner's attributes.

Learner attributes (``EnterpriseCustomerUser.attributes``, filled by connector imports) with these
well-known names fill the IMS person (decision 0101):

============================  ==========================================  =========================
attribute                     IMS element                                 checked
============================  ==========================================  =========================
``middle_name``               name/n/partname ``partnametype=Middlename``
``gender``                    demographics/gender                         ``male`` or ``female``
``birth_date``                demographics/bday                           ``YYYY-MM-DD``, a real date
``disability``                demographics/disability                     free text
``phone``                     tel ``teltype=Voice``
``street`` (text or list),    adr/street (one per line, in order)
``street_line_1`` … ``_3``
``city``                      adr/locality
``region``                    adr/region
``postal_code``               adr/pcode
============================  ==========================================  =========================

The configuration lists further attribute names sent as ``extension/personproperty`` with
``propertytype`` = the name. The course role comes from the attribute named by the configuration
(``learningstudio_role`` by default): ``student`` (also when absent), ``professor`` or
``teaching_assistant`` (decision 0102).

A value that LearningStudio would refuse (a gender other than male/female, a birth date not in
``YYYY-MM-DD``, a value that is not text, a character XML cannot hold) is reported for that
learner (``PersonData.errors``) and nothing is sent for them until it is corrected.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

GENDERS = ("male", "female")
ROLES = ("student", "professor", "teaching_assistant")
STREET_LINES = ("street_line_1", "street_line_2", "street_line_3")
BDAY = re.compile(r"\d{4}-\d{2}-\d{2}")
#: Characters an XML 1.0 document cannot hold (lxml refuses them).
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
#: The attributes mapped to IMS elements: never sent again as a personproperty.
WELL_KNOWN = frozenset(
    {"middle_name", "gender", "birth_date", "disability", "phone", "street", *STREET_LINES, "city", "region"}
    | {"postal_code"}
)


@dataclass
class PersonData:
    """The ``person`` payload of one learner, the role name, and what is wrong with the attributes."""

    person: dict
    role: str = "student"
    errors: list[str] = field(default_factory=list)


def parse_names(text: str) -> list[str]:
    """Attribute names from a configuration field: comma- or line-separated, trimmed, in order, once each."""
    return list(dict.fromkeys(part.strip() for part in re.split(r"[,\n]", text or "") if part.strip()))


def _text(attributes: Mapping, name: str, errors: list[str]) -> str:
    value = attributes.get(name)
    if value is None or value == "":
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        errors.append(f"{name}: expected text, found {type(value).__name__}.")
        return ""
    text = str(value).strip()
    if NOT_XML.search(text):
        errors.append(f"{name}: holds a control character XML cannot carry.")
        return ""
    return text


def _gender(attributes: Mapping, errors: list[str]) -> str:
    value = _text(attributes, "gender", errors)
    if value and value.lower() not in GENDERS:
        errors.append(f"gender: {value!r} is not male or female.")
        return ""
    return value.lower()


def _bday(attributes: Mapping, errors: list[str]) -> str:
    value = _text(attributes, "birth_date", errors)
    if not value:
        return ""
    try:
        if not BDAY.fullmatch(value):
            raise ValueError
        datetime.date.fromisoformat(value)
    except ValueError:
        errors.append(f"birth_date: {value!r} is not a date in YYYY-MM-DD format.")
        return ""
    return value


def _streets(attributes: Mapping, errors: list[str]) -> list[str]:
    street = attributes.get("street")
    if isinstance(street, list):
        lines = [_text({"street": line}, "street", errors) for line in street]
    else:
        lines = [_text(attributes, "street", errors)]
    lines += [_text(attributes, name, errors) for name in STREET_LINES]
    return [line for line in lines if line]


def role_of(attributes: Mapping, role_attribute: str, errors: list[str]) -> str:
    """The learner's course role name; ``student`` when the attribute is absent or empty."""
    if not role_attribute:
        return "student"
    value = _text(attributes, role_attribute, errors)
    if not value:
        return "student"
    role = re.sub(r"[\s-]+", "_", value.lower())
    if role not in ROLES:
        errors.append(f"{role_attribute}: {value!r} is not one of {', '.join(ROLES)}.")
        return "student"
    return role


def person_data(
    *,
    user_id: int,
    username: str,
    email: str,
    first_name: str = "",
    last_name: str = "",
    attributes: Mapping | None = None,
    properties: Iterable[str] = (),
    role_attribute: str = "",
) -> PersonData:
    """The person payload: only the keys that have a value, so a learner without attributes has the
    same payload (and hash) as before attributes were read."""
    attributes = attributes if isinstance(attributes, Mapping) else {}
    errors: list[str] = []
    person: dict = {"id": str(user_id), "userid": username, "given": first_name, "family": last_name, "email": email}
    for name, value in (("userid", username), ("given", first_name), ("family", last_name), ("email", email)):
        if value and NOT_XML.search(value):
            errors.append(f"{name}: holds a control character XML cannot carry.")
    middle = _text(attributes, "middle_name", errors)
    if middle:
        person["middle"] = middle
    demographics = {
        key: value
        for key, value in (
            ("gender", _gender(attributes, errors)),
            ("bday", _bday(attributes, errors)),
            ("disability", _text(attributes, "disability", errors)),
        )
        if value
    }
    if demographics:
        person["demographics"] = demographics
    phone = _text(attributes, "phone", errors)
    if phone:
        person["tel"] = phone
    adr: dict = {}
    streets = _streets(attributes, errors)
    if streets:
        adr["street"] = streets
    for key, name in (("locality", "city"), ("region", "region"), ("pcode", "postal_code")):
        value = _text(attributes, name, errors)
        if value:
            adr[key] = value
    if adr:
        person["adr"] = adr
    extra = [
        [name, value] for name in properties if name not in WELL_KNOWN and (value := _text(attributes, name, errors))
    ]
    if extra:
        person["properties"] = extra
    role = role_of(attributes, role_attribute, errors)
    return PersonData(person=person, role=role, errors=errors)
