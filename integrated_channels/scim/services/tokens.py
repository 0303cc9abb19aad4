"""SCIM bearer tokens: created for one customer, shown once, stored as their SHA-256, revocable."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from enterprise.models import EnterpriseCustomer
from integrated_channels.scim.exceptions import Unauthorized
from integrated_channels.scim.models import ScimToken

#: ``last_used`` is written at most this often per token (not one UPDATE per request).
LAST_USED_RESOLUTION = timedelta(minutes=5)


@dataclass(frozen=True)
class NewToken:
    token: ScimToken
    secret: str  # the bearer token itself: shown once, never stored


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def find_customer(reference: str) -> EnterpriseCustomer:
    """The customer named by ``reference``, its slug or its uuid; ``EnterpriseCustomer.DoesNotExist`` otherwise."""
    query = Q(slug=reference)
    try:
        import uuid

        query |= Q(uuid=uuid.UUID(reference))
    except ValueError:
        pass
    return EnterpriseCustomer.objects.get(query)


def create_token(*, customer: EnterpriseCustomer, name: str = "") -> NewToken:
    """A new token of ``customer``; the secret is 43 URL-safe characters (256 random bits)."""
    secret = secrets.token_urlsafe(32)
    token = ScimToken.objects.create(customer=customer, name=name, key_hash=_digest(secret), prefix=secret[:8])
    return NewToken(token, secret)


def authenticate(authorization: str) -> ScimToken:
    """The active token of an ``Authorization: Bearer …`` header; ``Unauthorized`` otherwise (one query)."""
    scheme, _space, secret = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthorized("Authenticate with 'Authorization: Bearer <token>' (manage.py create_scim_token).")
    token = (
        ScimToken.objects.select_related("customer")
        .filter(key_hash=_digest(secret.strip()), revoked__isnull=True)
        .first()
    )
    if token is None:
        raise Unauthorized("The bearer token is unknown or revoked.")
    now = timezone.now()
    if token.last_used is None or now - token.last_used > LAST_USED_RESOLUTION:
        ScimToken.objects.filter(pk=token.pk).update(last_used=now)
        token.last_used = now
    return token


def revoke(*, tokens) -> int:
    """Revoke the still active tokens of the queryset ``tokens``; return how many."""
    return tokens.filter(revoked__isnull=True).update(revoked=timezone.now())
