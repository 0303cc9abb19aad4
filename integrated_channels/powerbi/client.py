"""The Power BI REST client: Microsoft identity client-credentials token, push semantic models and rows."""

from __future__ import annotations

from urllib.parse import quote

from enterprise.transports.oauth2 import TokenRequest
from integrated_channels.integrated_channel.exceptions import AuthenticationFailed, MalformedResponse
from integrated_channels.integrated_channel.transports.http import JSON_HEADERS, json_data
from integrated_channels.integrated_channel.transports.oauth2 import OAuth2ClientCredentialsTransport, owner_of

SCOPE = "https://analysis.windows.net/powerbi/api/.default"


class PowerBIClient(OAuth2ClientCredentialsTransport):
    name = "Power BI"
    default_retry_after = 60.0

    def token_request(self, subject: str) -> TokenRequest:
        connection = self.configuration
        return TokenRequest(
            url=f"{connection.authority_url.rstrip('/')}/{quote(connection.tenant_id, safe='')}/oauth2/v2.0/token",
            client_id=connection.client_id,
            client_secret=connection.client_secret,
            credentials="body",
            params={"scope": SCOPE},
            owner=owner_of(connection),
            subject=subject,
        )

    def remote_message(self, response) -> str:
        try:
            body = response.json()
        except ValueError:
            return response.text.strip()
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict):  # {"error": {"code": "…", "message": "…"}}
            return ": ".join(str(part) for part in (error.get("code"), error.get("message")) if part)
        if isinstance(body, dict) and body.get("error_description"):  # the token endpoint
            return str(body["error_description"]).splitlines()[0]
        return super().remote_message(response)

    def authorized_request(self, method: str, url: str, *, subject: str = "", headers=None, **kwargs):
        """A call with the bearer token; Power BI refuses an expired or revoked token with 403 TokenExpired
        (not 401): the token is then replaced once, as a 401 would have it."""
        headers = dict(headers or {})

        def call(token):
            return self.request(method, url, headers={**headers, "Authorization": f"Bearer {token.value}"}, **kwargs)

        current = self.token(subject)
        try:
            return call(current)
        except AuthenticationFailed as exc:
            expired = exc.status_code == 401 or (
                exc.status_code == 403 and "TokenExpired" in (exc.remote_message or "")
            )
            if not expired:
                raise
        return call(self.token(subject, refused=current))

    @property
    def base(self) -> str:
        connection = self.configuration
        root = f"{connection.api_url.rstrip('/')}/v1.0/myorg"
        return f"{root}/groups/{connection.workspace_id}" if connection.workspace_id else root

    def _json(self, method: str, url: str, *, what: str, **kwargs):
        response = self.authorized_request(method, url, **kwargs)
        return self.parse_json(response, what=what) if response.content else {}

    def datasets(self) -> list[dict]:
        body = self._json("GET", f"{self.base}/datasets", what="the list of semantic models")
        if not isinstance(body, dict) or not isinstance(body.get("value"), list):
            raise MalformedResponse("Power BI answered the list of semantic models without its value list.")
        return body["value"]

    def create_dataset(self, name: str, tables: list[dict]) -> str:
        body = self._json(
            "POST",
            f"{self.base}/datasets",
            params={"defaultRetentionPolicy": "None"},
            json={"name": name, "defaultMode": "Push", "tables": tables},
            what="the creation of the semantic model",
        )
        if not isinstance(body, dict) or not body.get("id"):
            raise MalformedResponse("Power BI created the semantic model but answered no id.")
        return str(body["id"])

    def tables(self, dataset_id: str) -> list[str]:
        body = self._json("GET", f"{self.base}/datasets/{dataset_id}/tables", what="the list of tables")
        return [str(table.get("name")) for table in (body or {}).get("value", [])]

    def post_rows(self, dataset_id: str, table: str, rows: list[dict]) -> None:
        self.authorized_request(
            "POST",
            f"{self.base}/datasets/{dataset_id}/tables/{quote(table, safe='')}/rows",
            data=json_data({"rows": rows}),
            headers=JSON_HEADERS,
        )

    def put_table(self, dataset_id: str, table: dict) -> None:
        """Create or update one table of the push model (its name and columns)."""
        self.authorized_request(
            "PUT", f"{self.base}/datasets/{dataset_id}/tables/{quote(table['name'], safe='')}", json=table
        )

    def ensure_dataset(self, name: str, tables: list[dict]) -> str:
        """The id of the push semantic model named ``name``, created with ``tables`` when absent."""
        for dataset in self.datasets():
            if dataset.get("name") == name:
                return str(dataset["id"])
        return self.create_dataset(name, tables)
