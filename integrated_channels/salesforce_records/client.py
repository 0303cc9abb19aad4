"""The Salesforce REST client: client-credentials token on My Domain, SOQL, sObject Collections."""

from __future__ import annotations

from urllib.parse import quote

from enterprise.transports.oauth2 import TokenRequest
from integrated_channels.integrated_channel.exceptions import AuthenticationFailed, MalformedResponse
from integrated_channels.integrated_channel.transports.oauth2 import OAuth2ClientCredentialsTransport, owner_of

COLLECTION = 200  # records per sObject Collections call
SESSION_SECONDS = 900  # the shortest session timeout an org can set
EMAILS_PER_QUERY = 100  # keeps a SOQL query's URL well under Salesforce's 16,384 characters


class RequestLimitExceeded(AuthenticationFailed):
    """403 REQUEST_LIMIT_EXCEEDED: the org's API calls of the last 24 hours are spent (no Retry-After)."""

    code = "request_limit_exceeded"
    transient = False


def soql_string(value: str) -> str:
    """A SOQL string literal: backslash and quote escaped."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


class SalesforceClient(OAuth2ClientCredentialsTransport):
    name = "Salesforce"

    def send_learner_data(self, records):
        raise NotImplementedError("Salesforce learning records are exported by their operations.")

    def token_request(self, subject: str) -> TokenRequest:
        connection = self.configuration
        return TokenRequest(
            url=f"{connection.my_domain_url.rstrip('/')}/services/oauth2/token",
            client_id=connection.client_id,
            client_secret=connection.client_secret,
            credentials="body",
            owner=owner_of(connection),
            subject=subject,
        )

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
        """Record ids of ``sobject`` (User or Contact) by lower-cased e-mail, one query per 100 addresses."""
        found: dict[str, str] = {}
        unique = sorted({email.lower() for email in emails if email})
        for start in range(0, len(unique), EMAILS_PER_QUERY):
            chunk = unique[start : start + EMAILS_PER_QUERY]
            active = " AND IsActive = true" if sobject == "User" else ""
            values = ", ".join(map(soql_string, chunk))  # escaped literals; ``sobject`` is User or Contact
            soql = f"SELECT Id, Email FROM {sobject} WHERE Email IN ({values}){active}"  # noqa: S608
            for record in self.query(soql):
                found.setdefault(str(record.get("Email", "")).lower(), record["Id"])
        return found

    def create(self, records: list[dict]) -> list[dict]:
        """sObject Collections create (``allOrNone: false``): one result per record, in order."""
        return self._json("POST", f"{self.data}/composite/sobjects", json={"allOrNone": False, "records": records})

    def upsert(self, sobject: str, external_id_field: str, records: list[dict]) -> list[dict]:
        """sObject Collections upsert by an external id (``allOrNone: false``): one result per record, in order."""
        url = f"{self.data}/composite/sobjects/{quote(sobject)}/{quote(external_id_field)}"
        return self._json("PATCH", url, json={"allOrNone": False, "records": records})

    def describe(self, sobject: str) -> dict:
        return self._json("GET", f"{self.data}/sobjects/{quote(sobject)}/describe")
