"""A fake SAP SuccessFactors tenant host on 127.0.0.1, strict about what it receives.

Shipped with the channel (decision 0301): the tests use it (``tests/fakes/sap.py`` re-exports it) and
``manage.py sap_demo_server`` serves it for demos, so an operator can try the channel end to end on one
machine against the same strictness the tests hold the channel to. It binds 127.0.0.1 only.

It speaks the endpoints the SAP channel uses — the OAuth token, admin learning events
(``OCNLearningEvents``, one object or an array when the tenant accepts arrays), user-mode
learning events (``current-user/item/learning-event``) and ``OcnCourses`` — and refuses, the way
SAP does (HTTP status + OData ``{"error": {"code", "message"}}``), anything the real service
would: wrong Basic auth, a token body that is not exactly the documented one, an unknown, expired
or revoked token, a token of the wrong user type or company, a missing or extra field, a field of
the wrong type (``courseCompleted`` is a JSON boolean in admin mode and the string
``"true"``/``"false"`` in user mode), a grade other than Pass / Fail / In Progress, events for
users it knows as inactive ("The user account is inactive").

Tests can also make it answer 429 with or without Retry-After, 500, 503, slowly, with malformed
JSON, or with any body (``fail``, ``delay``, ``malformed``), and read everything it received
(``requests``, ``events``, ``courses``). Several tenants (company ids) share one server.
"""

from __future__ import annotations

import base64
import collections
import contextlib
import itertools
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN_PATH = "/learning/oauth-api/rest/v1/token"  # noqa: S105 (a path, not a secret)
EVENTS_PATH = "/learning/odatav4/public/admin/learningevent-service/v1/OCNLearningEvents"
USER_EVENT_PATH = "/learning/odatav4/public/admin/ocn/v1/current-user/item/learning-event"
COURSES_PATH = "/learning/odatav4/public/admin/ocn/v1/OcnCourses"
KINDS = {TOKEN_PATH: "token", EVENTS_PATH: "events", USER_EVENT_PATH: "user_event", COURSES_PATH: "courses"}

EVENT_FIELDS = {
    "userID",
    "courseID",
    "providerID",
    "courseCompleted",
    "completedTimestamp",
    "grade",
    "totalHours",
    "creditHours",
}
GRADES = {"Pass", "Fail", "In Progress"}
MIN_TIMESTAMP_MS = 946_684_800_000  # 2000-01-01
COURSE_REQUIRED = {
    "courseID",
    "providerID",
    "status",
    "title",
    "description",
    "content",
    "schedule",
    "price",
    "revisionNumber",
}
COURSE_OPTIONAL = {"thumbnailURI"}
CONTENT_FIELDS = {"providerID", "launchURL", "contentTitle", "contentID", "launchType", "mobileEnabled"}


class Refused(Exception):
    def __init__(self, status: int, code: str, message: str):
        self.status, self.code, self.message = status, code, message
        super().__init__(message)


@dataclass
class Tenant:
    company_id: str
    client_id: str
    client_secret: str
    admin_user_id: str = "sfadmin"
    provider_id: str = "EDX"
    accepts_arrays: bool = False
    inactive_users: set[str] = field(default_factory=set)
    inactive_refused_at_token: bool = False  # user mode: refuse an inactive user's token, not only their events
    events: list[dict] = field(default_factory=list)  # accepted learning events, in order
    courses: list[dict] = field(default_factory=list)  # accepted OCN courses, in order


@dataclass
class Token:
    value: str
    tenant: Tenant
    user_id: str
    user_type: str
    expires_at: float


@dataclass
class Received:
    kind: str
    method: str
    path: str
    status: int
    body: object
    company_id: str | None = None


@dataclass
class Scripted:
    kind: str  # "token", "events", "user_event", "courses" or "any"
    status: int = 503
    headers: dict = field(default_factory=dict)
    body: str | None = None
    delay: float = 0.0
    malformed: bool = False


