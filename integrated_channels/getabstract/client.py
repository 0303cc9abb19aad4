"""The getAbstract API client: a client-credentials token and the metadata of summaries, 100 ids a call."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from enterprise.transports.oauth2 import TokenRequest
from integrated_channels.integrated_channel.exceptions import MalformedResponse
from integrated_channels.integrated_channel.transports.oauth2 import OAuth2ClientCredentialsTransport, owner_of

IDS_PER_CALL = 100


class GetAbstractClient(OAuth2ClientCredentialsTransport):
    name = "getAbstract"

    def token_request(self, subject: str) -> TokenRequest:
        config = self.configuration
        return TokenRequest(
            url=config.api_url.rstrip("/") + "/api/oauth/token",
            client_id=config.client_id,
            client_secret=config.client_secret,
            credentials="basic",
            body="form",
            owner=owner_of(config),
            subject=subject,
        )

    def summaries(self, ids: Iterable[str]) -> Iterator[dict]:
        """The metadata of the summaries among ``ids`` getAbstract knows (unknown ids are left out)."""
        wanted = sorted(set(ids), key=lambda value: (len(value), value))
        url = self.configuration.api_url.rstrip("/") + "/api/library/v2/summaries"
        for start in range(0, len(wanted), IDS_PER_CALL):
            chunk = wanted[start : start + IDS_PER_CALL]
            response = self.authorized_request(
                "GET", url, params={"ids": ",".join(chunk), "language": self.configuration.language}
            )
            body = self.parse_json(response, what="the summaries")
            items = body.get("items") if isinstance(body, dict) else None
            if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
                raise MalformedResponse(f"{self.name}: the summaries answer has no items list.")
            yield from items
