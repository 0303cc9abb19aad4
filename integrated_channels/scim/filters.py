"""A SCIM filter (RFC 7644 §3.4.2.2) as a Django ``Q`` on the indexed columns of ``ScimUser``.

scim2-models parses the filter into its syntax tree (``ScimFilter``); this module only walks the
tree. Attributes outside ``COLUMNS`` are refused with ``invalidFilter``, which RFC 7644 §3.12
defines for "the specified attribute and filter comparison combination is not supported":
a filter is always one indexed query, never a scan of the stored resources.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q
from django.utils.dateparse import parse_datetime
from scim2_models.path import Comparison, LogicalExpr, LogicalOperator, Not, Present, ScimFilter, ValuePath

from integrated_channels.scim.exceptions import InvalidFilter
from integrated_channels.scim.resources import USER_SCHEMA, UserResource


@dataclass(frozen=True)
class Column:
    name: str  # the ScimUser field (or alias) compared
    kind: str = "text"  # text | id | bool | datetime
    case_exact: bool = False
    lowered: str = ""  # an alias holding LOWER(name): equality through the functional index


COLUMNS = {
    "id": Column("id", "id"),
    "username": Column("user_name", lowered="user_name_ci"),
    "externalid": Column("external_id", case_exact=True),
    "displayname": Column("display_name"),
    "name.givenname": Column("given_name"),
    "name.familyname": Column("family_name"),
    "emails": Column("email"),
    "emails.value": Column("email"),
    "emails.type": Column("email_type"),
    "active": Column("active", "bool"),
    "meta.created": Column("created", "datetime"),
    "meta.lastmodified": Column("modified", "datetime"),
}
_TEXT_LOOKUPS = {"eq": "exact", "co": "contains", "sw": "startswith", "ew": "endswith"}
_ORDER_LOOKUPS = {"gt": "gt", "ge": "gte", "lt": "lt", "le": "lte"}


def parse(text: str):
    """The syntax tree of ``text``; ``InvalidFilter`` when it is not a SCIM filter."""
    try:
        return ScimFilter[UserResource](text).ast
    except Exception as exc:  # scim2-models raises its own and pydantic's errors
        raise InvalidFilter(f"Invalid filter {text!r}: {exc}") from exc


def to_q(text: str) -> Q:
    return _node(parse(text), prefix="")


def _node(node, *, prefix: str) -> Q:
    if isinstance(node, LogicalExpr):
        terms = [_node(term, prefix=prefix) for term in node.terms]
        combined = terms[0]
        for term in terms[1:]:
            combined = combined & term if node.op == LogicalOperator.and_ else combined | term
        return combined
    if isinstance(node, Not):
        return ~_node(node.expr, prefix=prefix)
    if isinstance(node, ValuePath):
        return _node(node.val_filter, prefix=f"{_name(node.attr_path)}.")
    if isinstance(node, Present):
        column = _column(prefix + _name(node.attr_path))
        if column.kind in {"id", "bool", "datetime"}:
            return Q(pk__isnull=False)
        return ~Q(**{column.name: ""})
    if isinstance(node, Comparison):
        return _comparison(_column(prefix + _name(node.attr_path)), node.op.value, node.value)
    raise InvalidFilter(f"Unsupported filter expression {node}.")


def _name(attr_path) -> str:
    if attr_path.uri and attr_path.uri.lower() != USER_SCHEMA.lower():
        raise InvalidFilter(f"Filtering on {attr_path} is not supported.")
    name = attr_path.attr + (f".{attr_path.sub_attr}" if attr_path.sub_attr else "")
    return name.lower()


def _column(name: str) -> Column:
    column = COLUMNS.get(name)
    if column is None:
        raise InvalidFilter(f"Filtering on {name!r} is not supported; supported: {', '.join(sorted(COLUMNS))}.")
    return column


def _comparison(column: Column, op: str, value) -> Q:
    if op == "ne":
        return ~_comparison(column, "eq", value)
    if column.kind == "id":
        if op != "eq":
            raise InvalidFilter("id supports eq and ne only.")
        try:
            return Q(pk=uuid.UUID(str(value)))
        except ValueError:
            return Q(pk__in=[])
    if column.kind == "bool":
        if op != "eq" or not isinstance(value, bool):
            raise InvalidFilter("active compares with eq or ne to true or false.")
        return Q(active=value)
    if column.kind == "datetime":
        moment = parse_datetime(str(value)) if not isinstance(value, datetime) else value
        if moment is None:
            raise InvalidFilter(f"{value!r} is not a date-time.")
        lookup = _ORDER_LOOKUPS.get(op) or ("exact" if op == "eq" else None)
        if lookup is None:
            raise InvalidFilter(f"{op} does not apply to a date-time.")
        return Q(**{f"{column.name}__{lookup}": moment})
    if not isinstance(value, str):
        raise InvalidFilter(f"{value!r} is not a string.")
    if op == "eq" and column.lowered:
        return Q(**{column.lowered: value.lower()})
    lookup = _TEXT_LOOKUPS.get(op) or _ORDER_LOOKUPS.get(op)
    if lookup is None:
        raise InvalidFilter(f"Unsupported operator {op!r}.")
    if not column.case_exact and lookup in {"exact", "contains", "startswith", "endswith"}:
        lookup = f"i{lookup}"
    return Q(**{f"{column.name}__{lookup}": value})
