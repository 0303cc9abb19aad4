"""IMS Enterprise 1.1 ``enterprise`` documents for LearningStudio, built with lxml.

A record's payload (see ``exporters``) names one person, one course and one role id. A document
holds its ``properties``, then every person, then every group (course call number), then the
memberships grouped by course: always in that order, as LearningStudio requires. ``*_element``
build each part as an lxml element (the reference form: tests, the benchmark's whole-tree
baseline); batch documents are streamed by ``write_document``, which writes the same text from
string templates a few KB at a time (``*_xml``), so neither the size of a batch decides the memory
used nor do hundreds of thousands of small elements its time (decision 0435). ``split`` cuts a
batch into requests of at most a given number of memberships.
"""

from __future__ import annotations

import datetime
import io
import re
from collections.abc import Iterable, Iterator, Mapping
from itertools import islice

from lxml import etree

IMS_NS = "http://schemas.ecollege.com/Common/2006/01/ims_epv1p1.xsd"
COURSE_GROUP_TYPE = "Call Number"
NODE_SOURCE, NODE_GROUP_TYPE = "ECLG", "Enrollable Node"  # enrollable nodes (``nodes``)
NSMAP = {None: IMS_NS}


def q(name: str) -> str:
    return f"{{{IMS_NS}}}{name}"


def _sub(parent, name: str, text: str | None = None, **attributes):
    element = etree.SubElement(parent, q(name), **attributes)
    if text is not None:
        element.text = text
    return element


def _sourcedid(parent, source: str, identifier: str) -> None:
    sourcedid = _sub(parent, "sourcedid")
    _sub(sourcedid, "source", source)
    _sub(sourcedid, "id", identifier)


def properties_element(*, datasource: str, when: datetime.datetime, lang: str = "en"):
    # ``lang`` only: the service's schema declares it and not ``xml:lang`` (decision 0041)
    properties = etree.Element(q("properties"), {"lang": lang}, nsmap=NSMAP)
    _sub(properties, "datasource", datasource)
    _sub(properties, "datetime", when.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    return properties


def person_element(person: Mapping, *, source: str, password: str | None = None):
    """``person`` in the service's order: sourcedid, userid (with ``password`` when sent), name/n
    (family, given, middle name), demographics (gender, bday, disability), email, tel, adr (street
    lines, locality, region, pcode), extension/personproperty. Optional parts only when present
    (``persons.person_data`` checked their values)."""
    element = etree.Element(q("person"), nsmap=NSMAP)
    _sourcedid(element, source, person["id"])
    userid = _sub(element, "userid", person["userid"])
    if password:
        userid.set("password", password)
    n = _sub(_sub(element, "name"), "n")
    _sub(n, "family", person.get("family") or person["userid"])
    _sub(n, "given", person.get("given") or person["userid"])
    if person.get("middle"):  # a sibling of given, as the service's schema orders ``n``
        _sub(n, "partname", person["middle"], partnametype="Middlename")
    demographics = person.get("demographics")
    if demographics:
        parent = _sub(element, "demographics")
        for name in ("gender", "bday", "disability"):
            if demographics.get(name):
                _sub(parent, name, demographics[name])
    _sub(element, "email", person.get("email", ""))
    if person.get("tel"):
        _sub(element, "tel", person["tel"], teltype="Voice")
    adr = person.get("adr")
    if adr:
        parent = _sub(element, "adr")
        for line in adr.get("street", ()):
            _sub(parent, "street", line)
        for name in ("locality", "region", "pcode"):
            if adr.get(name):
                _sub(parent, name, adr[name])
    properties = person.get("properties")
    if properties:
        extension = _sub(element, "extension")
        for name, value in properties:
            _sub(extension, "personproperty", value, propertytype=name)
    return element


def group_element(course_id: str, *, source: str, node: bool = False):
    """A course (the client string as source, "Call Number") or an enrollable node (``ECLG``, its client sort
    string as id, "Enrollable Node")."""
    element = etree.Element(q("group"), nsmap=NSMAP)
    _sourcedid(element, NODE_SOURCE if node else source, course_id)
    _sub(_sub(element, "grouptype"), "typevalue", NODE_GROUP_TYPE if node else COURSE_GROUP_TYPE)
    return element


def membership_element(course_id: str, members: Iterable[tuple[str, int]], *, source: str, node: bool = False):
    """One ``membership`` of a course (or node) with a ``member`` per (person id, role id)."""
    element = etree.Element(q("membership"), nsmap=NSMAP)
    _sourcedid(element, NODE_SOURCE if node else source, course_id)
    for person_id, role_id in members:
        member = _sub(element, "member")
        _sourcedid(member, source, person_id)
        _sub(_sub(member, "role"), "subrole", str(role_id))
    return element


#: Characters an XML 1.0 document cannot hold (lxml refuses them: so does ``_text``).
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
#: A value holding one of these needs escaping (or is refused); most hold none and are written as they are.
_SPECIAL = re.compile('[&<>"\r\n\t\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]')
_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_ATTRIBUTE_ESCAPES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\r": "&#13;", "\n": "&#10;", "\t": "&#9;"}
)
FLUSH_CHARS = 64 * 1024


