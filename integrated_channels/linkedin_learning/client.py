"""The LinkedIn Learning API client: token, asset pages, library classifications, activity report pages.

OAuth 2 client credentials (app key and secret in the form body) through the one token store; every
call through the framework's HTTP transport (timeouts, the retry policy honouring Retry-After on 429,
one new token on 401, typed errors). Pages are read with ``start`` / ``count`` until the answer has
no ``next`` link; the filters travel as the API's query parameters.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator

from enterprise.transports.oauth2 import TokenRequest
from integrated_channels.integrated_channel.exceptions import ChannelConfigurationError, MalformedResponse
from integrated_channels.integrated_channel.transports.oauth2 import OAuth2ClientCredentialsTransport, owner_of

PAGE_SIZE = 100


class LinkedInLearningClient(OAuth2ClientCredentialsTransport):
    name = "LinkedIn Learning"
    last_page: bytes = b""

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

    def _pages(self, path: str, params: dict) -> Iterator[list[dict]]:
        start = 0
        while True:
            url = self.configuration.api_url.rstrip("/") + path
            response = self.authorized_request("GET", url, params={**params, "start": start, "count": PAGE_SIZE})
            self.last_page = response.content  # the raw page, a batch's fingerprint (decision 0455)
            body = self.parse_json(response, what=f"the page at {start} of {path}")
            elements = body.get("elements") if isinstance(body, dict) else None
            if not isinstance(elements, list) or not all(isinstance(element, dict) for element in elements):
                raise MalformedResponse(f"{self.name}: the answer of {path} has no list of objects in elements.")
            yield elements
            links = (body.get("paging") or {}).get("links") or []
            if not elements or not any(link.get("rel") == "next" for link in links):
                return
            start += len(elements)

    def libraries(self) -> dict[str, str]:
        """``{library name: classification URN}`` of every LinkedIn Learning library."""
        found = {}
        params = {"q": "localeAndType", "type": "LIBRARY", "sourceLocale.language": "en", "sourceLocale.country": "US"}
        for page in self._pages("/v2/learningClassifications", params):
            for element in page:
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

    def assets(self, *, languages: list[str], library_urns: list[str]) -> Iterator[list[dict]]:
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

    def activity(self, *, since: datetime.datetime, days: int) -> Iterator[list[dict]]:
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
