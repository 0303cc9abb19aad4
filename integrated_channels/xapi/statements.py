"""The xAPI statement store: every statement imported from a drop or sent to an LRS, per customer
(``models.XAPIStatement``, decision 0232).

``store`` writes statements set-based (one INSERT … ON CONFLICT DO NOTHING per 1,000), keeping the
first statement of an id: the same file imported twice, or a statement sent again, adds nothing.
A statement without an id gets a UUID5 of its content (the same content, the same id), as the
statement an LRS would have stored is the one it was given.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable, Iterator

from django.utils import timezone

from integrated_channels.integrated_channel.exporters.records import payload_hash
from integrated_channels.xapi import paths
from integrated_channels.xapi.models import XAPIStatement

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:enterprise-learners:xapi:stored-statements")
BATCH = 1000


def identity(statement: dict) -> uuid.UUID:
    """The statement's id; a UUID5 of its content when it has none. ``ValueError`` for an id that is no UUID."""
    value = statement.get("id")
    if value:
        return uuid.UUID(str(value))
    return uuid.uuid5(NAMESPACE, payload_hash(statement))


def actor_of(statement: dict) -> str:
    actor = statement.get("actor") or {}
    if actor.get("mbox"):
        return str(actor["mbox"]).lower()[:320]
    account = actor.get("account") or {}
    if account.get("name"):
        return f"{account.get('homePage', '')}#{account['name']}"[:320]
    return str(actor.get("mbox_sha1sum") or actor.get("openid") or actor.get("name") or "")[:320]


def _timestamp(statement: dict, now: datetime.datetime) -> datetime.datetime:
    value = statement.get("timestamp")
    if not value:
        return now
    try:
        return paths.parse_date(str(value))
    except paths.ValueRefused:
        return now


def rows(customer_id: int, statements: Iterable[dict], *, source: str, run=None) -> Iterator[XAPIStatement]:
    now = timezone.now()
    for statement in statements:
        statement_id = identity(statement)
        raw = {**statement, "id": str(statement_id)}
        yield XAPIStatement(
            customer_id=customer_id,
            statement_id=statement_id,
            actor=actor_of(statement),
            verb=str((statement.get("verb") or {}).get("id", ""))[:1024],
            object_id=str((statement.get("object") or {}).get("id", ""))[:2048],
            result=statement.get("result"),
            context=statement.get("context"),
            timestamp=_timestamp(statement, now),
            raw=raw,
            source=source,
            run=run,
        )


def store(customer_id: int, statements: Iterable[dict], *, source: str, run=None) -> int:
    """Keep ``statements`` for the customer (the ones whose id is already stored are left as they are).

    Returns how many were given. Statements are written 1,000 per query.
    """
    batch: list[XAPIStatement] = []
    count = 0
    for row in rows(customer_id, statements, source=source, run=run):
        batch.append(row)
        count += 1
        if len(batch) == BATCH:
            XAPIStatement.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    if batch:
        XAPIStatement.objects.bulk_create(batch, ignore_conflicts=True)
    return count


def in_range(customer_id: int, start: datetime.datetime, end: datetime.datetime):
    """The customer's statements with ``start <= timestamp < end``, oldest first (a queryset)."""
    return XAPIStatement.objects.filter(customer_id=customer_id, timestamp__gte=start, timestamp__lt=end).order_by(
        "timestamp", "statement_id"
    )
