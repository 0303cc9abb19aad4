"""The import's filters: conditions on a CSV column or a mapped path that every imported row meets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from integrated_channels.xapi import paths


@dataclass(frozen=True)
class Condition:
    name: str
    column: str
    operator: str
    value: str
    value_type: str  # the mapping's type when the filter names a mapped path; string otherwise

    def matches(self, row: Mapping[str, str]):
        """True / False; ``ValueRefused`` when the row's value does not parse as the type."""
        raw = (row.get(self.column) or "").strip()
        if self.operator in ("after", "before"):
            if not raw:
                return False
            moment, bound = paths.parse_date(raw), paths.parse_date(self.value.strip())
            return moment > bound if self.operator == "after" else moment < bound
        if self.operator == "contains":
            return self.value.strip().lower() in raw.lower()
        if self.operator == "in":
            options = [option.strip() for option in self.value.split(",") if option.strip()]
            return any(self._equal(raw, option) for option in options)
        equal = self._equal(raw, self.value.strip())
        return not equal if self.operator == "not_equals" else equal

    def _equal(self, raw: str, expected: str) -> bool:
        if self.value_type == paths.STRING or not raw or not expected:
            return raw.lower() == expected.lower()
        return paths.parse(raw, self.value_type) == paths.parse(expected, self.value_type)


def conditions(filters, mappings) -> list[Condition]:
    by_path = {mapping.path: mapping for mapping in mappings}
    found = []
    for item in filters:
        mapping = by_path.get(item.field)
        column, value_type = (mapping.column, mapping.value_type) if mapping else (item.field, paths.STRING)
        found.append(Condition(item.name, column, item.operator, item.value, value_type))
    return found
