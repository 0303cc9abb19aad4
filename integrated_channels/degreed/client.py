"""Degreed client: OAuth 2 client credentials and the v2 content and completions APIs (JSON:API).

- Token: POST ``/oauth/token`` (form: grant_type=client_credentials, client_id, client_secret,
  scope) on the token host; the shared token store keeps it until shortly before it expires.
- Courses: POST ``/api/v2/content/courses`` creates one course (``{"data": {"type":
  "content/courses", "attributes": {...}}}``) and answers its Degreed id, kept in ``RemoteCourse``;
  PATCH ``/api/v2/content/courses/{id}`` updates it, DELETE withdraws it. A course Degreed already
  has (409, e.g. created before this platform kept its id) is found by
  ``GET …?filter[external_id]=…`` and updated. Its skills are set with PATCH
  ``/api/v2/content/courses/{id}/relationships/skills`` (the full list, JSON:API relationship).
- Completions: POST ``/api/v2/completions``, one per call (the API takes no arrays). A 409 means
  Degreed already holds this learner's completion of this content: accepted.
"""

from __future__ import annotations

from urllib.parse import quote

from integrated_channels.integrated_channel.exceptions import (
    AuthenticationFailed,
    MalformedResponse,
    RemoteRejected,
    TransmissionError,
)
from integrated_channels.integrated_channel.models import RemoteCourse
from integrated_channels.integrated_channel.transports.base import Outcome, failed
from integrated_channels.integrated_channel.transports.oauth2 import (
    OAuth2ClientCredentialsTransport,
    TokenRequest,
    TokenRequestFailed,
    owner_of,
)

COURSES_PATH = "/api/v2/content/courses"
COMPLETIONS_PATH = "/api/v2/completions"
SCOPES = "content:read,content:write,completions:write"
COURSE_TYPE = "content/courses"
JSON_API = "application/vnd.api+json"


