"""The Marketo Engage REST client: identity token, the 200-with-errors answers, 100 calls per 20 s.

Marketo answers most failures with HTTP 200 and ``{"success": false, "errors": [{"code", "message"}]}``.
They become the framework's typed errors here: 601/602 (token invalid/expired) → the token is
replaced once; 606 (rate), 615 (concurrency) → ``RateLimited`` (transient: the retry policy waits
and tries again); 607 (daily quota) → ``DailyQuotaReached`` (the run stops); anything else
(1003 and the other request-level codes) → ``RemoteRejected`` for the whole call.
"""

from __future__ import annotations

from enterprise.transports.oauth2 import TokenRequest
from enterprise.transports.rate_limit import limiter_for
from integrated_channels.integrated_channel.exceptions import (
    AuthenticationFailed,
    MalformedResponse,
    RateLimited,
    RemoteRejected,
)
from integrated_channels.integrated_channel.transports.http import JSON_HEADERS, json_data
from integrated_channels.integrated_channel.transports.oauth2 import OAuth2ClientCredentialsTransport, owner_of

BATCH = 300  # records per call: leads, custom objects, activities
CALLS, WINDOW = 100, 20.0  # per instance
TOKEN_CODES, RATE_CODES, QUOTA_CODE = {"601", "602"}, {"606", "615"}, "607"


class DailyQuotaReached(RateLimited):
    code = "daily_quota_reached"
    transient = False


class MarketoClient(OAuth2ClientCredentialsTransport):
    name = "Marketo"
    default_retry_after = WINDOW

    def _limiter(self):
        return limiter_for(
            self.host_of(self.configuration.instance_url),
            "marketo",
            CALLS,
            clock=self.clock,
            wait=self.wait,
            window=WINDOW,
        )

    def token_request(self, subject: str) -> TokenRequest:
        connection = self.configuration
        return TokenRequest(
            url=f"{connection.instance_url.rstrip('/')}/identity/oauth/token",
            client_id=connection.client_id,
            client_secret=connection.client_secret,
            credentials="body",
            owner=owner_of(connection),
            subject=subject,
        )

    def attempt(self, method: str, url: str, **kwargs):
        """One try; a 200 whose body says ``success: false`` raises the error its code means."""
        response = super().attempt(method, url, **kwargs)
        if "/identity/" in url:
            return response
        body = self.parse_json(response, what=url.rsplit("/rest/", 1)[-1])
        if not isinstance(body, dict):
            raise MalformedResponse("Marketo answered with a body that is not an object.", url=url)
        if body.get("success") is False:
            errors = body.get("errors") or [{}]
            code, message = str(errors[0].get("code", "")), self.redact(str(errors[0].get("message", "")))
            text = f"Marketo error {code}: {message}"
            if code in TOKEN_CODES:
                raise AuthenticationFailed(text, status_code=401, remote_message=message, url=url)
            if code == QUOTA_CODE:
                raise DailyQuotaReached(text + " (the daily quota is spent; the next run goes on).", url=url)
            if code in RATE_CODES:
                raise RateLimited(text, retry_after=WINDOW, remote_message=message, url=url)
            raise RemoteRejected(text, remote_message=message, url=url)
        response.marketo = body
        return response

    def call(self, method: str, path: str, **kwargs) -> dict:
        url = f"{self.configuration.instance_url.rstrip('/')}/rest/v1/{path}"
        return self.authorized_request(method, url, **kwargs).marketo

    # What the connector uses
    def lead_fields(self) -> list[str]:
        body = self.call("GET", "leads/describe.json")
        return sorted(
            str((field.get("rest") or {}).get("name")) for field in body.get("result", []) if field.get("rest")
        )

    def object_fields(self, api_name: str) -> list[str] | None:
        """The field names of an approved custom object (``describe``), or ``None`` when it does not exist."""
        if not self.object_exists(api_name):
            return None
        body = self.call("GET", f"customobjects/{api_name}/describe.json")
        return sorted(
            {str(field.get("name")) for item in body.get("result", []) for field in item.get("fields", [])} - {"None"}
        )

    def sync_leads(self, leads: list[dict]) -> list[dict]:
        body = self.call(
            "POST", "leads.json", json={"action": "createOrUpdate", "lookupField": "email", "input": leads}
        )
        return body.get("result", [])

    def sync_objects(self, api_name: str, records: list[dict]) -> list[dict]:
        body = self.call(
            "POST",
            f"customobjects/{api_name}.json",
            data=json_data({"action": "createOrUpdate", "dedupeBy": "dedupeFields", "input": records}),
            headers=JSON_HEADERS,
        )
        return body.get("result", [])

    def lead_ids(self, emails: list[str]) -> dict[str, int]:
        """Marketo lead ids by lower-cased e-mail, 300 addresses per call (lookup by e-mail)."""
        found: dict[str, int] = {}
        unique = sorted({email.lower() for email in emails if email})
        for start in range(0, len(unique), BATCH):
            chunk = unique[start : start + BATCH]
            body = self.call(
                "GET",
                "leads.json",
                params={"filterType": "email", "filterValues": ",".join(chunk), "fields": "id,email"},
            )
            for lead in body.get("result", []):
                found.setdefault(str(lead.get("email", "")).lower(), int(lead["id"]))
        return found

    def add_activities(self, activities: list[dict]) -> list[dict]:
        return self.call("POST", "activities/external.json", json={"input": activities}).get("result", [])

    def object_exists(self, api_name: str) -> bool:
        body = self.call("GET", "customobjects/schema.json", params={"names": api_name})
        return any(item.get("apiName") == api_name for item in body.get("result", []))

    def create_object(self, schema: dict, fields: list[dict]) -> None:
        self.call("POST", "customobjects/schema.json", json={"action": "createOnly", **schema})
        self.call("POST", f"customobjects/schema/{schema['apiName']}/addField.json", json={"input": fields})
        self.call("POST", f"customobjects/schema/{schema['apiName']}/approve.json")
