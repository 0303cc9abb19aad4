"""A fake LinkedIn Learning API on 127.0.0.1, strict about what it receives.

It speaks what the LinkedIn Learning connector uses: the OAuth 2 client-credentials token
(``POST /oauth/v2/accessToken``, form body with client_id and client_secret), the asset API
(``GET /v2/learningAssets?q=criteria``), the library classifications
(``GET /v2/learningClassifications?q=localeAndType&type=LIBRARY``) and the learner activity reports
(``GET /v2/learningActivityReports?q=criteria``), all paged by ``start`` / ``count`` with
``paging.links`` ``next``. It refuses what the service refuses: an unknown client or secret, a
missing, unknown or expired bearer token (401), an unknown or missing query parameter, a count
over 100, a filter that is not a query parameter it knows (400). Tests can make it answer 429 with
Retry-After, or 401 to a valid token once (``fail``), revoke its tokens (``revoke``) and read every
request it received (``requests``).
"""

from __future__ import annotations

import re
import secrets
import threading
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from tests.fakes.vendor import PathScriptedFake
from tests.fakes.vendor import Rejected as Refused

TOKEN_PATH = "/oauth/v2/accessToken"
ASSETS_PATH = "/v2/learningAssets"
CLASSIFICATIONS_PATH = "/v2/learningClassifications"
REPORTS_PATH = "/v2/learningActivityReports"
MAX_COUNT = 100

ASSET_PARAMS = re.compile(
    r"q|start|count|assetFilteringCriteria\.assetTypes\[0\]|assetFilteringCriteria\.locales\[\d+\]\.language"
    r"|assetFilteringCriteria\.classifications\[\d+\]|assetRetrievalCriteria\.includeRetired"
    r"|assetRetrievalCriteria\.expandDepth"
)
CLASSIFICATION_PARAMS = {"q", "type", "sourceLocale.language", "sourceLocale.country", "start", "count"}
REPORT_PARAMS = {
    "q",
    "start",
    "count",
    "startedAt",
    "timeOffset.unit",
    "timeOffset.duration",
    "aggregationCriteria.primary",
    "aggregationCriteria.secondary",
    "assetType",
}


@dataclass
class Asset:
    urn: str
    title: str
    language: str = "en"
    library: str = "Technology"  # the name of its LIBRARY classification
    description: str = ""
    seconds: int | None = 3600
    retired: bool = False
    topics: tuple[str, ...] = ()

    def json(self, libraries: dict[str, str]) -> dict:
        classifications = [
            {
                "associatedClassification": {
                    "type": "LIBRARY",
                    "urn": libraries[self.library],
                    "name": {"value": self.library},
                }
            }
        ]
        classifications += [
            {
                "associatedClassification": {
                    "type": "TOPIC",
                    "urn": f"urn:li:lyndaCategory:t{n}",
                    "name": {"value": topic},
                }
            }
            for n, topic in enumerate(self.topics)
        ]
        details = {
            "description": {"value": self.description, "locale": {"language": self.language}},
            "availability": "RETIRED" if self.retired else "AVAILABLE",
            "urls": {"webLaunch": f"https://www.linkedin.com/learning/{self.urn.rsplit(':', 1)[-1]}"},
            "classifications": classifications,
        }
        if self.seconds is not None:
            details["timeToComplete"] = {"unit": "SECOND", "duration": self.seconds}
        return {
            "urn": self.urn,
            "type": "COURSE",
            "title": {"value": self.title, "locale": {"language": self.language, "country": "US"}},
            "details": details,
        }


@dataclass
class Activity:
    email: str
    urn: str
    seconds: int | None = None
    percent: int = 0
    first_ms: int = 0
    last_ms: int = 0
    completed: bool = False

    def json(self) -> dict:
        def engagement(kind: str, value: int) -> dict:
            return {
                "engagementType": kind,
                "engagementValue": value,
                "engagementMetricQualifier": "TOTAL",
                "firstEngagedAt": self.first_ms,
                "lastEngagedAt": self.last_ms,
            }

        activities = [engagement("PROGRESS_PERCENTAGE", self.percent), engagement("COMPLETIONS", int(self.completed))]
        if self.seconds is not None:
            activities.append(engagement("SECONDS_VIEWED", self.seconds))
        return {
            "learnerDetails": {"email": self.email, "entity": {"profileUrn": f"urn:li:enterpriseProfile:{self.email}"}},
            "contentDetails": {"contentUrn": self.urn, "name": self.urn},
            "activities": activities,
        }


