"""Test connection of Canvas: a new access token from the refresh token, then the account's name."""

from __future__ import annotations

from integrated_channels.canvas.client import CanvasClient
from integrated_channels.integrated_channel.exceptions import TransmissionError
from integrated_channels.integrated_channel.services.connections import ConnectionTest


def test_connection(configuration) -> ConnectionTest:
    with CanvasClient(configuration) as client:
        try:
            request = client.token_request("")
            client.add_secret(request.client_secret)
            token = client.fetch_token(request)
            client.add_secret(token.value)
            response = client.request(
                "GET",
                client.url(f"/api/v1/accounts/{configuration.account_id}"),
                headers={"Authorization": f"Bearer {token.value}"},
            )
            account = client.parse_json(response, what="the account")
        except TransmissionError as exc:
            return ConnectionTest(ok=False, message=f"Failed: {exc.message}")
    name = account.get("name", "") if isinstance(account, dict) else ""
    return ConnectionTest(ok=True, message=f"Canvas issued a token and answered for account {name!s}.")


test_connection.__test__ = False
