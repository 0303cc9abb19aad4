"""Which source rows are imported: column conditions and everyone under given managers.

``Condition``: a source column compared with a value — ``eq`` (=), ``ne`` (≠), ``in`` (one of a
list), ``contains`` (substring) — case-insensitively, on the stripped text. All conditions must
hold (AND). Stored as JSON ``[{"column": …, "op": …, "value": …}]`` (``value`` a list for ``in``).

``Hierarchy``: the manager filter of the seed ("import all users in the hierarchy under one or
more specific managers"), as the SFTP import has it (decision 0068): the people whose manager
column names one of the managers, then the people under those, and so on (cycles are harmless).
It needs every (person, manager) pair of the source before the first person can be decided, so
the pipeline collects them in its first pass (e-mails only) and asks ``under`` afterwards.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.core.exceptions import ValidationError

OPERATORS = {"eq": "=", "ne": "≠", "in": "in", "contains": "contains"}


@dataclass(frozen=True)
class Condition:
    column: str
    op: str
    value: str | tuple[str, ...]

    def holds(self, row: Mapping[str, str]) -> bool:
        text = (row.get(self.column) or "").strip().casefold()
        if self.op == "eq":
            return text == self.value
        if self.op == "ne":
            return text != self.value
        if self.op == "in":
            return text in self.value
        return self.value in text

    def __str__(self):
        value = ", ".join(self.value) if isinstance(self.value, tuple) else self.value
        return f"{self.column} {OPERATORS[self.op]} {value}"


def parse_conditions(data) -> list[Condition]:
    """The conditions of their JSON form; ``ValidationError`` naming each bad one."""
    if data in (None, ""):
        return []
    if not isinstance(data, list):
        raise ValidationError("Filters must be a list of {column, op, value}.")
    conditions, errors = [], []
    for number, item in enumerate(data, start=1):
        if not isinstance(item, Mapping) or not isinstance(item.get("column"), str) or not item["column"].strip():
            errors.append(f"Filter {number}: needs a column.")
            continue
        op, value = item.get("op"), item.get("value")
        if op not in OPERATORS:
            errors.append(f"Filter {number}: unknown operator {op!r} (use {', '.join(OPERATORS)}).")
            continue
        if op == "in":
            values = value if isinstance(value, list) else str(value or "").split(",")
            value = tuple(str(part).strip().casefold() for part in values if str(part).strip())
            if not value:
                errors.append(f"Filter {number}: 'in' needs at least one value.")
                continue
        elif not isinstance(value, str | int | float) or (op == "contains" and not str(value).strip()):
            errors.append(f"Filter {number}: needs a text value.")
            continue
        else:
            value = str(value).strip().casefold()
        conditions.append(Condition(item["column"].strip(), op, value))
    if errors:
        raise ValidationError(errors)
    return conditions


def all_hold(conditions: Iterable[Condition], row: Mapping[str, str]) -> bool:
    return all(condition.holds(row) for condition in conditions)


class Hierarchy:
    """(person, manager) pairs of normalised e-mails; who is under given managers."""

    def __init__(self):
        self.reports: dict[str, list[str]] = {}

    def add(self, email: str, manager: str) -> None:
        if manager:
            self.reports.setdefault(manager, []).append(email)

    def under(self, managers: Iterable[str]) -> set[str]:
        kept: set[str] = set()
        todo = list(managers)
        seen = set(todo)
        while todo:
            for email in self.reports.get(todo.pop(), ()):
                kept.add(email)
                if email not in seen:
                    seen.add(email)
                    todo.append(email)
        self.reports = {}  # only the answer is needed from here on
        return kept
