"""Reading the public catalog: a page of entries with facets, in a fixed number of queries.

The unfiltered listing (what a visitor sees first) reads nothing but its page: the number of entries and
the facets are stored by the build (``CatalogSummary``) and a page is a range of the entries' stored
``position``, however deep. A search or a filter reads its matches once for the count and the three
facets together (one query grouped by kind, language and skills) and once for its page (decision 0460).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import BooleanField, Count, Max
from django.db.models.expressions import RawSQL

from integrated_channels.training_data.models import (
    CatalogEntry,
    CatalogSummary,
    CatalogTermSummary,
    SkillFacet,
    TrainingDataAccessConfiguration,
)
from integrated_channels.training_data.search import matching, terms_of

FACET_SIZE = 20
#: a word found in at least this many entries has its search's count and facets stored by the build
#: (``CatalogTermSummary``, decision 0511); a rarer word's are counted when asked (at most this many rows)
TERM_SUMMARY_MIN = 200
#: PostgreSQL reads the visitor's text as exactly the stored word (one lexeme, the same)
SAME_WORD = "websearch_to_tsquery('simple', %s)::text = quote_literal(term)"
#: what a page serves: the search document, the build time and the position stay in the database
SERVED = (
    *("kind", "content_id", "title", "description", "skills", "duration_hours", "language", "pacing"),
    *("start", "end", "price_amount", "price_currency", "image_url", "buy_url", "instructors", "sessions"),
    "course_ids",
)
logger = logging.getLogger(__name__)


@dataclass
class CatalogPage:
    count: int
    page: int
    page_size: int
    results: list
    facets: dict


#: seconds a customer's public state (id, origins, version) is kept in the cache; a build, a change of a
#: connection or of the customer forgets it at once (``forget_state``)
STATE_SECONDS = 60


@dataclass(frozen=True)
class PublicState:
    customer_id: object
    origins: list[str]
    version: object


def _state_key(slug: str) -> str:
    return f"training-data:state:{slug}"


def public_state(slug: str) -> PublicState | None:
    """The public catalog's customer (active, by slug), its allowed origins and its read model's version;
    None when it has no public catalog (unknown or inactive customer, no active connection). Kept in the
    cache for ``STATE_SECONDS``: a page served from the cache then reads nothing from the database."""
    from enterprise.models import EnterpriseCustomer

    key = _state_key(slug)
    kept = cache.get(key)
    if kept is not None:
        return kept or None  # False: known to have no public catalog
    customer_id = EnterpriseCustomer.objects.filter(active=True, slug=slug).values_list("pk", flat=True).first()
    origins = None if customer_id is None else allowed_origins(customer_id)
    state = None if origins is None else PublicState(customer_id, origins, catalog_version(customer_id))
    cache.set(key, state or False, STATE_SECONDS)
    return state


def forget_state(slug: str) -> None:
    cache.delete(_state_key(slug))


def allowed_origins(customer_id) -> list[str] | None:
    """The origins of the customer's active connections; None when it has none (no public catalog)."""
    texts = list(
        TrainingDataAccessConfiguration.objects.filter(customer_id=customer_id, active=True).values_list(
            "allowed_origins", flat=True
        )
    )
    if not texts:
        return None
    origins: list[str] = []
    for text in texts:
        try:
            origins += TrainingDataAccessConfiguration(allowed_origins=text).origins()
        except ValidationError:
            logger.warning("A Training Data Access connection has invalid allowed origins: ignored.")
    return sorted(set(origins))


def catalog_version(customer_id):
    """What identifies the read model's contents: the last build's time (a build replaces every row and
    stamps them all): the summary's, one primary-key read; a read model built before summaries existed,
    the entries' latest (index ``training_data_built``)."""
    built = CatalogSummary.objects.filter(customer_id=customer_id).values_list("built_at", flat=True).first()
    if built is not None:
        return built
    return CatalogEntry.objects.filter(customer_id=customer_id).aggregate(built=Max("built_at"))["built"]


