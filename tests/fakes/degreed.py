"""A fake Degreed organisation (v2 API) on 127.0.0.1, strict about what it receives.

- ``POST /oauth/token``: form body with grant_type=client_credentials, client_id, client_secret and
  scope (comma-separated); anything else is ``400 invalid_request`` / ``401 invalid_client``.
- ``/api/v2/content/courses``: JSON:API documents (``{"data": {"type": "content/courses",
  "attributes": {...}}}``); create (201 with the new id; 409 when the external id exists), search
  by ``filter[external_id]``, update (PATCH; the document's id must be the path's), delete (204),
  and the course's skills (PATCH ``…/relationships/skills``, the full list). Unknown attributes,
  a missing required one, a wrong type or a duration type Degreed does not know: 400.
- ``POST /api/v2/completions``: user by e-mail (a user the organisation does not know: 400
  "User not found"), content by external id, completed-at as ISO 8601, percentile 0 to 100;
  a second completion of one user and content: 409.
Each call needs a bearer token the fake issued, not expired nor revoked, with the scope the call
needs (401 / 403 otherwise). Errors are JSON:API ``{"errors": [{"status", "title", "detail"}]}``.
"""

from __future__ import annotations

import datetime
import itertools
import secrets
import time
from dataclasses import dataclass, field

from tests.fakes.vendor import Refused, Reply, VendorFake

COURSE_ATTRIBUTES = {
    "external-id",
    "title",
    "summary",
    "url",
    "image-url",
    "language",
    "duration",
    "duration-type",
    "format",
    "obsolete",
}
COURSE_REQUIRED = {"external-id", "title", "url"}
DURATION_TYPES = {"Seconds", "Minutes", "Hours", "Days"}
COMPLETION_REQUIRED = {
    "user-id",
    "user-identifier-type",
    "content-id",
    "content-id-type",
    "content-type",
    "completed-at",
}
COMPLETION_OPTIONAL = {"percentile", "is-verified", "completion-date"}
KNOWN_SCOPES = {"content:read", "content:write", "completions:read", "completions:write"}
JSON_TYPES = {"application/json", "application/vnd.api+json"}


def _errors(status: int, title: str, detail: str) -> dict:
    return {"errors": [{"status": str(status), "title": title, "detail": detail}]}


def refuse(status: int, title: str, detail: str):
    return Refused(status, _errors(status, title, detail))


@dataclass
class Token:
    value: str
    scopes: set[str]
    expires_at: float


@dataclass
class Organisation:
    client_id: str
    client_secret: str
    users: set[str] = field(default_factory=set)  # known e-mail addresses (lower case)
    courses: dict[str, dict] = field(default_factory=dict)  # id -> attributes
    skills: dict[str, list[str]] = field(default_factory=dict)  # course id -> skill names
    completions: list[dict] = field(default_factory=list)
    # (user e-mail lower case, content id) of the first ``indexed`` completions: the duplicate check of a post in
    # constant time (scanning the list made 100,000 enrollments quadratic: the benchmark did not finish). Tests
    # may append to ``completions`` directly: ``completed_keys()`` indexes what was added since.
    completed: set[tuple[str, str]] = field(default_factory=set)
    indexed: int = 0

    def completed_keys(self) -> set[tuple[str, str]]:
        for completion in self.completions[self.indexed :]:
            self.completed.add((completion["user-id"].lower(), completion["content-id"]))
        self.indexed = len(self.completions)
        return self.completed

    refused_titles: set[str] = field(default_factory=set)  # titles this organisation refuses (400)


