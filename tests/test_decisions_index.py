"""docs/decisions/README.md lists every decision record with its title.

Regenerate the index after adding a record: ``python tests/test_decisions_index.py``.
"""

from __future__ import annotations

import re
from pathlib import Path

DECISIONS = Path(__file__).resolve().parent.parent / "docs" / "decisions"
INDEX = DECISIONS / "README.md"
HEADING = re.compile(r"^# (\d{4}) (.+)$")


def index_text() -> str:
    lines = [
        "# Decision records",
        "",
        "Short records of the choices made between real options: the context, the decision and its",
        "consequences. Numbers are grouped by area and leave gaps; a later record may supersede an earlier",
        "one and says so. This index is generated: `python tests/test_decisions_index.py`.",
        "",
    ]
    for path in sorted(DECISIONS.glob("[0-9][0-9][0-9][0-9]-*.md")):
        heading = path.read_text(encoding="utf-8").splitlines()[0]
        match = HEADING.match(heading)
        assert match, f"{path.name}: the first line must be '# NNNN Title', not {heading!r}"
        assert path.name.startswith(match.group(1)), f"{path.name}: its heading says {match.group(1)}"
        lines.append(f"- [{match.group(1)}]({path.name}) {match.group(2)}")
    return "\n".join(lines) + "\n"


def test_the_index_lists_every_decision_record_with_its_title():
    assert INDEX.read_text(encoding="utf-8") == index_text(), "run: python tests/test_decisions_index.py"


def test_decision_numbers_are_unique():
    numbers = [path.name[:4] for path in DECISIONS.glob("[0-9][0-9][0-9][0-9]-*.md")]
    assert sorted(set(numbers)) == sorted(numbers), "two decision records share a number"


if __name__ == "__main__":
    INDEX.write_text(index_text(), encoding="utf-8")
    print(f"wrote {INDEX}")
