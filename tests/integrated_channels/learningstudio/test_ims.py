"""The IMS Enterprise document: order, grouping, required elements, streaming and splitting."""

from __future__ import annotations

import datetime
import io

import pytest
from lxml import etree

from integrated_channels.learningstudio import ims

WHEN = datetime.datetime(2026, 1, 2, 7, 0, tzinfo=datetime.UTC)


def payload(person: str, course: str, role: int = 2) -> dict:
    return {
        "person": {
            "id": person,
            "userid": f"user{person}",
            "given": "Arthur",
            "family": "Dent",
            "email": f"{person}@x.org",
        },
        "course": course,
        "role": role,
    }


def build(payloads, **options) -> etree._Element:
    raw = ims.enterprise_bytes(payloads, source="strata", datasource="OurSIS", when=WHEN, **options)
    return etree.fromstring(raw)


def names(root) -> list[str]:
    return [etree.QName(child).localname for child in root]


def test_properties_then_persons_then_groups_then_memberships_grouped():
    root = build([payload("A", "c1"), payload("B", "c2"), payload("A", "c2"), payload("C", "c1")])

    assert root.tag == ims.q("enterprise")
    assert names(root) == ["properties", "person", "person", "person", "group", "group", "membership", "membership"]
    assert root.find(ims.q("properties")).get("lang") == "en"
    assert root.findtext(f"{ims.q('properties')}/{ims.q('datetime')}") == "2026-01-02T07:00:00Z"
    first, second = root.findall(ims.q("membership"))
    assert first.findtext(f"{ims.q('sourcedid')}/{ims.q('id')}") == "c1"
    members = [m.findtext(f"{ims.q('sourcedid')}/{ims.q('id')}") for m in first.findall(ims.q("member"))]
    assert members == ["A", "C"]
    assert len(second.findall(ims.q("member"))) == 2


def test_person_elements_and_optional_password_and_middle_name():
    item = payload("7", "c1")
    item["person"]["middle"] = "Percy"
    root = build([item], passwords={"7": "pw-1"})

    person = root.find(ims.q("person"))
    assert person.findtext(f"{ims.q('sourcedid')}/{ims.q('source')}") == "strata"
    assert person.find(ims.q("userid")).get("password") == "pw-1"
    n = person.find(f"{ims.q('name')}/{ims.q('n')}")
    assert [etree.QName(c).localname for c in n] == ["family", "given", "partname"]
    assert n.find(ims.q("partname")).get("partnametype") == "Middlename"
    group = root.find(ims.q("group"))
    assert group.findtext(f"{ims.q('grouptype')}/{ims.q('typevalue')}") == "Call Number"
    assert root.findtext(".//" + ims.q("subrole")) == "2"


def test_without_a_password_the_attribute_is_absent_and_names_fall_back_to_the_username():
    item = payload("7", "c1")
    item["person"].update(given="", family="")
    person = build([item]).find(ims.q("person"))
    assert person.find(ims.q("userid")).get("password") is None
    assert person.findtext(f"{ims.q('name')}/{ims.q('n')}/{ims.q('family')}") == "user7"


def test_streaming_writes_into_any_binary_file():
    out = io.BytesIO()
    ims.write_enterprise(out, [payload(str(i), "c1") for i in range(1000)], source="s", datasource="d", when=WHEN)
    root = etree.fromstring(out.getvalue())
    assert len(root.findall(ims.q("person"))) == 1000
    assert len(root.find(ims.q("membership")).findall(ims.q("member"))) == 1000


def test_split_cuts_batches_at_the_membership_limit():
    chunks = list(ims.split([payload(str(i), "c1") for i in range(7)], 3))
    assert [len(chunk) for chunk in chunks] == [3, 3, 1]
    assert list(ims.split([], 3)) == []


def test_person_details_in_the_service_order():
    item = payload("7", "c1")
    item["person"].update(
        middle="Philip",
        demographics={"gender": "male", "bday": "1979-10-12", "disability": "none"},
        tel="303-555-1234",
        adr={"street": ["10 Hereville Lane", "Apt 2"], "locality": "Denver", "region": "CO", "pcode": "80000"},
        properties=[["assistiveTechnology", "towel"], ["department", "Sales"]],
    )
    person = build([item]).find(ims.q("person"))

    assert names(person) == ["sourcedid", "userid", "name", "demographics", "email", "tel", "adr", "extension"]
    assert names(person.find(ims.q("demographics"))) == ["gender", "bday", "disability"]
    assert person.find(ims.q("tel")).get("teltype") == "Voice" and person.findtext(ims.q("tel")) == "303-555-1234"
    adr = person.find(ims.q("adr"))
    assert [(etree.QName(c).localname, c.text) for c in adr] == [
        ("street", "10 Hereville Lane"),
        ("street", "Apt 2"),
        ("locality", "Denver"),
        ("region", "CO"),
        ("pcode", "80000"),
    ]
    properties = person.find(ims.q("extension"))
    assert [(p.get("propertytype"), p.text) for p in properties] == [
        ("assistiveTechnology", "towel"),
        ("department", "Sales"),
    ]


