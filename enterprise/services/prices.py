"""Which price applies: the customer's own, else the default (customer empty), else none.

Set-based: one query for any number of ids (the catalog read model and the Commerce export
price thousands of courses at once).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from enterprise.models import Price


@dataclass(frozen=True)
class Quote:
    amount: Decimal
    currency: str
    customer_specific: bool


def prices_for(customer_id, content_type: str, content_ids: Iterable[str]) -> dict[str, Quote]:
    """The applicable price of each id that has one, in one query."""
    ids = list(dict.fromkeys(content_ids))
    if not ids:
        return {}
    return _quotes(customer_id, content_type, content_id__in=ids)


def all_prices_for(customer_id, content_type: str) -> dict[str, Quote]:
    """Every price that applies to the customer for one kind of content, in one query."""
    return _quotes(customer_id, content_type)


def _quotes(customer_id, content_type: str, **filters) -> dict[str, Quote]:
    prices = Price.objects.filter(content_type=content_type, **filters)
    rows = prices.filter(customer_id__isnull=True) | prices.filter(customer_id=customer_id)
    quotes: dict[str, Quote] = {}
    for content_id, amount, currency, owner in rows.values_list("content_id", "amount", "currency", "customer_id"):
        if owner is None and content_id in quotes:
            continue  # the customer's own price wins over the default
        quotes[content_id] = Quote(amount=amount, currency=currency, customer_specific=owner is not None)
    return quotes
