"""The Salesforce REST client: client-credentials token on My Domain, SOQL, sObject Collections."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from urllib.parse import quote, quote_plus

from enterprise.transports.oauth2 import TokenRequest
from integrated_channels.integrated_channel.exceptions import (
    AuthenticationFailed,
    MalformedResponse,
    RemoteServerError,
)
from integrated_channels.integrated_channel.transports.http import JSON_HEADERS, json_data
from integrated_channels.integrated_channel.transports.oauth2 import OAuth2ClientCredentialsTransport, owner_of
from integrated_channels.salesforce.soql import quote as soql_quote

COLLECTION = 200  # records per sObject Collections call
SESSION_SECONDS = 900  # the shortest session timeout an org can set
# Learner look-ups (decision 0470): as many addresses per SOQL query as its GET request allows. A REST
# call's URI and headers together may take 16,384 bytes (414/431 beyond), far less than SOQL's own
# 100,000-character statement limit, so the URL-encoded query is kept to QUERY_URI_BYTES, the rest left
# to the path and the headers (the bearer token, about 120 bytes; the request's other headers). With
# addresses of 20 to 40 characters that is 250 to 400 addresses a query: one query per sObject
# Collections batch of 200 records (its learners resolved together).
SOQL_MAX_CHARS = 100_000
URI_MAX_BYTES = 16_384
QUERY_URI_BYTES = 14_000
# Bulk API 2.0 ingest: one upload per job of at most 150 MB once base64-encoded, so 100 MB of CSV
BULK_UPLOAD_BYTES = 100 * 1024 * 1024
BULK_JOB_BYTES = BULK_UPLOAD_BYTES - 1024 * 1024  # a job's CSV is cut at the first batch of 200 past this
BULK_POLL = (2.0, 30.0)  # seconds between polls of an ingest job: first, then at most
BULK_MAX_WAIT = 3600.0  # a job not finished after this fails the run
BULK_DONE = ("JobComplete", "Failed", "Aborted")


class RequestLimitExceeded(AuthenticationFailed):
    """403 REQUEST_LIMIT_EXCEEDED: the org's API calls of the last 24 hours are spent (no Retry-After)."""

    code = "request_limit_exceeded"
    transient = False


def email_queries(sobject: str, emails: list[str]) -> Iterator[str]:
    """``SELECT Id, Email FROM sobject WHERE Email IN (…)`` over the lower-cased addresses, each query as
    long as ``QUERY_URI_BYTES`` URL-encoded (and ``SOQL_MAX_CHARS``) allow; an address alone never exceeds
    them (254 characters at most)."""
    active = " AND IsActive = true" if sobject == "User" else ""
    head = f"SELECT Id, Email FROM {sobject} WHERE Email IN ("  # noqa: S608 (User or Contact; escaped literals)
    tail = f"){active}"
    fixed_chars = len(head) + len(tail)
    fixed_bytes = len(quote_plus(head)) + len(quote_plus(tail))
    values: list[str] = []
    chars, size = fixed_chars, fixed_bytes
    for email in sorted({email.lower() for email in emails if email}):
        literal = soql_quote(email)
        more_chars, more_bytes = len(literal) + 2, len(quote_plus(literal)) + 4  # ", " between: %2C+
        if values and (size + more_bytes > QUERY_URI_BYTES or chars + more_chars > SOQL_MAX_CHARS):
            yield head + ", ".join(values) + tail
            values, chars, size = [], fixed_chars, fixed_bytes
        values.append(literal)
        chars, size = chars + more_chars, size + more_bytes
    if values:
        yield head + ", ".join(values) + tail