def _text(value: str) -> str:
    """``value`` as element text, escaped as lxml serializes it; a character XML cannot hold is a ValueError."""
    if not _SPECIAL.search(value):
        return value
    if NOT_XML.search(value):
        raise ValueError(f"All strings must be XML compatible: no control characters ({value!r})")
    return value.translate(_TEXT_ESCAPES)


def _attribute(value: str) -> str:
    """``value`` as a double-quoted attribute value, escaped as lxml serializes it."""
    return _text(value).replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")


def _leaf(name: str, value: str) -> str:
    return f"<{name}>{_text(value)}</{name}>"


def _sourcedid_xml(source: str, identifier: str) -> str:
    return f"<sourcedid><source>{source}</source><id>{_text(identifier)}</id></sourcedid>"


def properties_xml(*, datasource: str, when: datetime.datetime, lang: str = "en") -> str:
    moment = when.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        f'<properties lang="{_attribute(lang)}">{_leaf("datasource", datasource)}'
        f"<datetime>{moment}</datetime></properties>"
    )


def person_xml(person: Mapping, *, source: str, password: str | None = None) -> str:
    """The text of ``person_element`` (same elements, same order, same escaping), written without lxml."""
    parts = ["<person>", _sourcedid_xml(_text(source), person["id"])]
    userid = _text(person["userid"])
    parts.append(
        f'<userid password="{_attribute(password)}">{userid}</userid>' if password else f"<userid>{userid}</userid>"
    )
    parts.append(
        f"<name><n>{_leaf('family', person.get('family') or person['userid'])}"
        f"{_leaf('given', person.get('given') or person['userid'])}"
    )
    if person.get("middle"):
        parts.append(f'<partname partnametype="Middlename">{_text(person["middle"])}</partname>')
    parts.append("</n></name>")
    demographics = person.get("demographics")
    if demographics:
        parts.append("<demographics>")
        parts += (
            _leaf(name, demographics[name]) for name in ("gender", "bday", "disability") if demographics.get(name)
        )
        parts.append("</demographics>")
    parts.append(_leaf("email", person.get("email", "")))
    if person.get("tel"):
        parts.append(f'<tel teltype="Voice">{_text(person["tel"])}</tel>')
    adr = person.get("adr")
    if adr:
        parts.append("<adr>")
        parts += (_leaf("street", line) for line in adr.get("street", ()))
        parts += (_leaf(name, adr[name]) for name in ("locality", "region", "pcode") if adr.get(name))
        parts.append("</adr>")
    properties = person.get("properties")
    if properties:
        parts.append("<extension>")
        parts += (
            f'<personproperty propertytype="{_attribute(name)}">{_text(value)}</personproperty>'
            for name, value in properties
        )
        parts.append("</extension>")
    parts.append("</person>")
    return "".join(parts)


def group_xml(course_id: str, *, source: str, node: bool = False) -> str:
    kind = NODE_GROUP_TYPE if node else COURSE_GROUP_TYPE
    return (
        f"<group>{_sourcedid_xml(_text(NODE_SOURCE if node else source), course_id)}"
        f"<grouptype><typevalue>{kind}</typevalue></grouptype></group>"
    )


def memberships_xml(
    course_id: str, members: Iterable[tuple[str, int]], *, source: str, node: bool = False
) -> Iterator[str]:
    """The text of ``membership_element``, in pieces: the membership's start, then one piece per member."""
    source = _text(source)
    yield f"<membership>{_sourcedid_xml(_text(NODE_SOURCE) if node else source, course_id)}"
    start = f"<member><sourcedid><source>{source}</source><id>"
    roles: dict = {}
    for person_id, role_id in members:
        role = roles.get(role_id)
        if role is None:
            role = roles[role_id] = f"</id></sourcedid><role><subrole>{_text(str(role_id))}</subrole></role></member>"
        yield start + _text(person_id) + role
    yield "</membership>"


