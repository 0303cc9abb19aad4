"""Test connection of SAP SuccessFactors: ask the token endpoint for a new OAuth token with the
connection's client and scope (not the token store: a stored token would prove nothing)."""

from __future__ import annotations

from integrated_channels.integrated_channel.exceptions import TransmissionError
from integrated_channels.integrated_channel.services.connections import ConnectionTest
from integrated_channels.sap_success_factors.client import SAPSuccessFactorsClient


def test_connection(configuration) -> ConnectionTest:
    with SAPSuccessFactorsClient(configuration) as client:
        try:
            request = client.token_request("")
            client.add_secret(request.client_secret)
            client.fetch_token(request)
        except TransmissionError as exc:
            return ConnectionTest(ok=False, message=f"Failed: {exc.message}")
    return ConnectionTest(
        ok=True,
        message=(
            f"SAP SuccessFactors at {configuration.base_url} issued a token for company {configuration.company_id} "
            f"and user {configuration.sap_user_id} ({configuration.user_type})."
        ),
    )


test_connection.__test__ = False
