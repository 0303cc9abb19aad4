"""The IMS Enterprise document: order, grouping, required elements, streaming and splitting."""

from __future__ import annotations

import datetime
import io

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
