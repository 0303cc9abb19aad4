"""The LinkedIn Learning API client: token, asset pages, library classifications, activity report pages.

OAuth 2 client credentials (app key and secret in the form body) through the one token store; every
call through the framework's HTTP transport (timeouts, the retry policy honouring Retry-After on 429,
one new token on 401, typed errors). Pages are read with ``start`` / ``count`` until the answer has
no ``next`` link; the filters travel as the API's query parameters.

Each answer is first read only for its paging (``read_page``: msgspec checks the whole JSON and keeps the
elements as raw slices, a tenth of the cost of building them): a run that skips the page by its fingerprint
never builds its elements; one that imports it calls ``AnswerPage.elements`` (decision 0525).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from enterprise.lms.content.pages import digest
from enterprise.transports.oauth2 import TokenRequest
from integrated_channels.integrated_channel.exceptions import ChannelConfigurationError, MalformedResponse
from integrated_channels.integrated_channel.extras import require
from integrated_channels.integrated_channel.transports.oauth2 import OAuth2ClientCredentialsTransport, owner_of

msgspec = require("msgspec", extra="linkedin_learning", app="LinkedIn Learning")

PAGE_SIZE = 100


class _Link(msgspec.Struct):
    rel: Any = None


class _Paging(msgspec.Struct):
    links: list[_Link] | None = None


class _Envelope(msgspec.Struct):
    """What paging needs of an answer; the elements stay raw JSON (other members are ignored)."""

    elements: list[msgspec.Raw]
    paging: _Paging | None = None


_ENVELOPE = msgspec.json.Decoder(_Envelope)


@dataclass
class AnswerPage:
    """One page of a LinkedIn Learning answer: its raw bytes, the number of its elements, whether a ``next``
    link follows, and ``fingerprint``, the digest of its elements' raw JSON (decision 0455) — not of the
    paging, whose links repeat the query, an activity report's ``startedAt`` included, which moves at every
    run (decision 0525); ``elements()`` builds the elements."""

    raw: bytes
    count: int
    has_next: bool
    fingerprint: str
    where: str = "the answer"

    def elements(self) -> list[dict]:
        elements = msgspec.json.decode(self.raw)["elements"]  # valid JSON, a list: read_page checked
        if not all(isinstance(element, dict) for element in elements):
            raise MalformedResponse(f"LinkedIn Learning: {self.where} has no list of objects in elements.")
        return elements


def read_page(raw: bytes, *, where: str = "the answer") -> AnswerPage:
    """``raw`` read for its paging only; ``msgspec.DecodeError`` when it is not JSON, ``msgspec.ValidationError``
    (a subclass) when it has no list in ``elements`` or a paging of another shape."""
    envelope = _ENVELOPE.decode(raw)
    links = (envelope.paging.links if envelope.paging is not None else None) or []
    has_next = any(link.rel == "next" for link in links)
    fingerprint = digest(b",".join(envelope.elements))
    return AnswerPage(raw=raw, count=len(envelope.elements), has_next=has_next, fingerprint=fingerprint, where=where)


class LinkedInLearningClient(OAuth2ClientCredentialsTransport):
    name = "LinkedIn Learning"

    def token_request(self, subject: str) -> TokenRequest:
        config = self.configuration
        return TokenRequest(
            url=config.token_url,
            client_id=config.client_id,
            client_secret=config.client_secret,
            credentials="body",
            body="form",
            owner=owner_of(config),
            subject=subject,
        )

    def _pages(self, path: str, params: dict) -> Iterator[AnswerPage]:
        start = 0
        while True:
            url = self.configuration.api_url.rstrip("/") + path
            response = self.authorized_request("GET", url, params={**params, "start": start, "count": PAGE_SIZE})
            try:
                page = read_page(response.content, where=f"the answer of {path}")
            except msgspec.ValidationError as exc:
                message = f"{self.name}: the answer of {path} has no list of objects in elements."
                raise MalformedResponse(message) from exc
            except msgspec.DecodeError as exc:
                self.parse_json(response, what=f"the page at {start} of {path}")  # not JSON: its MalformedResponse
                raise MalformedResponse(f"{self.name}: the answer of {path} is not JSON msgspec reads.") from exc
            yield page
            if not page.count or not page.has_next:
                return
            start += page.count

    def libraries(self) -> dict[str, str]:
        """``{library name: classification URN}`` of every LinkedIn Learning library."""
        found = {}
        params = {"q": "localeAndType", "type": "LIBRARY", "sourceLocale.language": "en", "sourceLocale.country": "US"}
        for page in self._pages("/v2/learningClassifications", params):
            for element in page.elements():
                name = ((element.get("name") or {}).get("value") or "").strip()
                if name and element.get("urn"):
                    found[name] = element["urn"]
        return found

    def library_urns(self, names: list[str]) -> dict[str, str]:
        """``{library name: classification URN}`` of ``names``; ``ChannelConfigurationError`` naming unknown ones."""
        known = {name.casefold(): (name, urn) for name, urn in self.libraries().items()}
        missing = [name for name in names if name.casefold() not in known]
        if missing:
            listed = ", ".join(sorted(name for name, _urn in known.values()))
            raise ChannelConfigurationError(
                f"Unknown LinkedIn Learning library: {', '.join(missing)} (known: {listed})."
            )
        return dict(known[name.casefold()] for name in names)

    def assets(self, *, languages: list[str], library_urns: list[str]) -> Iterator[AnswerPage]:
        """Pages of courses, retired ones included (so they are marked retired here too)."""
        params = {
            "q": "criteria",
            "assetFilteringCriteria.assetTypes[0]": "COURSE",
            "assetRetrievalCriteria.includeRetired": "true",
            "assetRetrievalCriteria.expandDepth": "1",
        }
        for index, language in enumerate(languages):
            params[f"assetFilteringCriteria.locales[{index}].language"] = language
        for index, urn in enumerate(library_urns):
            params[f"assetFilteringCriteria.classifications[{index}]"] = urn
        yield from self._pages("/v2/learningAssets", params)

    def activity(self, *, since: datetime.datetime, days: int) -> Iterator[AnswerPage]:
        params = {
            "q": "criteria",
            "startedAt": int(since.timestamp() * 1000),
            "timeOffset.unit": "DAY",
            "timeOffset.duration": max(1, days),
            "aggregationCriteria.primary": "INDIVIDUAL",
            "aggregationCriteria.secondary": "CONTENT",
            "assetType": "COURSE",
        }
        yield from self._pages("/v2/learningActivityReports", params)

    def send_learner_data(self, records):
        raise NotImplementedError("LinkedIn Learning is imported from; it receives no learner data.")
