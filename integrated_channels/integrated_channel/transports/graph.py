"""Microsoft Graph with an app registration's client credentials: the directory import (Entra ID) and
Microsoft Teams meetings share it.

The configuration carries ``tenant_id``, ``client_id``, ``client_secret`` (write-only), ``login_url``
(Microsoft's identity platform) and ``graph_url``. The token comes from
``{login_url}/{tenant}/oauth2/v2.0/token`` with the ``.default`` scope, through the framework's token
store; Graph's error bodies (``{"error": {"code", "message"}}``) become the remote message and code.
"""

from __future__ import annotations

from urllib.parse import quote

from integrated_channels.integrated_channel.transports.oauth2 import (
    OAuth2ClientCredentialsTransport,
    TokenRequest,
    owner_of,
)

SCOPE = "https://graph.microsoft.com/.default"


class MicrosoftGraphTransport(OAuth2ClientCredentialsTransport):
    name = "Microsoft Graph"
    default_retry_after = 10.0  # Graph sends Retry-After with its 429s; this is for one without

    def token_request(self, subject: str) -> TokenRequest:
        configuration = self.configuration
        tenant = quote(configuration.tenant_id.strip(), safe="")
        return TokenRequest(
            url=f"{configuration.login_url.rstrip('/')}/{tenant}/oauth2/v2.0/token",
            client_id=configuration.client_id.strip(),
            client_secret=configuration.client_secret,
            credentials="body",
            params={"scope": SCOPE},
            owner=owner_of(configuration),
            subject=subject,
        )

    def url(self, path: str) -> str:
        return f"{self.configuration.graph_url.rstrip('/')}/v1.0/{path.lstrip('/')}"

    def remote_message(self, response) -> str:
        try:
            body = response.json()
        except ValueError:
            return response.text.strip()
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict):
            return f"{error.get('code') or 'error'}: {error.get('message') or ''}".strip()
        if isinstance(body, dict) and body.get("error_description"):  # the identity platform's token errors
            return str(body["error_description"])
        return super().remote_message(response)

    @staticmethod
    def error_code(response) -> str:
        """Graph's ``error.code`` of an error answer ("" when it has none)."""
        try:
            found = ((response.json() or {}).get("error") or {}).get("code") if response is not None else None
        except (ValueError, AttributeError):
            return ""
        return found if isinstance(found, str) else ""