def _error(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message}}


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _localized(value, name: str) -> None:
    if not isinstance(value, list) or not value:
        raise Refused(400, "INVALID_FIELD", f"{name} must be a non-empty array of {{locale, value}}")
    for item in value:
        if not isinstance(item, dict) or set(item) != {"locale", "value"}:
            raise Refused(400, "INVALID_FIELD", f"{name} items must be exactly {{locale, value}}")
        if not isinstance(item["locale"], str) or not item["locale"] or not isinstance(item["value"], str):
            raise Refused(400, "INVALID_FIELD", f"{name} locale and value must be strings")


class FakeSAPSuccessFactors:
    def __init__(self, *, token_lifetime: int = 3600, port: int = 0, listener=None):
        """``port`` 0: any free port. ``listener(received)`` is called after each request is answered."""
        self.token_lifetime = token_lifetime
        self.port = port
        self.listener = listener
        self.tenants: dict[str, Tenant] = {}
        self.tokens: dict[str, Token] = {}
        self.scripted: list[Scripted] = []
        self.requests: list[Received] = []
        self.keep_history = True  # False (benchmarks): count requests and events, keep none of them
        self.counts: collections.Counter = collections.Counter()
        self.accepted = 0
        self.lock = threading.RLock()
        self._counter = itertools.count(1)
        self.server = self._make_server()
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-sap", daemon=True
        )

    # Set-up

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    def start(self) -> FakeSAPSuccessFactors:
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.thread.is_alive():  # shutdown() waits for a serve_forever that was never started otherwise
            self.server.shutdown()
        self.server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def add_tenant(self, company_id: str, client_id: str, client_secret: str, **options) -> Tenant:
        tenant = Tenant(company_id=company_id, client_id=client_id, client_secret=client_secret, **options)
        with self.lock:
            self.tenants[company_id] = tenant
        return tenant

    # Scripting

    def fail(self, kind: str = "any", status: int = 503, *, times: int = 1, headers=None, body: str | None = None):
        """The next ``times`` requests of ``kind`` are answered ``status`` (with ``headers``, ``body``)."""
        with self.lock:
            self.scripted += [Scripted(kind, status, dict(headers or {}), body) for _ in range(times)]

    def delay(self, kind: str = "any", seconds: float = 1.0, *, times: int = 1):
        """The next ``times`` requests of ``kind`` are answered normally, after ``seconds``."""
        with self.lock:
            self.scripted += [Scripted(kind, 0, delay=seconds) for _ in range(times)]

    def malformed(self, kind: str = "any", *, times: int = 1):
        """The next ``times`` requests of ``kind`` get 200 with a body that is not JSON."""
        with self.lock:
            self.scripted += [Scripted(kind, 200, malformed=True) for _ in range(times)]

    def revoke_tokens(self) -> None:
        """Every token issued so far is refused from now on (as after an expiry on SAP's side)."""
        with self.lock:
            self.tokens.clear()

    # Reading what was received

    def calls(self, kind: str | None = None) -> int:
        with self.lock:
            return sum(self.counts.values()) if kind is None else self.counts[kind]

    def events(self, company_id: str | None = None) -> list[dict]:
        with self.lock:
            tenants = [self.tenants[company_id]] if company_id else list(self.tenants.values())
            return [event for tenant in tenants for event in tenant.events]

    def courses(self, company_id: str | None = None) -> list[dict]:
        with self.lock:
            tenants = [self.tenants[company_id]] if company_id else list(self.tenants.values())
            return [course for tenant in tenants for course in tenant.courses]

    # Serving

    def _make_server(self) -> ThreadingHTTPServer:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body leave at once (no 40 ms delayed-ACK stalls)

            def log_message(self, *args):
                pass

            def do_POST(self):
                fake._handle(self)

            def do_GET(self):
                fake._reply(self, 405, _error("METHOD_NOT_ALLOWED", "Only POST is supported here."))

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                pass  # a client that timed out and closed the connection: nothing to report

        return Server(("127.0.0.1", self.port), Handler)

    def _reply(self, handler, status: int, body, *, headers=None, raw: str | None = None) -> None:
        data = (raw if raw is not None else json.dumps(body)).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            handler.wfile.write(data)

    def _next_script(self, kind: str) -> Scripted | None:
        with self.lock:
            for index, script in enumerate(self.scripted):
                if script.kind in (kind, "any"):
                    return self.scripted.pop(index)
        return None

    def _handle(self, handler) -> None:
        path = handler.path.split("?", 1)[0]
        kind = KINDS.get(path, "unknown")
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        script = self._next_script(kind)
        if script is not None and script.delay:
            time.sleep(script.delay)
            script = None if not script.status else script
        status, body, headers, raw_text, company = 500, None, None, None, None
        try:
            parsed = self._parse(handler, raw)
            if script is not None and script.malformed:
                status, raw_text = 200, '{"value": [ this is not json'
            elif script is not None:
                status, headers = script.status, script.headers
                raw_text = script.body if script.body is not None else json.dumps(_error("SCRIPTED", "scripted"))
            elif kind == "token":
                status, body, company = self._token(handler, parsed)
            elif kind == "events":
                status, body, company = self._events(handler, parsed)
            elif kind == "user_event":
                status, body, company = self._user_event(handler, parsed)
            elif kind == "courses":
                status, body, company = self._courses(handler, parsed)
            else:
                raise Refused(404, "NOT_FOUND", f"No resource at {path}")
        except Refused as refused:
            status, body = refused.status, _error(refused.code, refused.message)
            parsed = None if raw is None else raw.decode(errors="replace")
        received = Received(kind, "POST", path, status, parsed, company)
        with self.lock:
            self.counts[kind] += 1
            if self.keep_history:
                self.requests.append(received)
        self._reply(handler, status, body, headers=headers, raw=raw_text)
        if self.listener is not None:
            self.listener(received, None if body is None else body.get("error"))

    @staticmethod
    def _parse(handler, raw: bytes):
        if handler.headers.get("Content-Type", "").split(";")[0].strip() != "application/json":
            raise Refused(415, "UNSUPPORTED_MEDIA_TYPE", "Content-Type must be application/json")
        try:
            return json.loads(raw or b"null")
        except ValueError as exc:
            raise Refused(400, "INVALID_JSON", "The body is not valid JSON") from exc

    # Endpoints

    def _token(self, handler, body):
        header = handler.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            raise Refused(401, "invalid_client", "Basic authentication required")
        try:
            client_id, _sep, secret = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError as exc:
            raise Refused(401, "invalid_client", "Malformed Basic authentication") from exc
        with self.lock:
            tenant = next((t for t in self.tenants.values() if t.client_id == client_id), None)
        if tenant is None or not secrets.compare_digest(tenant.client_secret, secret):
            raise Refused(401, "invalid_client", "Client authentication failed")
        if not isinstance(body, dict) or set(body) != {"grant_type", "scope"}:
            raise Refused(400, "invalid_request", "The body must be exactly {grant_type, scope}")
        if body["grant_type"] != "client_credentials":
            raise Refused(400, "unsupported_grant_type", "grant_type must be client_credentials")
        scope = body["scope"]
        if not isinstance(scope, dict) or set(scope) != {"userId", "companyId", "userType", "resourceType"}:
            raise Refused(400, "invalid_scope", "scope must be exactly {userId, companyId, userType, resourceType}")
        if scope["companyId"] != tenant.company_id:
            raise Refused(400, "invalid_scope", "companyId does not match the client")
        if scope["resourceType"] != "learning_public_api":
            raise Refused(400, "invalid_scope", "resourceType must be learning_public_api")
        if scope["userType"] not in ("admin", "user"):
            raise Refused(400, "invalid_scope", "userType must be admin or user")
        if not isinstance(scope["userId"], str) or not scope["userId"]:
            raise Refused(400, "invalid_scope", "userId must be a non-empty string")
        if scope["userType"] == "admin" and scope["userId"] != tenant.admin_user_id:
            raise Refused(400, "invalid_scope", f"{scope['userId']} is not an administrator of this company")
        if (
            scope["userType"] == "user"
            and tenant.inactive_refused_at_token
            and scope["userId"] in tenant.inactive_users
        ):
            raise Refused(400, "USER_INACTIVE", f"The user account is inactive: {scope['userId']}")
        value = f"tok-{next(self._counter)}-{secrets.token_hex(8)}"
        with self.lock:
            self.tokens[value] = Token(
                value, tenant, scope["userId"], scope["userType"], time.monotonic() + self.token_lifetime
            )
        return (
            200,
            {"access_token": value, "token_type": "Bearer", "expires_in": self.token_lifetime},
            tenant.company_id,
        )

    def _bearer(self, handler, user_type: str) -> Token:
        header = handler.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            raise Refused(401, "UNAUTHORIZED", "Bearer token required")
        with self.lock:
            token = self.tokens.get(header[7:])
        if token is None:
            raise Refused(401, "UNAUTHORIZED", "Unknown or revoked token")
        if token.expires_at <= time.monotonic():
            raise Refused(401, "UNAUTHORIZED", "The token has expired")
        if token.user_type != user_type:
            raise Refused(403, "FORBIDDEN", f"This resource needs a token of userType {user_type}")
        return token

    def _check_event(self, event, tenant: Tenant, *, user_mode: bool) -> None:
        if not isinstance(event, dict):
            raise Refused(400, "INVALID_PAYLOAD", "A learning event must be a JSON object")
        if set(event) != EVENT_FIELDS:
            missing, extra = EVENT_FIELDS - set(event), set(event) - EVENT_FIELDS
            raise Refused(400, "INVALID_PAYLOAD", f"Missing fields {sorted(missing)}, unknown fields {sorted(extra)}")
        for name in ("userID", "courseID", "providerID"):
            if not isinstance(event[name], str) or not event[name]:
                raise Refused(400, "INVALID_FIELD", f"{name} must be a non-empty string")
        if event["providerID"] != tenant.provider_id:
            raise Refused(400, "INVALID_FIELD", f"Unknown providerID {event['providerID']}")
        completed = event["courseCompleted"]
        if user_mode:
            if completed not in ("true", "false"):
                raise Refused(400, "INVALID_FIELD", 'courseCompleted must be the string "true" or "false"')
            completed = completed == "true"
        elif not isinstance(completed, bool):
            raise Refused(400, "INVALID_FIELD", "courseCompleted must be a boolean")
        stamp = event["completedTimestamp"]
        if not _is_int(stamp) or not MIN_TIMESTAMP_MS <= stamp <= (time.time() + 86400) * 1000:
            raise Refused(400, "INVALID_FIELD", "completedTimestamp must be epoch milliseconds")
        if event["grade"] not in GRADES:
            raise Refused(400, "INVALID_FIELD", "grade must be Pass, Fail or In Progress")
        if completed == (event["grade"] == "In Progress"):
            raise Refused(400, "INVALID_FIELD", "grade In Progress goes with courseCompleted false, and only with it")
        for name in ("totalHours", "creditHours"):
            if not _is_number(event[name]) or event[name] < 0:
                raise Refused(400, "INVALID_FIELD", f"{name} must be a number >= 0")
        if event["userID"] in tenant.inactive_users:
            raise Refused(400, "USER_INACTIVE", f"The user account is inactive: {event['userID']}")

    def _accept(self, tenant: Tenant, events: list[dict]) -> dict:
        with self.lock:
            self.accepted += len(events)
            if self.keep_history:
                tenant.events.extend(events)
        return {
            "@odata.context": "$metadata#OCNLearningEvents",
            "value": [{"userID": e["userID"], "courseID": e["courseID"], "status": "ACCEPTED"} for e in events],
        }

    def _events(self, handler, body):
        token = self._bearer(handler, "admin")
        tenant = token.tenant
        if isinstance(body, list):
            if not tenant.accepts_arrays:
                raise Refused(400, "INVALID_PAYLOAD", "This tenant takes one learning event per call")
            if not 1 <= len(body) <= 10:
                raise Refused(400, "INVALID_PAYLOAD", "An array holds 1 to 10 learning events")
            events = body
        else:
            events = [body]
        for event in events:
            self._check_event(event, tenant, user_mode=False)
        return 200, self._accept(tenant, events), tenant.company_id

    def _user_event(self, handler, body):
        token = self._bearer(handler, "user")
        self._check_event(body, token.tenant, user_mode=True)
        if body["userID"] != token.user_id:
            raise Refused(403, "FORBIDDEN", "A user submits only their own learning events")
        return 200, self._accept(token.tenant, [body]), token.tenant.company_id

    def _courses(self, handler, body):
        token = self._bearer(handler, "admin")
        tenant = token.tenant
        if not isinstance(body, dict) or set(body) != {"ocnCourses"} or not isinstance(body["ocnCourses"], list):
            raise Refused(400, "INVALID_PAYLOAD", 'The body must be {"ocnCourses": [...]}')
        if not body["ocnCourses"]:
            raise Refused(400, "INVALID_PAYLOAD", "ocnCourses is empty")
        for course in body["ocnCourses"]:
            self._check_course(course, tenant)
        with self.lock:
            tenant.courses.extend(body["ocnCourses"])
        value = [{"courseID": c["courseID"], "status": "ACCEPTED"} for c in body["ocnCourses"]]
        return 200, {"@odata.context": "$metadata#OcnCourses", "value": value}, tenant.company_id

    def _check_course(self, course, tenant: Tenant) -> None:
        if not isinstance(course, dict):
            raise Refused(400, "INVALID_PAYLOAD", "A course must be a JSON object")
        keys = set(course)
        if not keys >= COURSE_REQUIRED or keys - COURSE_REQUIRED - COURSE_OPTIONAL:
            raise Refused(
                400,
                "INVALID_PAYLOAD",
                f"Missing fields {sorted(COURSE_REQUIRED - keys)}, "
                f"unknown fields {sorted(keys - COURSE_REQUIRED - COURSE_OPTIONAL)}",
            )
        if not isinstance(course["courseID"], str) or not course["courseID"]:
            raise Refused(400, "INVALID_FIELD", "courseID must be a non-empty string")
        if course["providerID"] != tenant.provider_id:
            raise Refused(400, "INVALID_FIELD", f"Unknown providerID {course['providerID']}")
        if course["status"] not in ("ACTIVE", "INACTIVE"):
            raise Refused(400, "INVALID_FIELD", "status must be ACTIVE or INACTIVE")
        _localized(course["title"], "title")
        _localized(course["description"], "description")
        if not isinstance(course["content"], list) or (course["status"] == "ACTIVE" and not course["content"]):
            raise Refused(400, "INVALID_FIELD", "content must be an array (not empty for an active course)")
        for item in course["content"]:
            if not isinstance(item, dict) or set(item) != CONTENT_FIELDS:
                raise Refused(400, "INVALID_FIELD", f"content items must be exactly {sorted(CONTENT_FIELDS)}")
            if not str(item["launchURL"]).startswith(("http://", "https://")):
                raise Refused(400, "INVALID_FIELD", "launchURL must be an absolute http(s) URL")
            if item["providerID"] != tenant.provider_id or not _is_int(item["launchType"]):
                raise Refused(400, "INVALID_FIELD", "content providerID / launchType invalid")
            if not isinstance(item["mobileEnabled"], bool):
                raise Refused(400, "INVALID_FIELD", "mobileEnabled must be a boolean")
            if not isinstance(item["contentTitle"], str) or not isinstance(item["contentID"], str):
                raise Refused(400, "INVALID_FIELD", "contentTitle and contentID must be strings")
        if not isinstance(course["schedule"], list):
            raise Refused(400, "INVALID_FIELD", "schedule must be an array")
        for entry in course["schedule"]:
            if not isinstance(entry, dict) or not {"startDate", "active"} <= set(entry) <= {
                "startDate",
                "endDate",
                "active",
            }:
                raise Refused(400, "INVALID_FIELD", "schedule items are {startDate, endDate?, active}")
            if not _is_int(entry["startDate"]) or ("endDate" in entry and not _is_int(entry["endDate"])):
                raise Refused(400, "INVALID_FIELD", "schedule dates must be epoch milliseconds")
            if not isinstance(entry["active"], bool):
                raise Refused(400, "INVALID_FIELD", "schedule active must be a boolean")
        if not isinstance(course["price"], list) or not _is_int(course["revisionNumber"]):
            raise Refused(400, "INVALID_FIELD", "price must be an array and revisionNumber an integer")
