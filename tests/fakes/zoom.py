"""A fake Zoom account on 127.0.0.1 (Server-to-Server OAuth app + the REST API v2), strict about what it receives.

It speaks what the Zoom connector uses, as Zoom documents it:

- ``POST /oauth/token`` with HTTP Basic ``client_id:client_secret`` and ``grant_type=account_credentials``
  and ``account_id`` (query string or form body); anything else is refused like Zoom does
  (``{"reason", "error"}``); tokens live ``expires_in`` = 3599 s and can be revoked;
- ``POST /v2/users/{userId}/meetings`` (a scheduled meeting, type 2: topic, start_time in UTC
  ``yyyy-MM-ddTHH:mm:ssZ``, duration in minutes, timezone, settings), ``GET`` / ``PATCH``
  ``/v2/meetings/{meetingId}``, ``POST /v2/meetings/{meetingId}/registrants`` (refused when the
  meeting does not take registrations);
- ``GET /v2/meetings/{meetingId}/recordings`` (404 code 3301 until there is a cloud recording);
- ``GET /v2/report/meetings/{meetingId}/participants`` paged by ``next_page_token`` (``page_size``
  at most 300; an unknown token is refused), one row per join, ``duration`` in seconds; no report
  until the meeting has ended.

Errors are Zoom's ``{"code": …, "message": …}`` bodies (124 invalid token, 3001 meeting does not
exist, 300 invalid parameter, 1001 user does not exist, 429 rate limit). Tests script answers
(``fail``) and read everything received (``requests``).
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import itertools
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from tests.fakes.vendor import LoopbackFake

MEETING_FIELDS = {"topic", "type", "start_time", "duration", "timezone", "agenda", "settings"}
SETTINGS_FIELDS = {"approval_type", "registration_type", "join_before_host", "waiting_room", "auto_recording"}
REGISTRANT_FIELDS = {"email", "first_name", "last_name"}
START_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
MAX_PAGE_SIZE = 300


class Refused(Exception):
    def __init__(self, status: int, body: dict, headers: dict | None = None):
        self.status, self.body, self.headers = status, body, headers or {}
        super().__init__(json.dumps(body))


def zoom_error(status: int, code: int, message: str) -> Refused:
    return Refused(status, {"code": code, "message": message})


@dataclass
class Meeting:
    id: int
    host: str
    topic: str
    start_time: str
    duration: int
    timezone: str
    settings: dict
    status: str = "waiting"  # "started" while it runs; ended meetings have a report
    ended: bool = False
    participants: list[dict] = field(default_factory=list)  # the report's rows, one per join
    recording: dict | None = None  # {"share_url", "password"} once the cloud recording is ready
    registrants: list[dict] = field(default_factory=list)

    def as_json(self, base_url: str) -> dict:
        return {
            "id": self.id,
            "uuid": base64.b64encode(str(self.id).encode()).decode(),
            "host_email": self.host,
            "topic": self.topic,
            "type": 2,
            "status": self.status,
            "start_time": self.start_time,
            "duration": self.duration,
            "timezone": self.timezone,
            "join_url": f"{base_url}/j/{self.id}",
            "registration_url": f"{base_url}/meeting/register/{self.id}",
            "password": "Pa55",
            "settings": self.settings,
        }


@dataclass
class Received:
    method: str
    path: str
    query: dict
    status: int
    body: object


class FakeZoom(LoopbackFake):
    http_methods = ("GET", "POST", "PATCH", "DELETE")
    dispatch = "handle"

    def __init__(
        self,
        *,
        account_id="acct-1",
        client_id="zoom-client",
        client_secret="zoom-secret",  # noqa: S107
        hosts=("host@example.com",),
    ):
        self.account_id, self.client_id, self.client_secret = account_id, client_id, client_secret
        self.hosts = set(hosts)
        self.tokens: dict[str, float] = {}
        self.meetings: dict[int, Meeting] = {}
        self.requests: list[Received] = []
        self.scripted: list[tuple[str, int, dict, dict]] = []  # (path prefix, status, body, headers)
        self.page_tokens: dict[str, tuple[int, int]] = {}
        self._ids = itertools.count(85_000_000_001)
        self._lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None

    # Test controls

    @property
    def token_url(self) -> str:
        return f"{self.base_url}/oauth/token"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/v2"

    def fail(
        self, path_prefix: str, status: int, body: dict | None = None, headers: dict | None = None, times: int = 1
    ):
        for _ in range(times):
            self.scripted.append((path_prefix, status, body or {"code": status, "message": "scripted"}, headers or {}))

    def add_meeting(self, *, host="host@example.com", ended=True, participants=(), approval_type=2) -> Meeting:
        meeting = Meeting(
            next(self._ids), host, "Existing", "2027-03-01T09:00:00Z", 60, "UTC", {"approval_type": approval_type}
        )
        meeting.ended = ended
        meeting.participants = list(participants)
        self.meetings[meeting.id] = meeting
        return meeting

    def received(self, method: str, prefix: str) -> list[Received]:
        return [r for r in self.requests if r.method == method and r.path.startswith(prefix)]

    # Requests (the server: LoopbackFake)

    def handle(self, request: BaseHTTPRequestHandler, _method: str = "") -> None:
        split = urlsplit(request.path)
        query = {key: values[-1] for key, values in parse_qs(split.query).items()}
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        status, body, headers = 500, {}, {}
        parsed: object = raw.decode("utf-8", "replace")
        try:
            for index, (prefix, s_status, s_body, s_headers) in enumerate(self.scripted):
                if split.path.startswith(prefix):
                    del self.scripted[index]
                    raise Refused(s_status, s_body, s_headers)
            if split.path == "/oauth/token":
                status, body = 200, self._token(request, query, raw)
            else:
                self._authorize(request)
                parsed = self._json(request, raw) if request.command in ("POST", "PATCH") else None
                status, body = self._api(request.command, split.path, query, parsed)
        except Refused as refused:
            status, body, headers = refused.status, refused.body, refused.headers
        with self._lock:
            self.requests.append(Received(request.command, split.path, query, status, parsed))
        payload = b"" if status == 204 else json.dumps(body).encode()
        request.send_response(status)
        for name, value in headers.items():
            request.send_header(name, value)
        if payload:
            request.send_header("Content-Type", "application/json;charset=UTF-8")
        request.send_header("Content-Length", str(len(payload)))
        request.end_headers()
        request.wfile.write(payload)

    # Protocol

    def _token(self, request, query: dict, raw: bytes) -> dict:
        if request.command != "POST":
            raise Refused(405, {"reason": "Method not allowed", "error": "invalid_request"})
        fields = dict(query)
        if raw:
            if not (request.headers.get("Content-Type") or "").startswith("application/x-www-form-urlencoded"):
                raise Refused(400, {"reason": "Unsupported content type", "error": "invalid_request"})
            fields.update({key: values[-1] for key, values in parse_qs(raw.decode()).items()})
        expected = "Basic " + base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if request.headers.get("Authorization") != expected:
            raise Refused(401, {"reason": "Invalid client_id or client_secret", "error": "invalid_client"})
        if fields.get("grant_type") != "account_credentials":
            raise Refused(400, {"reason": "Unsupported grant type", "error": "unsupported_grant_type"})
        if fields.get("account_id") != self.account_id:
            raise Refused(400, {"reason": "Invalid account_id", "error": "invalid_request"})
        token = secrets.token_urlsafe(24)
        self.tokens[token] = time.time() + 3599
        return {
            "access_token": token,
            "token_type": "bearer",
            "expires_in": 3599,
            "scope": "meeting:write:admin meeting:read:admin report:read:admin",
            "api_url": "https://api.zoom.us",
        }

    def _authorize(self, request) -> None:
        header = request.headers.get("Authorization") or ""
        token = header[len("Bearer ") :] if header.startswith("Bearer ") else ""
        if not token or self.tokens.get(token, 0) < time.time():
            raise zoom_error(401, 124, "Invalid access token.")

    @staticmethod
    def _json(request, raw: bytes):
        if not (request.headers.get("Content-Type") or "").startswith("application/json"):
            raise zoom_error(400, 300, "Request Body should be a valid JSON object.")
        try:
            body = json.loads(raw)
        except ValueError as error:
            raise zoom_error(400, 300, "Request Body should be a valid JSON object.") from error
        if not isinstance(body, dict):
            raise zoom_error(400, 300, "Request Body should be a valid JSON object.")
        return body

    def _meeting(self, meeting_id: str) -> Meeting:
        meeting = self.meetings.get(int(meeting_id)) if meeting_id.isdigit() else None
        if meeting is None:
            raise zoom_error(404, 3001, f"Meeting does not exist: {meeting_id}.")
        return meeting

    def _api(self, method: str, path: str, query: dict, body) -> tuple[int, dict]:
        parts = [unquote(part) for part in path.strip("/").split("/")]
        if parts[0] != "v2":
            raise zoom_error(404, 404, "Not found")
        parts = parts[1:]
        if method == "POST" and len(parts) == 3 and parts[0] == "users" and parts[2] == "meetings":
            return 201, self._create(parts[1], body)
        if len(parts) == 2 and parts[0] == "meetings":
            meeting = self._meeting(parts[1])
            if method == "GET":
                return 200, meeting.as_json(self.base_url)
            if method == "PATCH":
                self._check_meeting(body, partial=True)
                for key in ("topic", "start_time", "duration", "timezone"):
                    if key in body:
                        setattr(meeting, key, body[key])
                meeting.settings.update(body.get("settings", {}))
                return 204, {}
            if method == "DELETE":
                del self.meetings[meeting.id]
                return 204, {}
        if method == "POST" and len(parts) == 3 and parts[0] == "meetings" and parts[2] == "registrants":
            return 201, self._register(self._meeting(parts[1]), body)
        if method == "GET" and len(parts) == 3 and parts[0] == "meetings" and parts[2] == "recordings":
            meeting = self._meeting(parts[1])
            if meeting.recording is None:
                raise zoom_error(404, 3301, "There is no recording for this meeting.")
            return 200, {"id": meeting.id, "topic": meeting.topic, "recording_files": [], **meeting.recording}
        if method == "GET" and parts[:2] == ["report", "meetings"] and len(parts) == 4 and parts[3] == "participants":
            return 200, self._report(parts[2], query)
        raise zoom_error(404, 404, f"No API at {method} {path}")

    def _check_meeting(self, body: dict, *, partial: bool) -> None:
        unknown = set(body) - MEETING_FIELDS
        if unknown:
            raise zoom_error(400, 300, f"Invalid field: {sorted(unknown)[0]}.")
        required = set() if partial else {"topic", "type", "start_time", "duration", "timezone"}
        missing = required - set(body)
        if missing:
            raise zoom_error(400, 300, f"Missing field: {sorted(missing)[0]}.")
        if "type" in body and body["type"] != 2:
            raise zoom_error(400, 300, "Only scheduled meetings (type 2) are expected here.")
        if "topic" in body and (not isinstance(body["topic"], str) or not 0 < len(body["topic"]) <= 200):
            raise zoom_error(400, 300, "Invalid field: topic (1 to 200 characters).")
        if "start_time" in body and not (isinstance(body["start_time"], str) and START_TIME.match(body["start_time"])):
            raise zoom_error(400, 300, "Invalid field: start_time (yyyy-MM-ddTHH:mm:ssZ in GMT).")
        if "duration" in body and not (isinstance(body["duration"], int) and body["duration"] > 0):
            raise zoom_error(400, 300, "Invalid field: duration (minutes, an integer).")
        settings = body.get("settings", {})
        if not isinstance(settings, dict) or set(settings) - SETTINGS_FIELDS:
            raise zoom_error(400, 300, "Invalid field: settings.")
        if settings.get("approval_type", 2) not in (0, 1, 2):
            raise zoom_error(400, 300, "Invalid field: settings.approval_type.")

    def _create(self, user_id: str, body: dict) -> dict:
        if user_id not in self.hosts:
            raise zoom_error(404, 1001, f"User does not exist: {user_id}.")
        self._check_meeting(body, partial=False)
        meeting = Meeting(
            next(self._ids),
            user_id,
            body["topic"],
            body["start_time"],
            body["duration"],
            body["timezone"],
            dict(body.get("settings", {})),
        )
        self.meetings[meeting.id] = meeting
        return meeting.as_json(self.base_url)

    def _register(self, meeting: Meeting, body: dict) -> dict:
        if meeting.settings.get("approval_type", 2) == 2:
            raise zoom_error(400, 3003, f"Registration has not been enabled for this meeting: {meeting.id}.")
        if set(body) - REGISTRANT_FIELDS or not body.get("email") or not body.get("first_name"):
            raise zoom_error(400, 300, "A registrant needs email and first_name (and optionally last_name).")
        registrant_id = secrets.token_hex(8)
        meeting.registrants.append({**body, "id": registrant_id})
        return {
            "id": meeting.id,
            "registrant_id": registrant_id,
            "join_url": f"{self.base_url}/w/{meeting.id}?tk={registrant_id}",
            "topic": meeting.topic,
            "start_time": meeting.start_time,
        }

    def _report(self, meeting_id: str, query: dict) -> dict:
        meeting = self._meeting(meeting_id)
        if not meeting.ended:
            raise zoom_error(404, 3001, f"Meeting does not exist: {meeting_id}.")  # no report before the end
        try:
            size = int(query.get("page_size", 30))
        except ValueError as error:
            raise zoom_error(400, 300, "Invalid field: page_size.") from error
        if not 1 <= size <= MAX_PAGE_SIZE:
            raise zoom_error(400, 300, f"Invalid field: page_size (1 to {MAX_PAGE_SIZE}).")
        offset = 0
        if query.get("next_page_token"):
            found = self.page_tokens.get(query["next_page_token"])
            if found is None or found[0] != meeting.id:
                raise zoom_error(400, 300, "The next page token is invalid or expired.")
            offset = found[1]
        rows = meeting.participants[offset : offset + size]
        token = ""
        if offset + size < len(meeting.participants):
            token = secrets.token_urlsafe(16)
            self.page_tokens[token] = (meeting.id, offset + size)
        return {
            "page_count": -(-len(meeting.participants) // size),
            "page_size": size,
            "total_records": len(meeting.participants),
            "next_page_token": token,
            "participants": rows,
        }


def participant(email: str, seconds: int, *, name: str = "", start: str = "2027-03-01T09:00:00Z") -> dict:
    """A report row: one join of one participant (Zoom repeats a participant who rejoined)."""
    joined = datetime.datetime.fromisoformat(start.replace("Z", "+00:00"))
    left = joined + datetime.timedelta(seconds=seconds)
    return {
        "id": secrets.token_hex(6),
        "user_id": str(secrets.randbelow(10**8)),
        "name": name or email.split("@")[0] or "Guest",
        "user_email": email,
        "join_time": joined.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "leave_time": left.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "duration": seconds,
        "status": "in_meeting",
    }


@contextlib.contextmanager
def running(**kwargs):
    with FakeZoom(**kwargs) as fake:
        yield fake
