"""Salesforce's REST API for the import: a token on the org's My Domain, then SOQL.

The token comes from ``{My Domain}/services/oauth2/token`` (``grant_type=client_credentials``, the
connected app's consumer key and secret in the body, or the JWT bearer grant with an RS256-signed
assertion: ``integrated_channels.salesforce.auth``, decision 0403) through the framework's token store; its
answer carries no ``expires_in`` (the session lasts the org's session timeout), so a token is kept
for ``ASSUMED_LIFETIME`` and replaced at once when a call answers 401 (``INVALID_SESSION_ID``).
Queries go to the ``instance_url`` the token answer names. Errors are Salesforce's list
``[{"message", "errorCode"}]``; the API request limit is HTTP 403 ``REQUEST_LIMIT_EXCEEDED`` with no
Retry-After (a 24-hour allowance: not retried, the run fails saying so).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from enterprise.transports.oauth2 import with_token_renewal
from integrated_channels.integrated_channel.exceptions import (
    MalformedResponse,
    RemoteRejected,
    RemoteServerError,
    TransmissionError,
)
from integrated_channels.integrated_channel.transports.oauth2 import (
    IssuedToken,
    OAuth2ClientCredentialsTransport,
    TokenRequest,
    TokenRequestFailed,
    owner_of,
)

ASSUMED_LIFETIME = 3600.0  # seconds; a 401 replaces a token sooner
BULK_RESULTS = 50_000  # records per Bulk API 2.0 results call (maxRecords)
BULK_POLL = (1.0, 10.0)  # seconds between polls of a query job: first, then at most
BULK_MAX_WAIT = 1800.0  # a job not complete after this fails the run
BATCH_SIZE = 2000  # records per query page (Sforce-Query-Options batchSize: 200-2000)


class SalesforceClient(OAuth2ClientCredentialsTransport):
    name = "Salesforce"

    def __init__(self, configuration, **kwargs):
        super().__init__(configuration, **kwargs)
        self.instance_url = configuration.my_domain_url.rstrip("/")

    def token_request(self, subject: str) -> TokenRequest:
        """Client credentials or a JWT bearer assertion, as the connection says (decision 0403)."""
        return self.configuration.token_request(owner=owner_of(self.configuration), subject=subject)

    def fetch_token(self, request: TokenRequest) -> IssuedToken:
        try:
            response = self.request("POST", request.url, **request.as_requests_kwargs())
            body = self.parse_json(response, what="the token request")
        except TransmissionError as exc:
            raise TokenRequestFailed(
                f"{self.name} token request failed: {exc.message}",
                transient=exc.transient,
                status_code=exc.status_code,
                remote_message=exc.remote_message,
                url=request.url,
            ) from exc
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise TokenRequestFailed(f"{self.name}: the token answer has no access_token.")
        self.add_secret(token)
        return IssuedToken(token, ASSUMED_LIFETIME, str(body.get("token_type") or "Bearer"))

    def remote_message(self, response) -> str:
        try:
            body = response.json()
        except ValueError:
            return response.text.strip()
        if isinstance(body, list) and body and isinstance(body[0], dict):
            return "; ".join(f"{e.get('errorCode', 'ERROR')}: {e.get('message', '')}" for e in body)
        return super().remote_message(response)

    def call(self, method: str, url: str, *, what: str, **kwargs):
        """One API call with the session token (renewed once on 401); the response."""
        full = url if "://" in url else f"{self.instance_url}{url}"

        def attempt(token):
            headers = {"Authorization": f"Bearer {token.value}", **kwargs.pop("headers", {})}
            return self.request(method, full, headers=headers, **kwargs)

        return with_token_renewal(self.token, attempt)

    def bulk_query(self, version: str, soql: str) -> Iterator[list[dict[str, str]]]:
        """A Bulk API 2.0 query job: created, polled until JobComplete, its CSV results read page by page."""
        base = f"/services/data/{version}/jobs/query"
        job = self.parse_json(
            self.call("POST", base, what="the query job", json={"operation": "query", "query": soql}),
            what="the query job",
        )
        job_id = job.get("id") if isinstance(job, dict) else None
        if not job_id:
            raise MalformedResponse(f"{self.name} created a query job without an id.")
        waited, delay = 0.0, BULK_POLL[0]
        while True:
            state = self.parse_json(self.call("GET", f"{base}/{job_id}", what="the job state"), what="the job state")
            status = state.get("state") if isinstance(state, dict) else None
            if status == "JobComplete":
                break
            if status in ("Failed", "Aborted"):
                raise RemoteRejected(f"{self.name} query job {job_id} {status}: {state.get('errorMessage') or ''}")
            if waited >= BULK_MAX_WAIT:
                raise RemoteServerError(f"{self.name} query job {job_id} not complete after {waited:.0f} s.")
            self.wait(delay)
            waited += delay
            delay = min(delay * 2, BULK_POLL[1])
        locator = None
        while True:
            params = {"maxRecords": BULK_RESULTS, **({"locator": locator} if locator else {})}
            response = self.call(
                "GET", f"{base}/{job_id}/results", what="the job results", params=params, headers={"Accept": "text/csv"}
            )
            try:
                records = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
            except (UnicodeDecodeError, csv.Error) as exc:
                raise MalformedResponse(f"{self.name} answered the job results with unreadable CSV: {exc}") from exc
            yield records
            locator = response.headers.get("Sforce-Locator")
            if not locator or locator == "null":
                return

    def get(self, url: str, *, params=None, what: str = "a page") -> dict:
        full = url if "://" in url else f"{self.instance_url}{url}"

        def call(token):
            return self.request(
                "GET",
                full,
                params=params,
                headers={
                    "Authorization": f"Bearer {token.value}",
                    "Sforce-Query-Options": f"batchSize={BATCH_SIZE}",
                },
            )

        body = self.parse_json(with_token_renewal(self.token, call), what=what)
        if not isinstance(body, dict):
            raise MalformedResponse(f"{self.name} answered {what} with {type(body).__name__}, not an object.")
        return body
