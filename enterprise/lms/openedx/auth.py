"""OAuth2 client-credentials tokens (JWT) of the Open edX LMS, cached per process until shortly before expiry.

The LMS issues them at ``/oauth2/access_token`` (Django OAuth Toolkit) for
``grant_type=client_credentials`` and, with ``token_type=jwt``, as a JWT signed by the LMS that
every Open edX service accepts in ``Authorization: JWT <token>``. The token carries the identity
of the OAuth2 application's user (``preferred_username``).
"""

from __future__ import annotations

import base64
import json
import threading
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class AccessToken:
    value: str
    scheme: str  # "JWT" or "Bearer", from the answer's token_type
    expires_at: float  # time.monotonic() deadline, margin already taken off
    username: str | None = None

    @property
    def header(self) -> str:
        return f"{self.scheme} {self.value}"

    def fresh(self, now: float | None = None) -> bool:
        return (time.monotonic() if now is None else now) < self.expires_at


def jwt_claims(token: str) -> dict:
    """The payload of a JWT, unverified: the LMS verifies signatures, this side only reads who it names."""
    try:
        payload = token.split(".")[1]
        payload += "=" * (-len(payload) % 4)
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (IndexError, ValueError):
        return {}
    return claims if isinstance(claims, dict) else {}


class TokenCache:
    """Tokens by (token URL, client id), shared by every client of the process.

    Backends are built per call (``enterprise.lms.get_catalog()``), so the cache cannot live on
    an instance: one token serves them all until it is about to expire.
    """

    def __init__(self):
        self._tokens: dict[tuple[str, str], AccessToken] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str]) -> AccessToken | None:
        with self._lock:
            token = self._tokens.get(key)
        return token if token is not None and token.fresh() else None

    def put(self, key: tuple[str, str], token: AccessToken) -> None:
        with self._lock:
            self._tokens[key] = token

    def discard(self, key: tuple[str, str], token: AccessToken) -> None:
        """Forget ``token`` (refused with 401) unless another thread already replaced it."""
        with self._lock:
            if self._tokens.get(key) == token:
                del self._tokens[key]

    def clear(self) -> None:
        with self._lock:
            self._tokens.clear()


token_cache = TokenCache()