@dataclass
class FakeLinkedInLearning(PathScriptedFake):
    client_id: str = "app-key-123"
    client_secret: str = "app-secret-456"
    assets: list[Asset] = field(default_factory=list)
    activities: list[Activity] = field(default_factory=list)
    libraries: dict[str, str] = field(
        default_factory=lambda: {"Business": "urn:li:lyndaCategory:1", "Technology": "urn:li:lyndaCategory:2",
                                 "Creative": "urn:li:lyndaCategory:3", "Lynda": "urn:li:lyndaCategory:4"}
    )  # fmt: skip
    requests: list[tuple[str, str, dict]] = field(default_factory=list)  # (method, path, query)
    fail: list[tuple[str, int, dict]] = field(default_factory=list)  # (path, status, headers): answered next
    tokens: set[str] = field(default_factory=set)

    def __post_init__(self):
        self._lock = threading.Lock()

    def revoke(self) -> None:
        self.tokens.clear()

    # Protocol ------------------------------------------------------------------------------------

    def refusal(self, exc: Refused):
        return {"status": exc.status, "serviceErrorCode": 0, "message": exc.message}

    def _route(self, handler, method, path, query, body) -> dict:
        if path == TOKEN_PATH and method == "POST":
            return self._token(handler, body)
        if method != "GET":
            raise Refused(405, f"{method} not allowed on {path}")
        self._authorize(handler)
        if path == ASSETS_PATH:
            return self._assets(query)
        if path == CLASSIFICATIONS_PATH:
            return self._classifications(query)
        if path == REPORTS_PATH:
            return self._reports(query)
        raise Refused(404, f"No resource {path}")

    def _token(self, handler, body: bytes) -> dict:
        if handler.headers.get("Content-Type", "").split(";")[0] != "application/x-www-form-urlencoded":
            raise Refused(400, "The token request must be form-encoded")
        form = {key: values[-1] for key, values in parse_qs(body.decode()).items()}
        if form.get("grant_type") != "client_credentials":
            raise Refused(400, "grant_type must be client_credentials")
        if set(form) != {"grant_type", "client_id", "client_secret"}:
            raise Refused(400, f"Unexpected token parameters: {sorted(form)}")
        if (form["client_id"], form["client_secret"]) != (self.client_id, self.client_secret):
            raise Refused(401, "Client authentication failed")
        token = secrets.token_urlsafe(24)
        self.tokens.add(token)
        return {"access_token": token, "expires_in": 1799}

    def _authorize(self, handler) -> None:
        value = handler.headers.get("Authorization", "")
        if not value.startswith("Bearer ") or value[len("Bearer ") :] not in self.tokens:
            raise Refused(401, "Invalid access token")

    @staticmethod
    def _paging(query: dict, required: dict[str, str]) -> tuple[int, int]:
        for name, value in required.items():
            if query.get(name) != value:
                raise Refused(400, f"Query parameter {name} must be {value!r}, got {query.get(name)!r}")
        try:
            start, count = int(query.get("start", "0")), int(query.get("count", "10"))
        except ValueError:
            raise Refused(400, "start and count must be integers") from None
        if start < 0 or not 1 <= count <= MAX_COUNT:
            raise Refused(400, f"count must be between 1 and {MAX_COUNT}")
        return start, count

    def _page(self, path: str, query: dict, elements: list[dict], start: int, count: int) -> dict:
        page = elements[start : start + count]
        links = []
        if start + count < len(elements):
            following = {**query, "start": str(start + count)}
            links.append({"rel": "next", "type": "application/json",
                          "href": path + "?" + "&".join(f"{k}={v}" for k, v in following.items())})  # fmt: skip
        return {"elements": page, "paging": {"start": start, "count": count, "total": len(elements), "links": links}}

    def _assets(self, query: dict) -> dict:
        unknown = [name for name in query if not ASSET_PARAMS.fullmatch(name)]
        if unknown:
            raise Refused(400, f"Unknown query parameter(s): {unknown}")
        start, count = self._paging(query, {"q": "criteria", "assetFilteringCriteria.assetTypes[0]": "COURSE"})
        languages = {v for k, v in query.items() if k.startswith("assetFilteringCriteria.locales")}
        urns = {v for k, v in query.items() if k.startswith("assetFilteringCriteria.classifications")}
        known = set(self.libraries.values())
        if urns - known:
            raise Refused(400, f"Unknown classification(s): {sorted(urns - known)}")
        include_retired = query.get("assetRetrievalCriteria.includeRetired", "false") == "true"
        selected = [
            asset.json(self.libraries)
            for asset in self.assets
            if (not languages or asset.language in languages)
            and (not urns or self.libraries[asset.library] in urns)
            and (include_retired or not asset.retired)
        ]
        return self._page(ASSETS_PATH, query, selected, start, count)

    def _classifications(self, query: dict) -> dict:
        unknown = set(query) - CLASSIFICATION_PARAMS
        if unknown:
            raise Refused(400, f"Unknown query parameter(s): {sorted(unknown)}")
        start, count = self._paging(query, {"q": "localeAndType", "type": "LIBRARY"})
        elements = [
            {"urn": urn, "type": "LIBRARY", "name": {"value": name, "locale": {"language": "en", "country": "US"}}}
            for name, urn in self.libraries.items()
        ]
        return self._page(CLASSIFICATIONS_PATH, query, elements, start, count)

    def _reports(self, query: dict) -> dict:
        unknown = set(query) - REPORT_PARAMS
        if unknown:
            raise Refused(400, f"Unknown query parameter(s): {sorted(unknown)}")
        start, count = self._paging(
            query,
            {
                "q": "criteria",
                "aggregationCriteria.primary": "INDIVIDUAL",
                "aggregationCriteria.secondary": "CONTENT",
                "assetType": "COURSE",
            },
        )
        try:
            since = int(query["startedAt"])
        except (KeyError, ValueError):
            raise Refused(400, "startedAt (epoch milliseconds) is required") from None
        selected = [activity.json() for activity in self.activities if activity.last_ms >= since]
        return self._page(REPORTS_PATH, query, selected, start, count)
