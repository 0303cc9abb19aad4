"""The one OAuth 2 client-credentials token store (decisions 0023 and 0183).

Every client of the project that needs a client-credentials token — SAP SuccessFactors, the Open
edX backends, the connectors to come (Microsoft Graph, Zoom, Marketo, Salesforce, Box) — says
*what* to ask with a ``TokenRequest`` (the endpoint, the client id and secret sent as HTTP Basic
or in the body, a form or a JSON body, the grant type and any extra parameter: scope, account_id,
token_type …) and *how* to send it (its own HTTP client, so retries, timeouts and typed errors are
its own). The store does the rest:

- a token is fetched when first needed and used until shortly before it expires (its lifetime
  minus ``min(margin, a tenth of the lifetime)``);
- it is kept in the store's memory and in the ``AccessToken`` table, encrypted, so the next runs,
  the other clients and the other workers use it too: about one token call per token lifetime;
- a token issued for other credentials (a changed secret, scope, endpoint) is never used;
- concurrent clients needing the same token fetch it once: a lock per token in the process, and
  across processes the token's row, locked (``SELECT … FOR UPDATE``) or, before the first
  token, claimed by inserting it (the unique key makes the others wait for that transaction) —
  on databases with row locks (PostgreSQL); SQLite serialises its writers anyway;
- ``with_token_renewal(…)`` replaces a token refused with 401 once, unless another client
  already did, and repeats the call; a second 401 is the caller's error.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class TokenRequest:
    """What to ask a token endpoint for, and for whom.

    ``credentials``: ``"basic"`` sends the client id and secret as HTTP Basic auth, ``"body"`` as
    ``client_id`` / ``client_secret`` fields of the body, ``"none"`` neither: the client proves itself
    with a signed ``assertion`` (RFC 7523 JWT bearer), made afresh for each token call by the
    ``assertion`` callable (not part of the digest: the signing key is, as ``client_secret``). ``body``: ``"form"``
    (application/x-www-form-urlencoded) or ``"json"``. ``params`` are the other fields (``scope``,
    ``account_id``, ``token_type`` …). ``owner`` names what the token belongs to (``channel:3``):
    its tokens go with it; ``subject`` is whom the token acts for ("" the client itself).
    ``purpose`` says so in the operator's words for the log ("learner 4711 of SAP configuration 3");
    without it the log names the subject or the client id.
    """

    url: str
    client_id: str
    client_secret: str
    grant_type: str = "client_credentials"
    credentials: Literal["basic", "body", "none"] = "basic"
    body: Literal["form", "json"] = "form"
    params: Mapping[str, Any] = field(default_factory=dict)
    owner: str = ""
    subject: str = ""
    purpose: str = field(default="", compare=False)
    assertion: Callable[[], str] | None = field(default=None, compare=False, repr=False)

    def __repr__(self):  # never the secret
        return f"<TokenRequest {self.url} client_id={self.client_id!r} owner={self.owner!r} subject={self.subject!r}>"

    @property
    def key(self) -> str:
        """Whom the token is for: one stored token per key."""
        who = [self.owner] if self.owner else [self.url, self.client_id]
        return _hash([*who, self.subject])

    @property
    def digest(self) -> str:
        """A hash of everything the token depends on (a changed secret or scope never reuses a token)."""
        return _hash(
            [self.url, self.client_id, self.client_secret, self.grant_type, self.credentials, self.body, self.params]
        )

    def as_requests_kwargs(self) -> dict:
        """The ``requests`` keyword arguments of the token call (a POST)."""
        fields = {"grant_type": self.grant_type, **self.params}
        kwargs: dict[str, Any] = {}
        if self.assertion is not None:
            fields["assertion"] = self.assertion()
        if self.credentials == "basic":
            kwargs["auth"] = (self.client_id, self.client_secret)
        elif self.credentials == "body":
            fields.update(client_id=self.client_id, client_secret=self.client_secret)
        kwargs["json" if self.body == "json" else "data"] = fields
        return kwargs


def _hash(parts) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    """What a token endpoint answered."""

    value: str
    expires_in: float
    token_type: str = "Bearer"  # noqa: S105 (a token type, not a secret)


def read_token_answer(body: Any) -> IssuedToken:
    """The token of an RFC 6749 answer (``access_token``, ``expires_in``, ``token_type``); ValueError when unusable."""
    token = body.get("access_token") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token:
        raise ValueError("the token answer has no access_token")
    expires_in = body.get("expires_in")
    try:
        seconds = -1.0 if isinstance(expires_in, bool) else float(expires_in)
    except (TypeError, ValueError):
        seconds = -1.0
    if seconds <= 0:
        raise ValueError("the token answer has no valid expires_in")
    return IssuedToken(token, seconds, str(body.get("token_type") or "Bearer"))


@dataclass(frozen=True)
class Token:
    value: str
    token_type: str
    usable_until: datetime.datetime
    digest: str

    def fresh(self, now: datetime.datetime) -> bool:
        return now < self.usable_until


_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _lock(key: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(key, threading.Lock())


class TokenStore:
    """Tokens in memory (for this store's life) and in the ``AccessToken`` table (for everyone).

    ``margin``: seconds before expiry at which a token is replaced (capped at a tenth of its
    lifetime). ``now`` can be replaced (tests).
    """

    def __init__(
        self, *, margin: float | Callable[[], float] = 60.0, now: Callable[[], datetime.datetime] = timezone.now
    ):
        self.margin = margin  # a number, or a callable read at each fetch (settings may change)
        self.now = now
        self._memory: dict[str, Token] = {}
        self._preloaded: set[str] = set()
        self.fetches = 0

    def clear(self) -> None:
        self._memory.clear()
        self._preloaded.clear()

    def preload(self, owner: str) -> None:
        """Every stored, unexpired token of ``owner`` in one query (a run's per-learner tokens included)."""
        from enterprise.models import AccessToken

        if not owner or owner in self._preloaded:
            return
        self._preloaded.add(owner)
        rows = AccessToken.objects.filter(owner=owner, expires_at__gt=self.now()).values_list(
            "key", "token", "token_type", "expires_at", "credentials_digest"
        )
        for key, value, token_type, until, digest in rows:
            self._memory.setdefault(key, Token(value, token_type, until, digest))

    def get(
        self,
        request: TokenRequest,
        fetch: Callable[[TokenRequest], IssuedToken],
        *,
        refused: Token | None = None,
    ) -> Token:
        """A usable token for ``request``; ``fetch(request)`` asks the endpoint when there is none.

        ``refused``: a token the remote refused (401): it is replaced, unless another client
        already replaced it.
        """
        key, digest = request.key, request.digest
        token = self._usable(self._memory.get(key), digest, refused)
        if token is not None:
            return token
        with _lock(key), transaction.atomic():
            stored = self._stored(key)
            if stored is None and connection.features.has_select_for_update:
                stored = self._claim(request)
            token = self._usable(stored, digest, refused)
            if token is None:
                token = self._fetch(request, fetch)
        self._memory[key] = token
        return token

    def _usable(self, token: Token | None, digest: str, refused: Token | None) -> Token | None:
        if token is None or token.digest != digest or not token.fresh(self.now()):
            return None
        if refused is not None and token.value == refused.value:
            return None
        return token

    def _stored(self, key: str) -> Token | None:
        from enterprise.models import AccessToken

        row = (
            AccessToken.objects.select_for_update()
            .filter(key=key)
            .values_list("token", "token_type", "expires_at", "credentials_digest")
            .first()
        )
        return Token(*row) if row else None

    def _claim(self, request: TokenRequest) -> Token | None:
        """Insert the token's row, empty, before fetching it: another process that needs the same
        token waits on the row's unique key until this transaction ends, then finds the token.
        None once claimed; the other process's token when it claimed the row first."""
        from enterprise.models import AccessToken

        try:
            with transaction.atomic():
                AccessToken.objects.create(
                    key=request.key,
                    owner=request.owner,
                    subject=request.subject,
                    token="",
                    credentials_digest="",
                    expires_at=datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC),
                )
        except IntegrityError:
            return self._stored(request.key)
        return None

    def _fetch(self, request: TokenRequest, fetch: Callable[[TokenRequest], IssuedToken]) -> Token:
        from enterprise.models import AccessToken

        started = self.now()
        self.fetches += 1
        issued = fetch(request)
        margin = min(float(self.margin() if callable(self.margin) else self.margin), issued.expires_in / 10)
        token = Token(
            issued.value,
            issued.token_type,
            started + datetime.timedelta(seconds=issued.expires_in - margin),
            request.digest,
        )
        fields = {
            "owner": request.owner,
            "subject": request.subject,
            "token": token.value,
            "token_type": token.token_type,
            "expires_at": token.usable_until,
            "credentials_digest": token.digest,
        }
        if not AccessToken.objects.filter(key=request.key).update(**fields):  # the row locked or claimed, else none
            try:
                with transaction.atomic():
                    AccessToken.objects.create(key=request.key, **fields)
            except IntegrityError:  # stored by another process meanwhile: ours is as good
                AccessToken.objects.filter(key=request.key).update(**fields)
        logger.info(
            "New access token for %s from %s (usable %.0f s)",
            request.purpose or (f"subject {request.subject}" if request.subject else f"client {request.client_id}"),
            request.url,
            issued.expires_in - margin,
        )
        return token


def with_token_renewal(token: Callable[..., Token], call: Callable[[Token], T]) -> T:
    """``call(token())``; when it raises an error whose ``status_code`` is 401, once more with a new token.

    ``token(refused=…)`` must give a token other than the refused one (``TokenStore.get`` does,
    unless another client already replaced it). A second 401 is the caller's error.
    """
    current = token()
    try:
        return call(current)
    except Exception as exc:
        if getattr(exc, "status_code", None) != 401:
            raise
        logger.info("The remote refused the access token (401): replacing it once")
    return call(token(refused=current))
