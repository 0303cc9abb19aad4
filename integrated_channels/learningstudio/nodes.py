"""Enrollable nodes (issue 22 item 3): which nodes of the campus a customer's learners are enrolled in.

The seed's group table: a group is a course (source = the client string, typevalue "Call Number") or an
enrollable node (source ``ECLG``, id = the client sort string such as ``strata.business.``, typevalue
"Enrollable Node"); a membership gives a person their node role in it. The configuration maps values of a
learner attribute (``node_attribute``) to sort strings, one line each, ``VALUE = sort.string.[, …]``;
a line ``* = …`` gives nodes to every learner of the customer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

EVERY_LEARNER = "*"
SORT_STRING = re.compile(r"(?:[A-Za-z0-9_-]+\.)+")


class NodeMappingError(ValueError):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def parse_nodes(text: str) -> dict[str, tuple[str, ...]]:
    """``{value: (sort string, …)}`` of the configuration's lines; ``NodeMappingError`` naming the bad line."""
    mapping: dict[str, tuple[str, ...]] = {}
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        value, sep, strings = line.partition("=")
        value = value.strip()
        nodes = tuple(dict.fromkeys(part.strip() for part in strings.split(",") if part.strip()))
        if not sep or not value or not nodes:
            raise NodeMappingError(f"Line {number}: write VALUE = client.sort.string. (or * = … for every learner).")
        bad = [node for node in nodes if not SORT_STRING.fullmatch(node)]
        if bad:
            raise NodeMappingError(
                f"Line {number}: {', '.join(bad)} is not a client sort string (names separated and ended by dots, "
                "e.g. strata.business.)."
            )
        if value in mapping:
            raise NodeMappingError(f"Line {number}: {value} is given twice.")
        mapping[value] = nodes
    return mapping


def nodes_of(mapping: Mapping[str, tuple[str, ...]], attributes: Mapping, attribute: str) -> list[str]:
    """The sort strings of a learner's nodes: the * line's, then their attribute value's; sorted, once each."""
    nodes = set(mapping.get(EVERY_LEARNER, ()))
    value = (attributes or {}).get(attribute) if attribute else None
    if isinstance(value, str) and value.strip():
        nodes.update(mapping.get(value.strip(), ()))
    return sorted(nodes)
