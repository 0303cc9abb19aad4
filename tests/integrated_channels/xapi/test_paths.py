"""Typed values, paths and filter conditions of the import (pure functions)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from integrated_channels.xapi import paths
from integrated_channels.xapi.filters import Condition


@pytest.mark.parametrize(
    ("raw", "value_type", "expected"),
    [
        ("0.5", paths.NUMBER, Decimal("0.5")),
        ("Yes", paths.BOOLEAN, True),
        ("0", paths.BOOLEAN, False),
        ("2026-11-01T10:00:00Z", paths.DATE, datetime.datetime(2026, 11, 1, 10, tzinfo=datetime.UTC)),
        ("text", paths.STRING, "text"),
    ],
)
def test_parse(raw, value_type, expected):
    assert paths.parse(raw, value_type) == expected


@pytest.mark.parametrize(("raw", "value_type"), [("NaN", paths.NUMBER), ("x", paths.NUMBER), ("maybe", paths.BOOLEAN)])
def test_parse_refuses(raw, value_type):
    with pytest.raises(paths.ValueRefused):
        paths.parse(raw, value_type)


def test_iri_and_mbox():
    assert paths.is_iri("http://adlnet.gov/expapi/verbs/passed") and paths.is_iri("course-v1:Org+X+1")
    assert not paths.is_iri("passed") and not paths.is_iri("http://a b")
    assert paths.mbox_email("mailto:Ann@Example.com") == "ann@example.com"
    with pytest.raises(paths.ValueRefused):
        paths.mbox_email("mailto:nobody")


def test_set_path_builds_nested_objects():
    statement = {}
    paths.set_path(statement, "object.definition.name.en-US", "Intro")
    paths.set_path(statement, "object.id", "urn:x")
    assert statement == {"object": {"definition": {"name": {"en-US": "Intro"}}, "id": "urn:x"}}
    with pytest.raises(paths.ValueRefused):
        paths.set_path(statement, "object.id.more", "x")


def test_path_errors():
    assert paths.path_error("result.score.scaled", paths.NUMBER) == ""
    assert "number" in paths.path_error("result.score.scaled", paths.STRING)
    assert paths.path_error("object.definition.extensions.custom", paths.STRING) == ""
    assert "not an xAPI statement path" in paths.path_error("nope.x", paths.STRING)


@pytest.mark.parametrize(
    ("operator", "value", "cell", "expected"),
    [
        ("equals", "Sales", "sales", True),
        ("not_equals", "Sales", "HR", True),
        ("contains", "course", "My Course 1", True),
        ("in", "a, b", "b", True),
        ("in", "a, b", "c", False),
        ("after", "2026-01-01", "2026-02-01", True),
        ("before", "2026-01-01", "2026-02-01", False),
        ("after", "2026-01-01", "", False),
    ],
)
def test_conditions(operator, value, cell, expected):
    assert Condition("f", "C", operator, value, paths.STRING).matches({"C": cell}) is expected


def test_typed_condition_compares_values():
    assert Condition("f", "S", "equals", "true", paths.BOOLEAN).matches({"S": "yes"})
    assert Condition("f", "N", "equals", "0.50", paths.NUMBER).matches({"N": "0.5"})
