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

from array import array
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


def condition_error(number: int, part: str, problem: str) -> ValidationError:
    """An error of filter ``number`` (1-based) naming its ``part`` (column, op or value).

    ``params`` carry ``row`` and ``part`` so a form can show the error next to the row it concerns.
    """
    return ValidationError(
        "Filter %(row)s, %(part)s: %(problem)s",
        code=f"bad_{part}",
        params={"row": number, "part": part, "problem": problem},
    )


def parse_conditions(data) -> list[Condition]:
    """The conditions of their JSON form; ``ValidationError`` naming the filter and the part of each bad one."""
    if data in (None, ""):
        return []
    if not isinstance(data, list):
        raise ValidationError("Filters must be a list of {column, op, value}.")
    conditions, errors = [], []
    for number, item in enumerate(data, start=1):
        if not isinstance(item, Mapping) or not isinstance(item.get("column"), str) or not item["column"].strip():
            errors.append(condition_error(number, "column", "needs a column."))
            continue
        op, value = item.get("op"), item.get("value")
        if op not in OPERATORS:
            errors.append(condition_error(number, "op", f"unknown operator {op!r} (use {', '.join(OPERATORS)})."))
            continue
        if op == "in":
            values = value if isinstance(value, list) else str(value or "").split(",")
            value = tuple(str(part).strip().casefold() for part in values if str(part).strip())
            if not value:
                errors.append(condition_error(number, "value", "'in' needs at least one value."))
                continue
        elif not isinstance(value, str | int | float) or (op == "contains" and not str(value).strip()):
            errors.append(condition_error(number, "value", "needs a text value."))
            continue
        else:
            value = str(value).strip().casefold()
        conditions.append(Condition(item["column"].strip(), op, value))
    if errors:
        raise ValidationError(errors)
    return conditions


def all_hold(conditions: Iterable[Condition], row: Mapping[str, str]) -> bool:
    return all(condition.holds(row) for condition in conditions)


def key_of(email: str) -> int:
    """A person's compact key: the 64-bit hash of the normalised e-mail (decision 0191)."""
    return hash(email)


class Hierarchy:
    """(person, manager) pairs, kept as two arrays of 64-bit keys (16 bytes a pair, not two strings).

    ``under(managers)`` answers with the set of the keys of everyone under them. Two different
    e-mails share a key with a probability of about 3 in 100 million for a million people
    (decision 0191): the hierarchy then takes one for the other.
    """

    def __init__(self):
        self.people = array("q")
        self.managers = array("q")

    def add(self, email: str, manager: str) -> None:
        if manager:
            self.people.append(key_of(email))
            self.managers.append(key_of(manager))

    def under(self, managers: Iterable[str]) -> set[int]:
        reports: dict[int, list[int]] = {}
        for person, manager in zip(self.people, self.managers, strict=True):
            reports.setdefault(manager, []).append(person)
        self.people, self.managers = array("q"), array("q")  # only the answer is needed from here on
        roots = {key_of(manager) for manager in managers}
        reached = set(roots)  # one set (8 bytes a slot or so): the answer is built in place
        reported_roots: set[int] = set()  # the managers that someone reached manages (a cycle, nested managers)
        todo = list(roots)
        while todo:
            for person in reports.pop(todo.pop(), ()):
                if person in roots:
                    reported_roots.add(person)
                elif person not in reached:
                    reached.add(person)
                    todo.append(person)
        reached -= roots - reported_roots
        return reached