class FakeDegreed(VendorFake):
    name = "degreed"
    routes = (
        ("POST", r"/oauth/token", "_token", "token"),
        ("GET", r"/api/v2/content/courses", "_search", "search"),
        ("POST", r"/api/v2/content/courses", "_create", "create"),
        ("PATCH", r"/api/v2/content/courses/(?P<id>[^/]+)", "_update", "update"),
        ("DELETE", r"/api/v2/content/courses/(?P<id>[^/]+)", "_delete", "delete"),
        ("PATCH", r"/api/v2/content/courses/(?P<id>[^/]+)/relationships/skills", "_skills", "skills"),
        ("POST", r"/api/v2/completions", "_completion", "completion"),
    )

    def __init__(self, *, token_lifetime: int = 3600):
        self.token_lifetime = token_lifetime
        self.organisation: Organisation | None = None
        self.tokens: dict[str, Token] = {}
        self._ids = itertools.count(1)
        super().__init__()

    def setup(self, client_id: str, client_secret: str, *, users=()) -> Organisation:
        self.organisation = Organisation(client_id, client_secret, users={user.lower() for user in users})
        return self.organisation

    def revoke_tokens(self) -> None:
        with self.lock:
            self.tokens.clear()

    def not_found(self, path: str):
        return _errors(404, "Not Found", f"No resource at {path}")

    # Checks

    def _authorize(self, request, scope: str) -> None:
        token = self.tokens.get(request.bearer())
        if token is None or token.expires_at < time.monotonic():
            raise refuse(401, "Unauthorized", "The access token is missing, invalid or expired.")
        if scope not in token.scopes:
            raise refuse(403, "Forbidden", f"The access token lacks the scope {scope}.")

    def _document(self, request) -> dict:
        if request.content_type not in JSON_TYPES:
            raise refuse(415, "Unsupported Media Type", "Send application/vnd.api+json.")
        body = request.json()
        if not isinstance(body, dict) or set(body) != {"data"} or not isinstance(body["data"], dict):
            raise refuse(400, "Bad Request", "The body must be a JSON:API document {data: {...}}.")
        return body["data"]

    def _course_attributes(self, data: dict, *, creating: bool) -> dict:
        if data.get("type") != "content/courses":
            raise refuse(400, "Bad Request", "data.type must be content/courses.")
        attributes = data.get("attributes")
        if not isinstance(attributes, dict):
            raise refuse(400, "Bad Request", "data.attributes must be an object.")
        unknown = set(attributes) - COURSE_ATTRIBUTES
        if unknown:
            raise refuse(400, "Bad Request", f"Unknown attributes: {', '.join(sorted(unknown))}.")
        missing = COURSE_REQUIRED - set(attributes) if creating else set()
        if missing:
            raise refuse(400, "Bad Request", f"Missing attributes: {', '.join(sorted(missing))}.")
        for name in ("external-id", "title", "summary", "url", "language"):
            if name in attributes and not isinstance(attributes[name], str):
                raise refuse(400, "Bad Request", f"{name} must be a string.")
        if "title" in attributes and not 0 < len(attributes["title"]) <= 255:
            raise refuse(400, "Bad Request", "title must be 1 to 255 characters.")
        if "url" in attributes and not attributes["url"].startswith(("http://", "https://")):
            raise refuse(400, "Bad Request", "url must be an absolute http(s) URL.")
        if "duration" in attributes and (
            isinstance(attributes["duration"], bool) or not isinstance(attributes["duration"], int | float)
        ):
            raise refuse(400, "Bad Request", "duration must be a number.")
        if "duration-type" in attributes and attributes["duration-type"] not in DURATION_TYPES:
            raise refuse(400, "Bad Request", "duration-type must be Seconds, Minutes, Hours or Days.")
        if attributes.get("title") in self.organisation.refused_titles:
            raise refuse(400, "Bad Request", "This title is not allowed in the catalog.")
        return attributes

    def _course(self, course_id: str) -> dict:
        course = self.organisation.courses.get(course_id)
        if course is None:
            raise refuse(404, "Not Found", f"No course {course_id}.")
        return course

    # Endpoints

    def _token(self, request):
        if request.content_type != "application/x-www-form-urlencoded":
            raise Refused(400, {"error": "invalid_request", "error_description": "Send a form."})
        form = {name: values[-1] for name, values in request.form().items()}
        if set(form) != {"grant_type", "client_id", "client_secret", "scope"}:
            raise Refused(400, {"error": "invalid_request", "error_description": "Unexpected or missing fields."})
        if form["grant_type"] != "client_credentials":
            raise Refused(400, {"error": "unsupported_grant_type"})
        org = self.organisation
        if (
            org is None
            or form["client_id"] != org.client_id
            or not secrets.compare_digest(form["client_secret"], org.client_secret)
        ):
            raise Refused(401, {"error": "invalid_client", "error_description": "Client authentication failed."})
        scopes = {scope.strip() for scope in form["scope"].split(",") if scope.strip()}
        if not scopes or scopes - KNOWN_SCOPES:
            raise Refused(400, {"error": "invalid_scope"})
        value = secrets.token_urlsafe(24)
        with self.lock:
            self.tokens[value] = Token(value, scopes, time.monotonic() + self.token_lifetime)
        return {"access_token": value, "token_type": "bearer", "expires_in": self.token_lifetime}

    def _search(self, request):
        self._authorize(request, "content:read")
        wanted = request.query.get("filter[external_id]", [None])[-1]
        rows = [
            {"id": course_id, "type": "content/courses", "attributes": attributes}
            for course_id, attributes in self.organisation.courses.items()
            if wanted is None or attributes.get("external-id") == wanted
        ]
        return {"data": rows, "links": {"self": request.path}}

    def _create(self, request):
        self._authorize(request, "content:write")
        data = self._document(request)
        if "id" in data:
            raise refuse(400, "Bad Request", "A new course has no id.")
        attributes = self._course_attributes(data, creating=True)
        with self.lock:
            if any(c.get("external-id") == attributes["external-id"] for c in self.organisation.courses.values()):
                raise refuse(409, "Conflict", "A course with this external-id exists.")
            course_id = f"dgc{next(self._ids)}"
            self.organisation.courses[course_id] = dict(attributes)
        return Reply(201, {"data": {"id": course_id, "type": "content/courses", "attributes": attributes}})

    def _update(self, request):
        self._authorize(request, "content:write")
        course_id = request.match["id"]
        data = self._document(request)
        if data.get("id") != course_id:
            raise refuse(400, "Bad Request", "data.id must be the id in the path.")
        attributes = self._course_attributes(data, creating=False)
        with self.lock:
            course = self._course(course_id)
            if attributes.get("external-id", course["external-id"]) != course["external-id"]:
                raise refuse(400, "Bad Request", "external-id cannot change.")
            course.update(attributes)
        return {"data": {"id": course_id, "type": "content/courses", "attributes": course}}

    def _delete(self, request):
        self._authorize(request, "content:write")
        with self.lock:
            self._course(request.match["id"])
            del self.organisation.courses[request.match["id"]]
            self.organisation.skills.pop(request.match["id"], None)
        return Reply(204)

    def _skills(self, request):
        self._authorize(request, "content:write")
        if request.content_type not in JSON_TYPES:
            raise refuse(415, "Unsupported Media Type", "Send application/vnd.api+json.")
        body = request.json()
        rows = body.get("data") if isinstance(body, dict) and set(body) == {"data"} else None
        if not isinstance(rows, list) or any(
            not isinstance(row, dict) or set(row) != {"type", "id"} or row["type"] != "skills" or not row["id"]
            for row in rows
        ):
            raise refuse(400, "Bad Request", "data must be a list of {type: skills, id}.")
        with self.lock:
            self._course(request.match["id"])
            self.organisation.skills[request.match["id"]] = [row["id"] for row in rows]
        return Reply(204)

    def _completion(self, request):
        self._authorize(request, "completions:write")
        data = self._document(request)
        if data.get("type") != "completions" or not isinstance(data.get("attributes"), dict):
            raise refuse(400, "Bad Request", "data must be {type: completions, attributes}.")
        attributes = data["attributes"]
        missing = COMPLETION_REQUIRED - set(attributes)
        unknown = set(attributes) - COMPLETION_REQUIRED - COMPLETION_OPTIONAL
        if missing or unknown:
            raise refuse(400, "Bad Request", f"Missing {sorted(missing)}, unknown {sorted(unknown)}.")
        if attributes["user-identifier-type"] not in ("Email", "UserName", "EmployeeId", "AliasUid"):
            raise refuse(400, "Bad Request", "Unknown user-identifier-type.")
        if attributes["content-id-type"] not in ("Id", "ExternalId") or attributes["content-type"] != "Course":
            raise refuse(400, "Bad Request", "content-id-type must be Id or ExternalId; content-type Course.")
        try:
            datetime.datetime.fromisoformat(attributes["completed-at"].replace("Z", "+00:00"))
        except (AttributeError, ValueError) as exc:
            raise refuse(400, "Bad Request", "completed-at must be an ISO 8601 date and time.") from exc
        if "percentile" in attributes:
            value = attributes["percentile"]
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
                raise refuse(400, "Bad Request", "percentile must be a number from 0 to 100.")
        with self.lock:
            if attributes["user-id"].lower() not in self.organisation.users:
                raise refuse(400, "Bad Request", "User not found.")
            key = (attributes["user-id"].lower(), attributes["content-id"])
            if key in self.organisation.completed_keys():
                raise refuse(409, "Conflict", "This user already completed this content.")
            self.organisation.completions.append(dict(attributes))
            completion_id = f"cmp{next(self._ids)}"
        return Reply(201, {"data": {"id": completion_id, "type": "completions", "attributes": attributes}})
