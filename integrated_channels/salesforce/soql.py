"""SOQL string literals, for every query the Salesforce connectors build (the user and contact import,
the records export's learner look-ups).

A literal is single-quoted; inside it a backslash, the quote and the control characters SOQL names
("Quoted String Escape Sequences" of the SOQL reference: ``\\n``, ``\\r``, ``\\t``, ``\\b``, ``\\f``)
are escaped with a backslash, so that no value can end the literal or put a line break in the query.
"""

from __future__ import annotations

_ESCAPES = str.maketrans({"\\": "\\\\", "'": "\\'", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"})


def quote(value: str) -> str:
    """The SOQL string literal of ``value``."""
    return "'" + value.translate(_ESCAPES) + "'"
