"""Test connection of Degreed: ask the token endpoint for a new token, then read one page of the catalog."""

from __future__ import annotations

from integrated_channels.degreed.client import COURSES_PATH, DegreedClient
from integrated_channels.integrated_channel.exceptions import TransmissionError
from integrated_channels.integrated_channel.services.connections import ConnectionTest


def test_connection(configuration) -> ConnectionTest:
    with DegreedClient(configuration) as client:
        try:
            request = client.token_request("")
            client.add_secret(request.client_secret)
            token = client.fetch_token(request)
            client.add_secret(token.value)
            client.request(
                "GET",
                client.url(COURSES_PATH),
                params={"limit": 1},
                headers={"Authorization": f"Bearer {token.value}"},
            )
        except TransmissionError as exc:
            return ConnectionTest(ok=False, message=f"Failed: {exc.message}")
    return ConnectionTest(
        ok=True, message=f"Degreed at {configuration.base_url} issued a token and answered the content catalog."
    )


test_connection.__test__ = False
