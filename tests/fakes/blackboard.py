"""A fake Blackboard Learn server on 127.0.0.1: 3-legged OAuth 2 and the public REST API.

- ``GET …/oauth2/authorizationcode``: the administrator's consent, at once: 302 to the redirect
  URI with ``code`` and ``state`` (scope must include ``offline`` for a refresh token).
- ``POST …/oauth2/token``: HTTP Basic (application key, secret); ``authorization_code`` (code and
  redirect URI in the query string or the form body, as Learn reads either; once, the redirect
  URI the code was issued for) or ``refresh_token`` (``redirect_uri`` allowed); each answer carries a new refresh token
  and the one used stops working (``400 invalid_grant``), like Learn.
- Courses v3 (``externalId``, ``courseId`` of ``[A-Za-z0-9._-]`` up to 100, ``name``; 409 for a
  taken id; ``externalId:`` ids), course contents (links), course memberships with
  ``expand=user``, gradebook columns v2 and grades (``{"score"}`` within the column's points).
- Bearer tokens of an hour; errors ``{"status", "message"}``; lists paged with
  ``{"results", "paging": {"nextPage"}}`` (``limit`` at most 100). ``fail(kind, 429, headers=…)``
  throttles like Learn.
"""

from __future__ import annotations

import base64
import itertools
import re
import secrets
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlencode

from tests.fakes.vendor import Refused, Reply, VendorFake

API = "/learn/api/public"
COURSE_FIELDS = {"externalId", "courseId", "name", "description", "availability"}
CONTENT_FIELDS = {"title", "body", "contentHandler", "availability", "position"}
COLUMN_FIELDS = {"externalId", "name", "displayName", "description", "score", "availability", "grading"}
COURSE_ID = re.compile(r"^[A-Za-z0-9._-]{1,100}$")


def error(status: int, message: str) -> Refused:
    return Refused(status, {"status": status, "message": message})


@dataclass
class Server:
    key: str
    secret: str
    redirect_uri: str = ""
    courses: dict[str, dict] = field(default_factory=dict)  # "_1_1" -> course
    contents: dict[str, list[dict]] = field(default_factory=dict)
    members: dict[str, list[dict]] = field(default_factory=dict)  # course -> [{userId, courseRoleId, user}]
    columns: dict[str, list[dict]] = field(default_factory=dict)
    grades: dict[tuple[str, str, str], float] = field(default_factory=dict)  # (course, column, user) -> score