class DegreedClient(OAuth2ClientCredentialsTransport):
    name = "Degreed"

    def url(self, path: str) -> str:
        return self.configuration.base_url.rstrip("/") + path

    def calls_per_minute(self) -> int:
        return self.configuration.calls_per_minute

    def remote_account(self) -> tuple[str, str]:
        return self.host_of(self.configuration.base_url), self.configuration.client_id

    def token_request(self, subject: str) -> TokenRequest:
        config = self.configuration
        return TokenRequest(
            url=config.token_url,
            client_id=config.client_id,
            client_secret=config.client_secret,
            credentials="body",
            body="form",
            params={"scope": SCOPES},
            owner=owner_of(config),
            subject=subject,
        )

    def remote_message(self, response) -> str:
        """JSON:API errors: ``{"errors": [{"status", "title", "detail"}]}``."""
        try:
            body = response.json()
        except ValueError:
            return super().remote_message(response)
        if isinstance(body, dict) and isinstance(body.get("errors"), list):
            parts = [
                str(error.get("detail") or error.get("title") or "")
                for error in body["errors"]
                if isinstance(error, dict)
            ]
            if any(parts):
                return "; ".join(part for part in parts if part)
        return super().remote_message(response)

    def _call(self, method: str, path: str, **kwargs):
        headers = {"Content-Type": JSON_API} if "json" in kwargs else {}
        return self.authorized_request(method, self.url(path), headers=headers, **kwargs)

    # Learner data

    def send_learner_data(self, records):
        return [self._send_completion(record) for record in records]

    def _send_completion(self, record) -> Outcome:
        try:
            response = self._call("POST", COMPLETIONS_PATH, json=record.payload)
        except (TokenRequestFailed, AuthenticationFailed):
            raise  # nothing can be sent with this configuration now: the run stops
        except RemoteRejected as exc:
            if exc.status_code == 409:  # Degreed already holds this completion
                return Outcome(record, status_code=409, response_summary=exc.response_summary)
            return failed([record], exc)[0]
        except TransmissionError as exc:
            return failed([record], exc)[0]
        if response.content.strip():  # Degreed answers the created completion: a JSON:API document
            try:
                self.parse_json(response, what="the completion")
            except TransmissionError as exc:
                return failed([record], exc)[0]
        return Outcome(record, status_code=response.status_code, response_summary=self.summarize(response))

    # Courses

    def send_content_metadata(self, records):
        known = RemoteCourse.objects.ids_for(self.configuration, [record.course_id for record in records])
        return [self._send_course(record, known.get(record.course_id)) for record in records]

    def _send_course(self, record, remote_id: str | None) -> Outcome:
        try:
            if record.payload.get("obsolete"):
                response = self._delete_course(record, remote_id)
            else:
                response, remote_id = self._upsert_course(record, remote_id)
                self._set_skills(record, remote_id)
        except (TokenRequestFailed, AuthenticationFailed):
            raise
        except TransmissionError as exc:
            return failed([record], exc)[0]
        if response is None:
            return Outcome(record, status_code=None, response_summary="Degreed does not have this course.")
        return Outcome(record, status_code=response.status_code, response_summary=self.summarize(response))

    def _document(self, record, remote_id: str | None = None) -> dict:
        data = {"type": COURSE_TYPE, "attributes": record.payload["attributes"]}
        if remote_id:
            data["id"] = remote_id
        return {"data": data}

    def _upsert_course(self, record, remote_id: str | None):
        if remote_id:
            try:
                response = self._call(
                    "PATCH", f"{COURSES_PATH}/{quote(remote_id)}", json=self._document(record, remote_id)
                )
                return response, remote_id
            except RemoteRejected as exc:
                if exc.status_code != 404:
                    raise
                RemoteCourse.objects.forget(self.configuration, record.course_id)  # deleted in Degreed: create
        try:
            response = self._call("POST", COURSES_PATH, json=self._document(record))
        except RemoteRejected as exc:
            if exc.status_code != 409:
                raise
            remote_id = self._find(record.course_id)  # Degreed has it already: update that one
            if remote_id is None:
                raise
            response = self._call("PATCH", f"{COURSES_PATH}/{quote(remote_id)}", json=self._document(record, remote_id))
        else:
            remote_id = self._created_id(response)
        RemoteCourse.objects.remember(self.configuration, record.course_id, remote_id)
        return response, remote_id

    def _created_id(self, response) -> str:
        body = self.parse_json(response, what="the created course")
        remote_id = body.get("data", {}).get("id") if isinstance(body, dict) else None
        if not remote_id:
            raise MalformedResponse(
                "Degreed answered the created course without its id.",
                status_code=response.status_code,
                response_summary=self.summarize(response),
                url=response.url,
            )
        return str(remote_id)

    def _find(self, course_id: str) -> str | None:
        """Degreed's id of the course with this external id (None when it has none)."""
        response = self._call("GET", COURSES_PATH, params={"filter[external_id]": course_id})
        body = self.parse_json(response, what="the course search")
        rows = body.get("data") if isinstance(body, dict) else None
        if not isinstance(rows, list):
            raise MalformedResponse(
                "Degreed answered the course search without a data list.", response_summary=self.summarize(response)
            )
        return str(rows[0]["id"]) if rows and isinstance(rows[0], dict) and rows[0].get("id") else None

    def _set_skills(self, record, remote_id: str) -> None:
        skills = record.payload.get("skills") or []
        before = (record.previous.payload or {}).get("skills") if record.previous is not None else None
        if not skills and not before:
            return  # nothing to set, nothing to clear: no call
        document = {"data": [{"type": "skills", "id": name} for name in skills]}
        self._call("PATCH", f"{COURSES_PATH}/{quote(remote_id)}/relationships/skills", json=document)

    def _delete_course(self, record, remote_id: str | None):
        remote_id = remote_id or self._find(record.course_id)
        if remote_id is None:
            return None  # never created there, or deleted already: withdrawn
        try:
            response = self._call("DELETE", f"{COURSES_PATH}/{quote(remote_id)}")
        except RemoteRejected as exc:
            if exc.status_code != 404:
                raise
            response = None
        RemoteCourse.objects.forget(self.configuration, record.course_id)
        return response
