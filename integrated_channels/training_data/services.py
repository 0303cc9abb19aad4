"""Reading the public catalog: a page of entries with facets, in a fixed number of queries.

The unfiltered listing (what a visitor sees first) reads nothing but its page: the number of entries and
the facets are stored by the build (``CatalogSummary``) and a page is a range of the entries' stored
``position``, however deep. A search or a filter reads its matches once for the count and the three
facets together (one query grouped by kind, language and skills) and once for its page (decision 0460).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import Count, Max

from integrated_channels.training_data.models import (
    CatalogEntry,
    CatalogSummary,
    SkillFacet,
    TrainingDataAccessConfiguration,
)
from integrated_channels.training_data.search import matching, terms_of

FACET_SIZE = 20
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
    count, facets = count_and_facets(entries)
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
    counts: dict[str, dict[str, int]] = {"kind": {}, "language": {}, "skill": {}}
    total = 0
    grouped = entries.order_by().values_list("kind", "language", "skills").annotate(n=Count("pk"))
    for kind, language, skills, n in grouped:
        total += n
        counts["kind"][kind] = counts["kind"].get(kind, 0) + n
        if language:
            counts["language"][language] = counts["language"].get(language, 0) + n
        for name in skills or ():
            counts["skill"][name] = counts["skill"].get(name, 0) + n
    return total, {name: _top(values) for name, values in counts.items()}


def _top(values: dict[str, int]) -> list[dict]:
    ranked = sorted(values.items(), key=lambda item: (-item[1], item[0]))[:FACET_SIZE]
    return [{"value": value, "count": n} for value, n in ranked]
