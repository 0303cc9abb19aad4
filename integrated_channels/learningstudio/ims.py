"""IMS Enterprise 1.1 ``enterprise`` documents for LearningStudio, built with lxml.

A record's payload (see ``exporters``) names one person, one course and one role id. A document
holds its ``properties``, then every person, then every group (course call number), then the
memberships grouped by course: always in that order, as LearningStudio requires. Batch documents
are streamed with ``lxml.etree.xmlfile``: one small element at a time is built, written and
dropped, so the size of a batch does not decide the memory used. ``split`` cuts a batch into
requests of at most a given number of memberships.
"""

from __future__ import annotations

import datetime
import io
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
    """Stream an ``enterprise`` document into the binary file ``out``, one small element at a time.

    ``persons``, ``courses`` and ``memberships`` (course id, (person id, role id) members) may be
    generators: each is read once, in the document's order, and nothing of them is kept. ``nodes``:
    the members of enrollable nodes by client sort string, written before the courses (a learner is in
    a course's node before the course).
    """
    passwords, nodes = passwords or {}, nodes or {}
    with etree.xmlfile(out, encoding="utf-8") as xf, xf.element(q("enterprise"), nsmap=NSMAP):
        xf.write(properties_element(datasource=datasource, when=when))
        for person in persons:
            xf.write(person_element(person, source=source, password=passwords.get(person["id"])))
        for sort_string in nodes:
            xf.write(group_element(sort_string, source=source, node=True))
        for course_id in courses:
            xf.write(group_element(course_id, source=source))
        for sort_string, members in nodes.items():
            xf.write(membership_element(sort_string, members, source=source, node=True))
        for course_id, members in memberships:
            xf.write(membership_element(course_id, members, source=source))


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