def catalog_page(
    customer_id,
    *,
    q="",
    kind=None,
    language=None,
    skill=None,
    currency=None,
    min_price=None,
    max_price=None,
    page=1,
    page_size=20,
) -> CatalogPage:
    entries = CatalogEntry.objects.filter(customer_id=customer_id)
    offset = (page - 1) * page_size
    filtered = (
        terms_of(q)
        or any(v is not None and v != "" for v in (kind, language, skill, currency))
        or (min_price is not None or max_price is not None)
    )
    summary = None if filtered else CatalogSummary.objects.filter(customer_id=customer_id).first()
    if summary is not None:  # the unfiltered listing: 2 queries, a range of positions
        results = list(
            entries.filter(position__gt=offset, position__lte=offset + page_size).order_by("position").only(*SERVED)
        )
        return CatalogPage(count=summary.count, page=page, page_size=page_size, results=results, facets=summary.facets)
    if q:
        entries = matching(entries, q)
    if kind:
        entries = entries.filter(kind=kind)
    if language:
        entries = entries.filter(language=language)
    if skill:
        entries = entries.filter(
            pk__in=SkillFacet.objects.filter(customer_id=customer_id, name=skill).values("entry_id")
        )
    if currency:
        entries = entries.filter(price_currency=currency)
    if min_price is not None:
        entries = entries.filter(price_amount__gte=min_price)
    if max_price is not None:
        entries = entries.filter(price_amount__lte=max_price)
    other_filters = any(v is not None and v != "" for v in (kind, language, skill, currency, min_price, max_price))
    stored = None if other_filters else stored_term(customer_id, q)
    count, facets = stored or count_and_facets(entries)
    results = (
        list(entries.order_by("title", "content_id").only(*SERVED)[offset : offset + page_size])
        if offset < count
        else []
    )
    return CatalogPage(count=count, page=page, page_size=page_size, results=results, facets=facets)


def count_and_facets(entries) -> tuple[int, dict]:
    """The number of ``entries`` and their kind, language and skill facets (the ``FACET_SIZE`` commonest
    values of each, most common first, then by value), reading the matching rows once: one query grouped
    by (kind, language, skills) — as many rows as distinct combinations, far fewer than the matches in
    a catalog whose courses share skills — summed up here."""
    return summed(entries.order_by().values_list("kind", "language", "skills").annotate(n=Count("pk")))


def summed(grouped) -> tuple[int, dict]:
    """The count and facets of ``(kind, language, skills, number of entries)`` rows (``count_and_facets``)."""
    counts: dict[str, dict[str, int]] = {"kind": {}, "language": {}, "skill": {}}
    total = 0
    for kind, language, skills, n in grouped:
        total += n
        counts["kind"][kind] = counts["kind"].get(kind, 0) + n
        if language:
            counts["language"][language] = counts["language"].get(language, 0) + n
        for name in skills or ():
            counts["skill"][name] = counts["skill"].get(name, 0) + n
    return total, {name: _top(values) for name, values in counts.items()}


def stored_term(customer_id, q: str) -> tuple[int, dict] | None:
    """The count and facets the build stored for a one-word search (``CatalogTermSummary``, PostgreSQL);
    None when ``q`` is not one plain word, the word is rarer than ``TERM_SUMMARY_MIN`` or the read model
    has no term summaries (counted when asked then). The row is used only when PostgreSQL reads the
    visitor's text as exactly that word, so the stored figures are those of the search's own match."""
    terms = terms_of(q)
    if connection.vendor != "postgresql" or len(terms) != 1 or not (terms[0].isascii() and terms[0].isalnum()):
        return None
    agrees = RawSQL(SAME_WORD, [" ".join(terms)], output_field=BooleanField())  # noqa: S611 - constant SQL
    return (
        CatalogTermSummary.objects.filter(customer_id=customer_id, term=terms[0].lower())
        .filter(agrees)
        .values_list("count", "facets")
        .first()
    )


def summarise_terms(customer_id) -> int:
    """Store the count and facets of every word found in at least ``TERM_SUMMARY_MIN`` of the customer's
    entries (PostgreSQL; elsewhere nothing): one statement unnests each entry's search vector, groups
    by (word, kind, language, skills) and keeps the words common enough. Returns the words stored."""
    CatalogTermSummary.objects.filter(customer_id=customer_id).delete()
    if connection.vendor != "postgresql":
        return 0
    table = connection.ops.quote_name(CatalogEntry._meta.db_table)
    by_word: dict[str, list] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT word, kind, language, skills, n FROM ("  # noqa: S608 - the table name from the model
            " SELECT w.word, e.kind, e.language, e.skills, count(*) AS n,"
            " sum(count(*)) OVER (PARTITION BY w.word) AS matches"
            f" FROM {table} e, unnest(tsvector_to_array(e.search_vector)) AS w(word)"
            " WHERE e.customer_id = %s AND length(w.word) <= %s GROUP BY 1, 2, 3, 4"
            ") grouped WHERE matches >= %s",
            [customer_id, CatalogTermSummary._meta.get_field("term").max_length, TERM_SUMMARY_MIN],
        )
        for word, kind, language, skills, n in cursor:
            by_word.setdefault(word, []).append((kind, language, _list(skills), n))
    rows = []
    for word, grouped in by_word.items():
        count, facets = summed(grouped)
        rows.append(CatalogTermSummary(customer_id=customer_id, term=word, count=count, facets=facets))
    CatalogTermSummary.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def _list(skills) -> list:
    return json.loads(skills) if isinstance(skills, str) else skills


def _top(values: dict[str, int]) -> list[dict]:
    ranked = sorted(values.items(), key=lambda item: (-item[1], item[0]))[:FACET_SIZE]
    return [{"value": value, "count": n} for value, n in ranked]
