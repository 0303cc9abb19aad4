"""A fake getAbstract API on 127.0.0.1, strict about what it receives.

The connector uses two calls: the OAuth 2 client-credentials token (``POST /api/oauth/token``,
client id and secret as HTTP Basic auth, form body ``grant_type=client_credentials``) and the
metadata of summaries by id (``GET /api/library/v2/summaries?ids=1,2,3&language=en``, at most 100
ids, answered ``{"items": [...]}``; unknown ids are left out). It refuses a wrong client, a missing
or unknown bearer token (401), more than 100 ids, an id that is not a number, an unknown parameter
(400). ``fail`` makes it answer a status once (429 with Retry-After, 500, 401); ``requests`` holds
every call.
"""

from __future__ import annotations

import base64
import secrets
import threading
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from tests.fakes.vendor import PathScriptedFake
from tests.fakes.vendor import Rejected as Refused

TOKEN_PATH = "/api/oauth/token"
SUMMARIES_PATH = "/api/library/v2/summaries"
MAX_IDS = 100


@dataclass
class Summary:
    id: int
    title: str
    language: str = "en"
    minutes: int | None = 10
    tags: tuple[str, ...] = ("Leadership",)
    active: bool = True

    def json(self) -> dict:
        return {
            "id": self.id,
            "title": self.title,
            "abstract": f"The gist of {self.title}.",
            "language": self.language,
            "readingTimeMinutes": self.minutes,
            "url": f"https://www.getabstract.com/{self.language}/summary/{self.id}",
            "tags": list(self.tags),
            "active": self.active,
        }


@dataclass
class FakeGetAbstract(PathScriptedFake):
    client_id: str = "ga-client"
    client_secret: str = "ga-secret-789"
    summaries: dict[int, Summary] = field(default_factory=dict)
    requests: list[tuple[str, str, dict]] = field(default_factory=list)
    fail: list[tuple[str, int, dict]] = field(default_factory=list)
    tokens: set[str] = field(default_factory=set)

    def __post_init__(self):
        self._lock = threading.Lock()

    def _route(self, handler, method, path, query, body) -> dict:
        if (method, path) == ("POST", TOKEN_PATH):
            expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
            if handler.headers.get("Authorization") != f"Basic {expected}":
                raise Refused(401, "invalid_client")
            if parse_qs(body.decode()) != {"grant_type": ["client_credentials"]}:
                raise Refused(400, "unsupported_grant_type")
            token = secrets.token_urlsafe(24)
            self.tokens.add(token)
            return {"access_token": token, "token_type": "bearer", "expires_in": 3600}
        if (method, path) != ("GET", SUMMARIES_PATH):
            raise Refused(404, f"No resource {method} {path}")
        value = handler.headers.get("Authorization", "")
        if not value.startswith("Bearer ") or value[len("Bearer ") :] not in self.tokens:
            raise Refused(401, "invalid_token")
        if set(query) - {"ids", "language"}:
            raise Refused(400, f"Unknown parameter(s): {sorted(set(query) - {'ids', 'language'})}")
        ids = [part for part in query.get("ids", "").split(",") if part]
        if not ids or len(ids) > MAX_IDS:
            raise Refused(400, f"Give 1 to {MAX_IDS} ids")
        if not all(part.isdigit() for part in ids):
            raise Refused(400, "ids are numbers")
        return {"items": [self.summaries[int(part)].json() for part in ids if int(part) in self.summaries]}
