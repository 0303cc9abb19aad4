"""Reading the public catalog: a page of entries with facets, in a fixed number of queries."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Count, Max

from integrated_channels.training_data.models import CatalogEntry, SkillFacet, TrainingDataAccessConfiguration
from integrated_channels.training_data.search import matching

FACET_SIZE = 20
logger = logging.getLogger(__name__)


@dataclass
class CatalogPage:
    count: int
    page: int
    page_size: int
    results: list
    facets: dict


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
    stamps them all; index ``training_data_built``: one index probe, whatever the size)."""
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
    count = entries.count()
    offset = (page - 1) * page_size
    results = list(entries.order_by("title", "content_id")[offset : offset + page_size]) if offset < count else []
    facets = {
        "kind": _facet(entries, "kind"),
        "language": _facet(entries.exclude(language=""), "language"),
        "skill": [
            {"value": row["name"], "count": row["n"]}
            for row in SkillFacet.objects.filter(entry__in=entries.values("pk"))
            .values("name")
            .annotate(n=Count("pk"))
            .order_by("-n", "name")[:FACET_SIZE]
        ],
    }
    return CatalogPage(count=count, page=page, page_size=page_size, results=results, facets=facets)


def _facet(entries, field: str) -> list[dict]:
    rows = entries.order_by().values(field).annotate(n=Count("pk")).order_by("-n", field)[:FACET_SIZE]
    return [{"value": row[field], "count": row["n"]} for row in rows]