class _Writer:
    """Pieces of text gathered and written to the binary file ``out`` as UTF-8 every ``FLUSH_CHARS`` or so."""

    def __init__(self, out):
        self.out, self.parts, self.size = out, [], 0

    def write(self, text: str) -> None:
        self.parts.append(text)
        self.size += len(text)
        if self.size >= FLUSH_CHARS:
            self.flush()

    def write_all(self, pieces: Iterable[str]) -> None:
        for piece in pieces:
            self.write(piece)

    def flush(self) -> None:
        if self.parts:
            self.out.write("".join(self.parts).encode())
            self.parts, self.size = [], 0


def write_document(
    out,
    *,
    persons: Iterable[Mapping],
    courses: Iterable[str],
    memberships: Iterable[tuple[str, Iterable[tuple[str, int]]]],
    source: str,
    datasource: str,
    when: datetime.datetime,
    passwords: Mapping[str, str] | None = None,
    nodes: Mapping[str, Iterable[tuple[str, int]]] | None = None,
) -> None:
    """Stream an ``enterprise`` document into the binary file ``out``, a few KB at a time.

    ``persons``, ``courses`` and ``memberships`` (course id, (person id, role id) members) may be
    generators: each is read once, in the document's order, and nothing of them is kept. ``nodes``:
    the members of enrollable nodes by client sort string, written before the courses (a learner is in
    a course's node before the course). The text is the one ``etree.tostring`` gives of the tree of
    ``person_element``, ``group_element`` and ``membership_element`` under an ``enterprise`` root
    (tests/…/test_ims.py checks it byte for byte), written by string templates: building that many
    small lxml elements cost most of a batch's time (decision 0435).
    """
    passwords, nodes = passwords or {}, nodes or {}
    writer = _Writer(out)
    writer.write(f'<enterprise xmlns="{IMS_NS}">')
    writer.write(properties_xml(datasource=datasource, when=when))
    for person in persons:
        writer.write(person_xml(person, source=source, password=passwords.get(person["id"])))
    for sort_string in nodes:
        writer.write(group_xml(sort_string, source=source, node=True))
    for course_id in courses:
        writer.write(group_xml(course_id, source=source))
    for sort_string, members in nodes.items():
        writer.write_all(memberships_xml(sort_string, members, source=source, node=True))
    for course_id, members in memberships:
        writer.write_all(memberships_xml(course_id, members, source=source))
    writer.write("</enterprise>")
    writer.flush()


def write_enterprise(out, payloads: list[Mapping], **options) -> None:
    """Stream the document of record payloads: each person once, each course once, members grouped by course;
    each learner once in each of their enrollable nodes. A payload with ``node`` (and no ``course``) is a
    node membership alone (a single request)."""
    persons: dict[str, Mapping] = {}
    members: dict[str, list[tuple[str, int]]] = {}
    nodes: dict[str, dict[str, int]] = {}
    for payload in payloads:
        person_id = payload["person"]["id"]
        persons.setdefault(person_id, payload["person"])
        if "node" in payload:
            nodes.setdefault(payload["node"], {})[person_id] = payload["role"]
            continue
        members.setdefault(payload["course"], []).append((person_id, payload["role"]))
        for sort_string in payload.get("nodes", ()):
            nodes.setdefault(sort_string, {})[person_id] = payload["node_role"]
    write_document(
        out,
        persons=persons.values(),
        courses=members,
        memberships=members.items(),
        nodes={sort_string: list(by_person.items()) for sort_string, by_person in nodes.items()},
        **options,
    )


def enterprise_bytes(payloads: list[Mapping], **options) -> bytes:
    out = io.BytesIO()
    write_enterprise(out, payloads, **options)
    return out.getvalue()


def split(payloads: Iterable[Mapping], memberships_per_request: int) -> Iterator[list[Mapping]]:
    """Requests of at most ``memberships_per_request`` memberships (a payload is one membership)."""
    size = max(int(memberships_per_request), 1)
    iterator = iter(payloads)
    while chunk := list(islice(iterator, size)):
        yield chunk