class SalesforceClient(OAuth2ClientCredentialsTransport):
    name = "Salesforce"

    def send_learner_data(self, records):
        raise NotImplementedError("Salesforce learning records are exported by their operations.")

    def token_request(self, subject: str) -> TokenRequest:
        """Client credentials or a JWT bearer assertion, as the connection says (decision 0403)."""
        return self.configuration.token_request(owner=owner_of(self.configuration), subject=subject)

    def parse_json(self, response, *, what: str):
        body = super().parse_json(response, what=what)
        # Salesforce's token answer has no expires_in: a session lasts the org's timeout (15 minutes
        # to 24 hours). The shortest is assumed; a 401 (INVALID_SESSION_ID) replaces a token sooner.
        if what == "the token request" and isinstance(body, dict) and "expires_in" not in body:
            body = {**body, "expires_in": SESSION_SECONDS}
        return body

    def remote_message(self, response) -> str:
        try:
            body = response.json()
        except ValueError:
            return response.text.strip()
        if isinstance(body, list) and body and isinstance(body[0], dict):  # [{"message", "errorCode"}]
            return "; ".join(f"{item.get('errorCode')}: {item.get('message')}" for item in body)
        return super().remote_message(response)

    def error_for(self, response):
        error = super().error_for(response)
        if response.status_code == 403 and "REQUEST_LIMIT_EXCEEDED" in (error.remote_message or ""):
            return RequestLimitExceeded(
                f"Salesforce: the org's API request limit is reached ({error.remote_message}). "
                "The next run goes on once the 24-hour window frees calls.",
                status_code=403,
                remote_message=error.remote_message,
                url=error.url,
            )
        return error

    @property
    def data(self) -> str:
        return f"{self.configuration.my_domain_url.rstrip('/')}/services/data/{self.configuration.api_version}"

    def _json(self, method: str, url: str, **kwargs):
        response = self.authorized_request(method, url, **kwargs)
        return self.parse_json(response, what=url.rsplit("/services/", 1)[-1])

    def query(self, soql: str) -> list[dict]:
        """Every record of a SOQL query, following ``nextRecordsUrl`` until ``done``."""
        body = self._json("GET", f"{self.data}/query", params={"q": soql})
        records = list(body.get("records", []))
        while not body.get("done", True):
            next_url = body.get("nextRecordsUrl")
            if not next_url:
                raise MalformedResponse("Salesforce answered a query that is not done without nextRecordsUrl.")
            body = self._json("GET", f"{self.configuration.my_domain_url.rstrip('/')}{next_url}")
            records += body.get("records", [])
        return records

    def ids_by_email(self, sobject: str, emails: list[str]) -> dict[str, str]:
        """Record ids of ``sobject`` (User or Contact) by lower-cased e-mail: as few queries as the URI allows."""
        found: dict[str, str] = {}
        for soql in email_queries(sobject, emails):
            for record in self.query(soql):
                found.setdefault(str(record.get("Email", "")).lower(), record["Id"])
        return found

    def create(self, records: list[dict]) -> list[dict]:
        """sObject Collections create (``allOrNone: false``): one result per record, in order."""
        return self._json("POST", f"{self.data}/composite/sobjects", json={"allOrNone": False, "records": records})

    def upsert(self, sobject: str, external_id_field: str, records: list[dict]) -> list[dict]:
        """sObject Collections upsert by an external id (``allOrNone: false``): one result per record, in order."""
        url = f"{self.data}/composite/sobjects/{quote(sobject)}/{quote(external_id_field)}"
        return self._json("PATCH", url, data=json_data({"allOrNone": False, "records": records}), headers=JSON_HEADERS)

    def describe(self, sobject: str) -> dict:
        return self._json("GET", f"{self.data}/sobjects/{quote(sobject)}/describe")

    # Bulk API 2.0 ingest (decision 0402)
    def create_ingest_job(self, sobject: str, external_id_field: str) -> dict:
        """An upsert job by ``external_id_field`` taking CSV with LF line endings; Salesforce answers it Open."""
        job = self._json(
            "POST",
            f"{self.data}/jobs/ingest",
            json={
                "object": sobject,
                "externalIdFieldName": external_id_field,
                "contentType": "CSV",
                "operation": "upsert",
                "lineEnding": "LF",
                "columnDelimiter": "COMMA",
            },
        )
        if not isinstance(job, dict) or not job.get("id") or job.get("state") != "Open":
            raise MalformedResponse(f"Salesforce created an ingest job that is not open: {str(job)[:200]}")
        return job

    def upload_job_data(self, job: dict, data: bytes) -> None:
        """The job's CSV, in one PUT to the job's ``contentUrl`` (201, no body)."""
        content_url = (
            job.get("contentUrl") or f"services/data/{self.configuration.api_version}/jobs/ingest/{job['id']}/batches"
        )
        url = f"{self.configuration.my_domain_url.rstrip('/')}/{content_url.lstrip('/')}"
        self.authorized_request("PUT", url, data=data, headers={"Content-Type": "text/csv"})

    def set_job_state(self, job_id: str, state: str) -> dict:
        """``UploadComplete`` (Salesforce processes the job) or ``Aborted``."""
        return self._json("PATCH", f"{self.data}/jobs/ingest/{job_id}", json={"state": state})

    def wait_for_job(self, job_id: str) -> dict:
        """The job's info once JobComplete, Failed or Aborted; polled with growing pauses."""
        waited, delay = 0.0, BULK_POLL[0]
        while True:
            info = self._json("GET", f"{self.data}/jobs/ingest/{job_id}")
            if not isinstance(info, dict):
                raise MalformedResponse(
                    "Salesforce answered the ingest job's state with something else than an object."
                )
            if info.get("state") in BULK_DONE:
                return info
            if waited >= BULK_MAX_WAIT:
                raise RemoteServerError(f"Salesforce ingest job {job_id} not finished after {waited:.0f} s.")
            self.wait(delay)
            waited += delay
            delay = min(delay * 2, BULK_POLL[1])

    def job_results(self, job_id: str, kind: str) -> Iterator[dict[str, str]]:
        """The rows of ``successfulResults``, ``failedResults`` or ``unprocessedrecords`` (CSV)."""
        response = self.authorized_request(
            "GET", f"{self.data}/jobs/ingest/{job_id}/{kind}/", headers={"Accept": "text/csv"}
        )
        try:
            text = response.content.decode("utf-8-sig")
            yield from csv.DictReader(io.StringIO(text, newline=""))
        except (UnicodeDecodeError, csv.Error) as exc:
            raise MalformedResponse(f"Salesforce answered the job's {kind} with unreadable CSV: {exc}") from exc
