"""Full-text search of the read model: PostgreSQL's text search, SQLite's FTS5 (decision 0321).

PostgreSQL: a GIN expression index on ``to_tsvector('simple', document)`` queried with
``websearch_to_tsquery`` (it accepts any text: no syntax error can come back from a visitor's query).
SQLite: an external-content FTS5 table kept in step by triggers (migration 0002); the visitor's words
are reduced to letters and digits and each quoted, so FTS5's query syntax is never exposed.
Both use the 'simple' configuration (no stemming): a catalog mixes languages.
"""

from __future__ import annotations

import re

from django.db import connection
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL

MAX_TERMS = 12
POSTGRES_MATCH = "to_tsvector('simple', document) @@ websearch_to_tsquery('simple', %s)"
SQLITE_MATCH = "SELECT rowid FROM training_data_fts WHERE training_data_fts MATCH %s"
_WORD = re.compile(r"\w+", re.UNICODE)


def terms_of(query: str) -> list[str]:
    return _WORD.findall(query)[:MAX_TERMS]


def matching(entries: QuerySet, query: str) -> QuerySet:
    """``entries`` whose document matches every word of ``query`` (the last one as a prefix on SQLite)."""
    terms = terms_of(query)
    if not terms:
        return entries
    # Constant SQL, the visitor's words bound as parameters.
    if connection.vendor == "postgresql":
        words = " ".join(terms)
        condition = RawSQL(POSTGRES_MATCH, [words], output_field=BooleanField())  # noqa: S611
        return entries.filter(condition)
    if connection.vendor == "sqlite":
        words = " ".join(f'"{term}"' for term in terms)
        return entries.filter(pk__in=RawSQL(SQLITE_MATCH, [words]))  # noqa: S611
    for term in terms:  # any other database: correct, unindexed
        entries = entries.filter(document__icontains=term)
    return entries