def test_partial_details_write_only_what_is_there():
    item = payload("7", "c1")
    item["person"].update(demographics={"bday": "1979-10-12"}, adr={"pcode": "80000"})
    person = build([item]).find(ims.q("person"))
    assert names(person) == ["sourcedid", "userid", "name", "demographics", "email", "adr"]
    assert names(person.find(ims.q("demographics"))) == ["bday"]
    assert names(person.find(ims.q("adr"))) == ["pcode"]


def test_streamed_batch_with_details_equals_the_whole_tree():
    items = []
    for i in range(50):
        item = payload(str(i), f"c{i % 3}")
        item["person"].update(demographics={"gender": "female"}, tel=f"555-{i:04d}", properties=[["n", str(i)]])
        items.append(item)
    out = io.BytesIO()
    ims.write_enterprise(out, items, source="strata", datasource="OurSIS", when=WHEN)
    root = etree.fromstring(out.getvalue())
    assert len(root.findall(ims.q("person"))) == 50
    assert [p.findtext(ims.q("tel")) for p in root.findall(ims.q("person"))][:2] == ["555-0000", "555-0001"]
    assert etree.tostring(root) == etree.tostring(build(items))


def whole_tree(items, *, source: str, passwords=None, nodes=None) -> bytes:
    """The document as the lxml element builders make it, one tree, serialized (the reference form)."""
    root = etree.Element(ims.q("enterprise"), nsmap=ims.NSMAP)
    root.append(ims.properties_element(datasource="Our <SIS> & co", when=WHEN))
    for item in items:
        root.append(
            ims.person_element(item["person"], source=source, password=(passwords or {}).get(item["person"]["id"]))
        )
    for sort_string in nodes or {}:
        root.append(ims.group_element(sort_string, source=source, node=True))
    for course in dict.fromkeys(item["course"] for item in items):
        root.append(ims.group_element(course, source=source))
    for sort_string, members in (nodes or {}).items():
        root.append(ims.membership_element(sort_string, members, source=source, node=True))
    for course in dict.fromkeys(item["course"] for item in items):
        members = [(item["person"]["id"], item["role"]) for item in items if item["course"] == course]
        root.append(ims.membership_element(course, members, source=source))
    return etree.tostring(root, encoding="utf-8")


def test_the_streamed_text_is_byte_for_byte_the_element_builders_tree_with_escaping():
    tricky = "a & b < c > d \"q\" 's' é 中 \r\n\t end"
    items = []
    for i in range(6):
        item = payload(f"p{i}&<{i}>", f'c{i % 2} "&" <x>', role=i % 3)
        item["person"].update(
            userid=f"u{i} {tricky}",
            given="" if i == 1 else tricky,
            family=tricky,
            email="" if i == 2 else f"{i}@x.org",
            middle=tricky if i % 2 else "",
            demographics={"gender": "female", "disability": tricky} if i != 3 else {},
            tel=tricky if i != 4 else "",
            adr={"street": [tricky, "2"], "locality": tricky, "pcode": "8"} if i != 5 else {},
            properties=[[f'k "{i}" &\n\t<', tricky]] if i != 0 else [],
        )
        items.append(item)
    passwords = {"p1&<1>": 'pw "&<>\n\t\r', "p2&<2>": "plain"}
    nodes = {"node & <1>": [("p0&<0>", 5), ("p3&<3>", 5)]}
    out = io.BytesIO()
    ims.write_enterprise(
        out,
        [*items, *({"person": items[i]["person"], "node": "node & <1>", "role": 5} for i in (0, 3))],
        source="src & <s>",
        datasource="Our <SIS> & co",
        when=WHEN,
        passwords=passwords,
    )
    assert out.getvalue() == whole_tree(items, source="src & <s>", passwords=passwords, nodes=nodes)
    etree.fromstring(out.getvalue())  # well-formed


def test_a_character_xml_cannot_hold_is_refused_as_lxml_refuses_it():
    item = payload("7", "c1")
    item["person"]["family"] = "Dent\x01"
    with pytest.raises(ValueError, match="XML compatible"):
        ims.enterprise_bytes([item], source="s", datasource="d", when=WHEN)
    with pytest.raises(ValueError, match="XML compatible"):
        ims.person_element(item["person"], source="s")
    with pytest.raises(ValueError, match="XML compatible"):
        ims.enterprise_bytes([payload("8\ufffe", "c1")], source="s", datasource="d", when=WHEN)


def test_large_documents_are_written_in_pieces(monkeypatch):
    writes = []

    class Out:
        def write(self, data):
            writes.append(len(data))

    monkeypatch.setattr(ims, "FLUSH_CHARS", 4096)
    ims.write_enterprise(Out(), [payload(str(i), "c1") for i in range(2000)], source="s", datasource="d", when=WHEN)
    assert len(writes) > 50 and max(writes) < 4096 + 1000