class FakeBlackboard(VendorFake):
    name = "blackboard"
    routes = (
        ("GET", rf"{API}/v1/oauth2/authorizationcode", "_authorize", "authorize"),
        ("POST", rf"{API}/v1/oauth2/token", "_token", "token"),
        ("GET", rf"{API}/v1/system/version", "_version", "version"),
        ("POST", rf"{API}/v3/courses", "_create_course", "create_course"),
        ("GET", rf"{API}/v3/courses/(?P<course>[^/]+)", "_get_course", "get_course"),
        ("PATCH", rf"{API}/v3/courses/(?P<course>[^/]+)", "_update_course", "update_course"),
        ("GET", rf"{API}/v1/courses/(?P<course>[^/]+)/contents", "_contents", "contents"),
        ("POST", rf"{API}/v1/courses/(?P<course>[^/]+)/contents", "_create_content", "create_content"),
        (
            "PATCH",
            rf"{API}/v1/courses/(?P<course>[^/]+)/contents/(?P<content>[^/]+)",
            "_update_content",
            "update_content",
        ),
        ("GET", rf"{API}/v1/courses/(?P<course>[^/]+)/users", "_members", "members"),
        ("GET", rf"{API}/v2/courses/(?P<course>[^/]+)/gradebook/columns", "_columns", "columns"),
        ("POST", rf"{API}/v2/courses/(?P<course>[^/]+)/gradebook/columns", "_create_column", "create_column"),
        (
            "PATCH",
            rf"{API}/v2/courses/(?P<course>[^/]+)/gradebook/columns/(?P<column>[^/]+)/users/(?P<user>[^/]+)",
            "_grade",
            "grade",
        ),
    )

    def __init__(self, *, token_lifetime: int = 3599):
        self.token_lifetime = token_lifetime
        self.server_state: Server | None = None
        self.codes: dict[str, str] = {}
        self.refresh_tokens: set[str] = set()
        self.access_tokens: dict[str, float] = {}
        self._ids = itertools.count(1)
        super().__init__()

    def setup(self, key: str, secret: str, redirect_uri: str = "") -> Server:
        self.server_state = Server(key, secret, redirect_uri)
        return self.server_state

    def issue_refresh_token(self) -> str:
        value = secrets.token_urlsafe(24)
        self.refresh_tokens.add(value)
        return value

    def revoke_tokens(self) -> None:
        with self.lock:
            self.refresh_tokens.clear()
            self.access_tokens.clear()

    def expire_access_tokens(self) -> None:
        with self.lock:
            self.access_tokens.clear()

    def _new_id(self) -> str:
        return f"_{next(self._ids)}_1"

    def add_course(self, external_id: str, name: str = "") -> str:
        course_id = self._new_id()
        self.server_state.courses[course_id] = {
            "id": course_id,
            "externalId": external_id,
            "courseId": f"c{course_id.strip('_')}",
            "name": name or external_id,
            "availability": {"available": "Yes"},
        }
        for table in (self.server_state.contents, self.server_state.members, self.server_state.columns):
            table[course_id] = []
        return course_id

    def add_member(self, course_id: str, email: str, role: str = "Student") -> str:
        user_id = self._new_id()
        self.server_state.members[course_id].append(
            {
                "userId": user_id,
                "courseRoleId": role,
                "user": {"id": user_id, "userName": email, "contact": {"email": email}},
            }
        )
        return user_id

    # Helpers

    def _auth(self, request) -> None:
        expires = self.access_tokens.get(request.bearer())
        if expires is None or expires < time.monotonic():
            raise error(401, "Bearer token is invalid")

    def _course(self, request) -> dict:
        self._auth(request)
        key = unquote(request.match["course"])
        courses = self.server_state.courses
        if key.startswith("externalId:"):
            wanted = key.split(":", 1)[1]
            found = next((c for c in courses.values() if c["externalId"] == wanted), None)
        else:
            found = courses.get(key)
        if found is None:
            raise error(404, "Course not found")
        return found

    @staticmethod
    def _body(request, allowed: set[str]) -> dict:
        if request.content_type != "application/json":
            raise error(415, "Content-Type must be application/json")
        body = request.json()
        if not isinstance(body, dict):
            raise error(400, "The body must be a JSON object")
        unknown = set(body) - allowed
        if unknown:
            raise error(400, f"Unrecognized fields: {sorted(unknown)}")
        return body

    def _page(self, request, rows: list) -> dict:
        try:
            limit = min(int(request.query.get("limit", ["100"])[-1]), 100)
            offset = int(request.query.get("offset", ["0"])[-1])
        except ValueError as exc:
            raise error(400, "limit and offset are numbers") from exc
        body = {"results": rows[offset : offset + limit]}
        if offset + limit < len(rows):
            query = {key: values[-1] for key, values in request.query.items()}
            body["paging"] = {"nextPage": f"{request.path}?{urlencode({**query, 'offset': offset + limit})}"}
        return body

    # OAuth

    def _authorize(self, request):
        query = {key: values[-1] for key, values in request.query.items()}
        state = self.server_state
        if query.get("client_id") != state.key or query.get("response_type") != "code":
            raise error(400, "Invalid client or response type")
        if "offline" not in query.get("scope", "").split():
            raise error(400, "The offline scope is needed for a refresh token")
        if state.redirect_uri and query.get("redirect_uri") != state.redirect_uri:
            raise error(400, "redirect_uri not registered")
        code = secrets.token_urlsafe(12)
        self.codes[code] = query["redirect_uri"]
        location = f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query.get('state', '')})}"
        return Reply(302, None, {"Location": location})

    def _token(self, request):
        header = request.headers.get("Authorization") or ""
        try:
            key, _sep, secret = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            key, secret = "", ""
        state = self.server_state
        if not header.startswith("Basic ") or key != state.key or not secrets.compare_digest(secret, state.secret):
            raise Refused(401, {"error": "invalid_client", "error_description": "Invalid client credentials"})
        if request.content_type != "application/x-www-form-urlencoded":
            raise Refused(400, {"error": "invalid_request"})
        form = {name: values[-1] for name, values in parse_qs(request.raw.decode()).items()}
        grant = form.get("grant_type")
        with self.lock:
            if grant == "authorization_code":
                # Learn reads request parameters, query string and form body alike (its 3LO page puts
                # code and redirect_uri in the query; RFC 6749 clients put them in the body): both are
                # accepted, once each, the same value if given in both places (decision 0423).
                code = _parameter(request, form, "code")
                redirect_uri = _parameter(request, form, "redirect_uri")
                if set(form) - {"grant_type", "code", "redirect_uri"} or self.codes.pop(code, None) != redirect_uri:
                    raise Refused(400, {"error": "invalid_grant", "error_description": "Invalid authorization code"})
            elif grant == "refresh_token":
                if (
                    set(form) - {"grant_type", "refresh_token", "redirect_uri"}
                    or form.get("refresh_token") not in self.refresh_tokens
                ):
                    raise Refused(400, {"error": "invalid_grant", "error_description": "Invalid refresh token"})
                self.refresh_tokens.discard(form["refresh_token"])  # used: replaced by the new one
            else:
                raise Refused(400, {"error": "unsupported_grant_type"})
            access = secrets.token_urlsafe(24)
            self.access_tokens[access] = time.monotonic() + self.token_lifetime
        return {
            "access_token": access,
            "token_type": "bearer",
            "expires_in": self.token_lifetime,
            "refresh_token": self.issue_refresh_token(),
            "scope": "read write offline",
            "user_id": "admin",
        }

    # API

    def _version(self, request):
        self._auth(request)
        return {"learn": {"major": 3900, "minor": 80, "patch": 0, "build": "rel.12"}}

    def _create_course(self, request):
        self._auth(request)
        body = self._body(request, COURSE_FIELDS)
        for name in ("externalId", "courseId", "name"):
            if not isinstance(body.get(name), str) or not body[name].strip():
                raise error(400, f"{name} is required")
        if not COURSE_ID.match(body["courseId"]):
            raise error(400, "courseId may hold only letters, digits, '-', '_' and '.' (100 at most)")
        if len(body["name"]) > 333:
            raise error(400, "name is too long")
        for other in self.server_state.courses.values():
            if other["externalId"] == body["externalId"] or other["courseId"] == body["courseId"]:
                raise error(409, "A course with this externalId or courseId already exists")
        course_id = self._new_id()
        course = {"id": course_id, "availability": {"available": "Yes"}, **body}
        self.server_state.courses[course_id] = course
        for table in (self.server_state.contents, self.server_state.members, self.server_state.columns):
            table[course_id] = []
        return Reply(201, course)

    def _get_course(self, request):
        return self._course(request)

    def _update_course(self, request):
        course = self._course(request)
        body = self._body(request, COURSE_FIELDS)
        if "externalId" in body and body["externalId"] != course["externalId"]:
            raise error(400, "externalId cannot change here")
        if body.get("availability", {}).get("available", "Yes") not in ("Yes", "No", "Disabled", "Term"):
            raise error(400, "availability.available is Yes, No, Disabled or Term")
        course.update(body)
        return course

    def _contents(self, request):
        course = self._course(request)
        return self._page(request, self.server_state.contents[course["id"]])

    def _create_content(self, request):
        course = self._course(request)
        body = self._body(request, CONTENT_FIELDS)
        handler = body.get("contentHandler") or {}
        if not body.get("title") or handler.get("id") != "resource/x-bb-externallink" or not handler.get("url"):
            raise error(400, "title and an external link contentHandler {id, url} are required")
        content = {"id": self._new_id(), **body}
        self.server_state.contents[course["id"]].append(content)
        return Reply(201, content)

    def _update_content(self, request):
        course = self._course(request)
        body = self._body(request, CONTENT_FIELDS - {"contentHandler"})
        content = next(
            (c for c in self.server_state.contents[course["id"]] if c["id"] == request.match["content"]), None
        )
        if content is None:
            raise error(404, "Content not found")
        content.update(body)
        return content

    def _members(self, request):
        course = self._course(request)
        rows = self.server_state.members[course["id"]]
        if request.query.get("expand", [""])[-1] != "user":
            rows = [{k: v for k, v in row.items() if k != "user"} for row in rows]
        return self._page(request, rows)

    def _columns(self, request):
        course = self._course(request)
        return self._page(request, self.server_state.columns[course["id"]])

    def _create_column(self, request):
        course = self._course(request)
        body = self._body(request, COLUMN_FIELDS)
        if not body.get("name") or not isinstance((body.get("score") or {}).get("possible"), int | float):
            raise error(400, "name and score.possible are required")
        external = body.get("externalId")
        if external and any(c.get("externalId") == external for c in self.server_state.columns[course["id"]]):
            raise error(409, "A column with this externalId already exists in the course")
        column = {"id": self._new_id(), **body}
        self.server_state.columns[course["id"]].append(column)
        return Reply(201, column)

    def _grade(self, request):
        course = self._course(request)
        column = next((c for c in self.server_state.columns[course["id"]] if c["id"] == request.match["column"]), None)
        if column is None:
            raise error(404, "Column not found")
        user = request.match["user"]
        if user not in {m["userId"] for m in self.server_state.members[course["id"]]}:
            raise error(404, "User is not enrolled in the course")
        body = self._body(request, {"score", "text", "notes", "feedback", "exempt"})
        score = body.get("score")
        if (
            isinstance(score, bool)
            or not isinstance(score, int | float)
            or not 0 <= score <= column["score"]["possible"]
        ):
            raise error(400, "score must be a number within the column's points")
        self.server_state.grades[(course["id"], column["id"], user)] = float(score)
        return {"userId": user, "columnId": column["id"], "status": "Graded", "score": float(score)}


def _parameter(request, form: dict, name: str) -> str:
    """A token request's parameter from the query string or the form body (400 when they disagree)."""
    values = set(request.query.get(name, [])) | ({form[name]} if name in form else set())
    if len(values) != 1:
        raise Refused(400, {"error": "invalid_request", "error_description": f"{name} missing or given twice"})
    return values.pop()
