"""Test connection of Blackboard Learn: a new access token from the refresh token (a stored one would prove
nothing; the rotated refresh token is kept), then the server's version."""

from __future__ import annotations

from integrated_channels.blackboard.client import API, BlackboardClient
from integrated_channels.integrated_channel.exceptions import TransmissionError
from integrated_channels.integrated_channel.services.connections import ConnectionTest


def test_connection(configuration) -> ConnectionTest:
    with BlackboardClient(configuration) as client:
        try:
            token = client.fetch_token(client.token_request(""))
            response = client.request(
                "GET", client.url(f"{API}/v1/system/version"), headers={"Authorization": f"Bearer {token.value}"}
            )
            version = client.parse_json(response, what="the version")
        except TransmissionError as exc:
            return ConnectionTest(ok=False, message=f"Failed: {exc.message}")
    learn = (version.get("learn") or {}) if isinstance(version, dict) else {}
    number = ".".join(str(learn.get(part, "?")) for part in ("major", "minor", "patch"))
    return ConnectionTest(ok=True, message=f"Blackboard Learn {number} issued a token and answered.")


test_connection.__test__ = False
