"""A fake Open edX (LMS + course-discovery) on 127.0.0.1, speaking the real APIs.

Two threaded HTTP servers share one state: the LMS (OAuth2 ``/oauth2/access_token``, the
enrollment, grades and certificates APIs) and course-discovery (``/api/v1/course_runs/``,
``/api/v1/courses/``, ``/api/v1/programs/`` with its ``q`` search, ``/api/v1/programs/<uuid>/``).
Tokens are JWTs naming the OAuth2 application's user; both servers check
``Authorization: JWT <token>``, refuse unknown and expired tokens with 401 and apply the LMS's
rule that only staff read or change other users' data.
Listings paginate (page numbers on discovery, cursors on the grades API) with a small page size.
``fail()`` injects error answers (429/5xx with Retry-After) and ``delay()`` slow answers.
Every request is recorded in ``requests``.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

SIGNING_KEY = b"fake-lms-jwt-signing-key"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _iso(value: datetime.datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


@dataclass
class Recorded:
    server: str
    method: str
    path: str
    query: dict
    body: object
    username: str | None
    status: int = 0


@dataclass
class Injected:
    server: str
    path_prefix: str
    status: int = 503
    times: int = 1
    headers: dict = field(default_factory=dict)
    delay: float = 0.0
    method: str | None = None


class FakeOpenEdX:
    def __init__(self, *, token_lifetime: int = 3600, page_size: int = 2):
        self.token_lifetime = token_lifetime
        self.page_size = page_size
        self.clients: dict[str, tuple[str, str]] = {}
        self.staff: set[str] = set()
        self.users: set[str] = set()
        self.tokens: dict[str, tuple[str, float]] = {}
        self.course_runs: dict[str, dict] = {}
        self.courses: dict[str, dict] = {}
        self.programs: dict[str, dict] = {}
        self.enrollments: dict[tuple[str, str], dict] = {}
        self.grades: dict[tuple[str, str], dict] = {}
        # (username, course id) -> the graded subsections' rows of the gradebook's ``section_breakdown``
        self.subsection_grades: dict[tuple[str, str], list[dict]] = {}
        self.certificates: dict[tuple[str, str], dict] = {}
        self.injected: list[Injected] = []
        self.requests: list[Recorded] = []
        self.tokens_issued = 0
        self.lock = threading.RLock()
        self._servers = {name: self._make_server(name) for name in ("lms", "discovery")}

    # Lifecycle

    def _make_server(self, name):
        fake = self

        class Handler(_Handler):
            role = name
            state = fake

        server = _QuietServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        return server

    def start(self):
        for server in self._servers.values():
            threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self):
        for server in self._servers.values():
            server.shutdown()
            server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def url(self, name: str) -> str:
        host, port = self._servers[name].server_address[:2]
        return f"http://{host}:{port}"

    @property
    def lms_url(self) -> str:
        return self.url("lms")

    @property
    def discovery_api_url(self) -> str:
        return self.url("discovery") + "/api/v1/"

    # Data

    def add_client(self, client_id: str, secret: str, username: str, *, staff: bool = True):
        with self.lock:
            self.clients[client_id] = (secret, username)
            self.users.add(username)
            if staff:
                self.staff.add(username)

    def add_user(self, username: str):
        with self.lock:
            self.users.add(username)

    def add_course_run(
        self,
        key: str,
        *,
        title: str = "A course",
        pacing: str = "instructor_paced",
        start: datetime.datetime | None = None,
        end: datetime.datetime | None = None,
        modes=("audit", "verified"),
        status: str = "published",
        skill_names=None,
        weeks_to_complete: int | None = None,
        max_effort: int | None = None,
    ) -> dict:
        """Add a run (and its course, keyed ``Org+Number``); ``skill_names`` set the course's skills."""
        course_key = key.split(":", 1)[-1].rsplit("+", 1)[0]
        run = {
            "key": key,
            "course": course_key,
            "uuid": str(_uuid_for(key)),
            "title": title,
            "short_description": f"About {title}",
            "start": _iso(start),
            "end": _iso(end),
            "enrollment_start": None,
            "enrollment_end": None,
            "pacing_type": pacing,
            "type": "verified" if "verified" in modes else "audit",
            "status": status,
            "weeks_to_complete": weeks_to_complete,  # discovery: effort in hours per week, for that many weeks
            "min_effort": max_effort and max(max_effort // 2, 1),
            "max_effort": max_effort,
            "seats": [
                {"type": mode, "price": "0.00" if mode == "audit" else "49.00", "currency": "USD", "sku": None}
                for mode in modes
            ],
        }
        with self.lock:
            self.course_runs[key] = run
            course = self.courses.setdefault(
                course_key,
                {"key": course_key, "uuid": str(_uuid_for(course_key)), "title": title, "runs": [], "skills": []},
            )
            course["runs"].append(key)
            if skill_names is not None:
                course["skills"] = list(skill_names)
        return run

    def add_program(self, program_uuid: str, title: str, course_keys, *, status: str = "active") -> None:
        with self.lock:
            self.programs[str(program_uuid)] = {
                "uuid": str(program_uuid),
                "title": title,
                "courses": list(course_keys),
                "status": status,
            }

    def enroll(self, username: str, course_id: str, mode: str = "audit", *, active: bool = True):
        with self.lock:
            self.users.add(username)
            self.enrollments[(username, course_id)] = {
                "mode": mode,
                "is_active": active,
                "created": _iso(datetime.datetime.now(datetime.UTC)),
            }

    def set_grade(self, username: str, course_id: str, percent: float, *, passed: bool, letter_grade=None):
        with self.lock:
            self.grades[(username, course_id)] = {
                "percent": percent,
                "passed": passed,
                "letter_grade": letter_grade or ("Pass" if passed else None),
            }

    def set_subsection_grade(
        self, username: str, course_id: str, module_id: str, name: str, earned: float, possible: float, *, label=""
    ):
        """A graded subsection's score in the gradebook (``section_breakdown``), as edx-platform computes it."""
        with self.lock:
            rows = self.subsection_grades.setdefault((username, course_id), [])
            rows[:] = [row for row in rows if row["module_id"] != module_id]
            rows.append(
                {
                    "attempted": True,
                    "category": "Homework",
                    "label": label or f"HW {len(rows) + 1:02}",
                    "module_id": module_id,
                    "percent": round(earned / possible, 4) if possible else 0.0,
                    "score_earned": earned,
                    "score_possible": possible,
                    "subsection_name": name,
                }
            )

    def set_certificate(
        self, username: str, course_id: str, *, grade: str, created: datetime.datetime, status: str = "downloadable"
    ):
        with self.lock:
            self.certificates[(username, course_id)] = {
                "username": username,
                "course_id": course_id,
                "certificate_type": "verified",
                "created_date": created.strftime("%Y-%m-%dT%H:%M:%S+0000"),
                "status": status,
                "is_passing": status == "downloadable",
                "download_url": f"/certificates/{_uuid_for(username + course_id).hex}",
                "grade": grade,
            }

    # Faults

    def fail(self, server: str, path_prefix: str, status: int = 503, *, times: int = 1, retry_after=None, method=None):
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        with self.lock:
            self.injected.append(Injected(server, path_prefix, status, times, headers, method=method))

    def delay(self, server: str, path_prefix: str, seconds: float, *, times: int = 1):
        with self.lock:
            self.injected.append(Injected(server, path_prefix, 0, times, delay=seconds))

    def expire_tokens(self):
        with self.lock:
            self.tokens = {token: (user, 0.0) for token, (user, _exp) in self.tokens.items()}

    def calls(self, server: str | None = None, path_prefix: str = "", method: str | None = None) -> list[Recorded]:
        with self.lock:
            return [
                r
                for r in self.requests
                if (server is None or r.server == server)
                and r.path.startswith(path_prefix)
                and (method is None or r.method == method)
            ]

    # Internals used by the handler

    def issue_token(self, username: str) -> str:
        now = int(time.time())
        header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        claims = {
            "iss": self.lms_url + "/oauth2",
            "aud": "openedx",
            "preferred_username": username,
            "administrator": username in self.staff,
            "scopes": ["read", "write", "grades:read", "certificates:read", "enrollments:read"],
            "iat": now,
            "exp": now + self.token_lifetime,
            "jti": secrets.token_hex(8),
        }
        payload = _b64(json.dumps(claims).encode())
        signature = _b64(hmac.new(SIGNING_KEY, f"{header}.{payload}".encode(), hashlib.sha256).digest())
        token = f"{header}.{payload}.{signature}"
        with self.lock:
            self.tokens[token] = (username, time.monotonic() + self.token_lifetime)
            self.tokens_issued += 1
        return token

    def take_injected(self, server: str, method: str, path: str) -> Injected | None:
        with self.lock:
            for item in self.injected:
                if (
                    item.server == server
                    and path.startswith(item.path_prefix)
                    and item.times > 0
                    and (item.method is None or item.method == method)
                ):
                    item.times -= 1
                    return item
        return None


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        """A client that gave up (its read timeout) closes the socket under a slow answer: not an error."""
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


_RESERVED = set('+-=&|><!(){}[]^"~*?:\\/ ')  # < and > cannot even be escaped


def _query_term(term: str) -> tuple[str, bool]:
    """(the unescaped term, is it a prefix) or ValueError for a term that does not parse."""
    text, prefix, escaped = [], False, False
    for index, char in enumerate(term):
        if escaped:
            text.append(char)
            escaped = False
        elif char == "\\" and index + 1 < len(term) and term[index + 1] in "<>":
            raise ValueError(f"Failed to parse query [{term}]: {term[index + 1]!r} cannot be escaped.")
        elif char == "\\":
            escaped = True
        elif char == "*" and index == len(term) - 1:
            prefix = True
        elif char in _RESERVED:
            raise ValueError(f"Failed to parse query [{term}]: unescaped {char!r}.")
        else:
            text.append(char)
    if escaped or not text:
        raise ValueError(f"Failed to parse query [{term}].")
    return "".join(text).lower(), prefix


def _term_matches(term: tuple[str, bool], program: dict) -> bool:
    text, prefix = term
    words = [*program["title"].lower().split(), program["uuid"]]
    return any(word.startswith(text) if prefix else word == text for word in words)


def _course_term_matches(term: tuple[str, bool], course: dict) -> bool:
    text, prefix = term
    words = course["title"].lower().split()
    keys = [course["key"].lower(), *(run["key"].lower() for run in course["course_runs"])]
    if any(word.startswith(text) if prefix else word == text for word in words):
        return True
    return any(key.startswith(text) if prefix else key == text for key in keys)


def _uuid_for(text: str):
    import uuid

    return uuid.uuid5(uuid.NAMESPACE_URL, text)


class _Reply(Exception):
    def __init__(self, status: int, body=None, headers=None):
        self.status, self.body, self.headers = status, body, headers or {}


class _Handler(BaseHTTPRequestHandler):
    role = ""
    state: FakeOpenEdX
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # keep test output quiet
        pass

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    def _handle(self, method):
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = self._parse_body(raw)
        record = Recorded(self.role, method, path, query, body, None)
        with self.state.lock:
            self.state.requests.append(record)
        try:
            injected = self.state.take_injected(self.role, method, path)
            if injected and injected.delay:
                time.sleep(injected.delay)
            elif injected:
                raise _Reply(injected.status, {"detail": "Injected failure."}, injected.headers)
            if self.role == "lms" and path == "/oauth2/access_token" and method == "POST":
                raise _Reply(*self._token(body))
            record.username = self._authenticate()
            route = _LMS_ROUTES if self.role == "lms" else _DISCOVERY_ROUTES
            for route_method, pattern, name in route:
                match = pattern.fullmatch(path)
                if match and route_method == method:
                    raise _Reply(*getattr(self, name)(record.username, query, body, **match.groupdict()))
            raise _Reply(404, {"detail": "Not found."})
        except _Reply as reply:
            record.status = reply.status
            self._send(reply.status, reply.body, reply.headers)

    def _parse_body(self, raw: bytes):
        if not raw:
            return None
        if (self.headers.get("Content-Type") or "").startswith("application/json"):
            return json.loads(raw)
        return {k: v[-1] for k, v in parse_qs(raw.decode()).items()}

    def _send(self, status, body, headers):
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _authenticate(self) -> str:
        header = self.headers.get("Authorization") or ""
        scheme, _, token = header.partition(" ")
        if scheme != "JWT" or not token:
            raise _Reply(401, {"detail": "Authentication credentials were not provided."})
        with self.state.lock:
            entry = self.state.tokens.get(token)
        if entry is None:
            raise _Reply(401, {"detail": "Invalid token."})
        username, expires = entry
        if time.monotonic() >= expires:
            raise _Reply(401, {"detail": "Signature has expired.", "developer_message": "Token expired"})
        return username

    def _require_staff_or_self(self, requester: str, username: str):
        if requester != username and requester not in self.state.staff:
            raise _Reply(403, {"detail": "You do not have permission to perform this action."})

    # OAuth2

    def _token(self, form):
        form = form or {}
        if form.get("grant_type") != "client_credentials":
            return 400, {"error": "unsupported_grant_type"}
        client = self.state.clients.get(form.get("client_id", ""))
        if client is None or not hmac.compare_digest(client[0], form.get("client_secret", "")):
            return 401, {"error": "invalid_client"}
        if form.get("token_type") != "jwt":
            return 400, {"error": "invalid_request", "error_description": "token_type=jwt expected"}
        token = self.state.issue_token(client[1])
        return 200, {
            "access_token": token,
            "token_type": "JWT",
            "expires_in": self.state.token_lifetime,
            "scope": "read write email profile",
        }

    # Discovery

    def _page(self, items, query, path):
        size = int(query.get("page_size") or self.state.page_size)
        size = min(size, self.state.page_size)
        page = int(query.get("page") or 1)
        chunk = items[(page - 1) * size : page * size]
        base = f"{self.state.url('discovery')}{path}"

        def link(number):
            return f"{base}?{urlencode({**query, 'page': number, 'page_size': size})}"

        return {
            "count": len(items),
            "next": link(page + 1) if page * size < len(items) else None,
            "previous": link(page - 1) if page > 1 else None,
            "results": chunk,
        }

    def course_runs(self, user, query, body):
        runs = sorted(self.state.course_runs.values(), key=lambda r: r["key"])
        if query.get("keys"):
            keys = set(query["keys"].split(","))
            runs = [r for r in runs if r["key"] in keys]
        if query.get("q"):
            runs = [r for r in runs if query["q"].lower() in (r["key"] + r["title"]).lower()]
        return 200, self._page(runs, query, "/api/v1/course_runs/")

    def _course_payload(self, course):
        return {
            "key": course["key"],
            "uuid": course["uuid"],
            "title": course["title"],
            "course_runs": [self.state.course_runs[key] for key in course["runs"]],
            # course-discovery's CourseSerializer: the names of the course's (whitelisted) skills
            "skill_names": list(course["skills"]),
        }

    def courses_list(self, user, query, body):
        """``GET /api/v1/courses/``: ``keys`` or ``q``, an Elasticsearch query string read strictly as for
        programs (an unescaped reserved character is a 400); a term matches a word of the title or the
        start of the course's key or of one of its runs' keys."""
        unknown = set(query) - {"q", "keys", "uuids", "page", "page_size"}
        if unknown:
            return 400, {"detail": f"Unknown parameters: {sorted(unknown)}"}
        courses = [self._course_payload(c) for _k, c in sorted(self.state.courses.items())]
        if query.get("keys"):
            keys = set(query["keys"].split(","))
            courses = [c for c in courses if c["key"] in keys]
        if query.get("q"):
            try:
                terms = [_query_term(term) for term in query["q"].split(" AND ")]
            except ValueError as exc:
                return 400, {"detail": str(exc)}
            courses = [c for c in courses if all(_course_term_matches(term, c) for term in terms)]
        return 200, self._page(courses, query, "/api/v1/courses/")

    def _program_payload(self, program):
        return {
            "uuid": program["uuid"],
            "title": program["title"],
            "type": "Professional Certificate",
            "status": program["status"],
            "courses": [self._course_payload(self.state.courses[key]) for key in program["courses"]],
        }

    def program(self, user, query, body, program_uuid):
        program = self.state.programs.get(program_uuid)
        if program is None:
            return 404, {"detail": "Not found."}
        return 200, self._program_payload(program)

    def programs_list(self, user, query, body):
        """``GET /api/v1/programs/``: ``q`` is an Elasticsearch query string, read strictly here.

        Terms are joined by `` AND ``; a term's reserved characters must be escaped with ``\\`` (an
        unescaped one is a 400, as a query string that does not parse); a trailing ``*`` makes it a
        prefix. A term matches a word of the title or the start of the uuid; every term must match.
        """
        unknown = set(query) - {"q", "status", "types", "uuids", "page", "page_size"}
        if unknown:
            return 400, {"detail": f"Unknown parameters: {sorted(unknown)}"}
        if query.get("status") not in (None, "active", "unpublished", "retired", "deleted"):
            return 400, {"status": [f"Select a valid choice. {query['status']} is not one of the available choices."]}
        programs = sorted(self.state.programs.values(), key=lambda p: p["uuid"])
        if query.get("status"):
            programs = [p for p in programs if p["status"] == query["status"]]
        if query.get("q"):
            try:
                terms = [_query_term(term) for term in query["q"].split(" AND ")]
            except ValueError as exc:
                return 400, {"detail": str(exc)}
            programs = [p for p in programs if all(_term_matches(term, p) for term in terms)]
        return 200, self._page([self._program_payload(p) for p in programs], query, "/api/v1/programs/")

    # LMS: enrollments

    def _enrollment_payload(self, username, course_id, row):
        run = self.state.course_runs.get(course_id, {})
        return {
            "created": row["created"],
            "mode": row["mode"],
            "is_active": row["is_active"],
            "course_details": {
                "course_id": course_id,
                "course_name": run.get("title"),
                "enrollment_start": None,
                "enrollment_end": None,
                "course_modes": [{"slug": seat["type"], "name": seat["type"].title()} for seat in run.get("seats", [])],
                "invite_only": False,
            },
            "user": username,
        }

    def enrollment_list(self, user, query, body):
        username = query.get("user") or user
        self._require_staff_or_self(user, username)
        rows = sorted((cid, row) for (name, cid), row in self.state.enrollments.items() if name == username)
        return 200, [self._enrollment_payload(username, cid, row) for cid, row in rows]

    def enrollment_detail(self, user, query, body, username, course_id):
        self._require_staff_or_self(user, username)
        row = self.state.enrollments.get((username, course_id))
        return 200, (self._enrollment_payload(username, course_id, row) if row else None)

    def enrollment_post(self, user, query, body):
        body = body or {}
        username = body.get("user") or user
        course_id = (body.get("course_details") or {}).get("course_id")
        self._require_staff_or_self(user, username)
        if username not in self.state.users:
            return 406, {"message": f"The user {username} does not exist."}
        run = self.state.course_runs.get(course_id)
        if run is None:
            return 400, {"message": f"No course '{course_id}' found for enrollment"}
        modes = [seat["type"] for seat in run["seats"]]
        mode = body.get("mode") or "audit"
        if mode not in modes:
            return 400, {
                "message": (
                    f"The [{mode}] course mode is expired or otherwise unavailable for course run [{course_id}]."
                ),
                "course_details": {
                    "course_id": course_id,
                    "course_modes": [{"slug": slug} for slug in modes],
                },
            }
        with self.state.lock:
            row = self.state.enrollments.setdefault(
                (username, course_id), {"created": _iso(datetime.datetime.now(datetime.UTC))}
            )
            row["mode"] = mode
            row["is_active"] = bool(body.get("is_active", True))
        return 200, self._enrollment_payload(username, course_id, row)

    # LMS: grades and certificates

    def _grade_row(self, username, course_id):
        grade = self.state.grades.get((username, course_id), {"percent": 0.0, "passed": False, "letter_grade": None})
        return {"username": username, "email": "", "course_id": course_id, **grade}

    def grades(self, user, query, body, course_id):
        if course_id not in self.state.course_runs:
            return 404, {"error_code": "course_does_not_exist", "developer_message": "The course does not exist."}
        username = query.get("username")
        if username:
            self._require_staff_or_self(user, username)
            if username not in self.state.users:
                return 404, {"error_code": "user_does_not_exist"}
            if (username, course_id) not in self.state.enrollments:
                return 404, {"error_code": "user_not_enrolled"}
            return 200, [self._grade_row(username, course_id)]
        self._require_staff_or_self(user, "")
        enrolled = sorted(
            name for (name, cid), row in self.state.enrollments.items() if cid == course_id and row["is_active"]
        )
        size = min(int(query.get("page_size") or self.state.page_size), self.state.page_size)
        offset = int(base64.urlsafe_b64decode(query["cursor"]).decode()) if query.get("cursor") else 0
        chunk = enrolled[offset : offset + size]
        next_link = None
        if offset + size < len(enrolled):
            cursor = base64.urlsafe_b64encode(str(offset + size).encode()).decode()
            query_string = urlencode({"cursor": cursor, "page_size": size})
            next_link = f"{self.state.lms_url}/api/grades/v1/courses/{course_id}/?{query_string}"
        return 200, {"next": next_link, "previous": None, "results": [self._grade_row(n, course_id) for n in chunk]}

    def _gradebook_row(self, username, course_id):
        grade = self._grade_row(username, course_id)
        return {
            "course_id": course_id,
            "email": f"{username}@example.com",
            "user_id": sorted(self.state.users).index(username) + 1,
            "username": username,
            "full_name": username,
            "passed": grade["passed"],
            "percent": grade["percent"],
            "letter_grade": grade["letter_grade"],
            "progress_page_url": f"/courses/{course_id}/progress/{username}/",
            "section_breakdown": list(self.state.subsection_grades.get((username, course_id), [])),
        }

    def gradebook(self, user, query, body, course_id):
        """``/api/grades/v1/gradebook/{course_id}/``: course staff only (not the learner), one learner with
        ``username`` (an object), else the enrolled learners, paginated by cursor (edx-platform's GradebookView)."""
        if user not in self.state.staff:
            return 403, {"detail": "You do not have permission to perform this action."}
        if course_id not in self.state.course_runs:
            return 404, {"error_code": "course_does_not_exist", "developer_message": "The course does not exist."}
        username = query.get("username")
        if username:
            if username not in self.state.users:
                return 404, {"error_code": "user_does_not_exist"}
            if (username, course_id) not in self.state.enrollments:
                return 404, {"error_code": "user_not_enrolled"}
            return 200, self._gradebook_row(username, course_id)
        enrolled = sorted(
            name for (name, cid), row in self.state.enrollments.items() if cid == course_id and row["is_active"]
        )
        size = min(int(query.get("page_size") or self.state.page_size), self.state.page_size)
        offset = int(base64.urlsafe_b64decode(query["cursor"]).decode()) if query.get("cursor") else 0
        chunk = enrolled[offset : offset + size]
        next_link = None
        if offset + size < len(enrolled):
            cursor = base64.urlsafe_b64encode(str(offset + size).encode()).decode()
            query_string = urlencode({"cursor": cursor, "page_size": size})
            next_link = f"{self.state.lms_url}/api/grades/v1/gradebook/{course_id}/?{query_string}"
        return 200, {
            "next": next_link,
            "previous": None,
            "results": [self._gradebook_row(name, course_id) for name in chunk],
        }

    def certificate_detail(self, user, query, body, username, course_id):
        self._require_staff_or_self(user, username)
        cert = self.state.certificates.get((username, course_id))
        if cert is None:
            return 404, {"error_code": "no_certificate_for_user"}
        return 200, cert

    def certificate_list(self, user, query, body, username):
        self._require_staff_or_self(user, username)
        return 200, [cert for (name, _cid), cert in sorted(self.state.certificates.items()) if name == username]


_COURSE = r"(?P<course_id>[^/]+)"
_USER = r"(?P<username>[^/,]+)"
_LMS_ROUTES = [
    ("GET", re.compile(r"/api/enrollment/v1/enrollment/?"), "enrollment_list"),
    ("POST", re.compile(r"/api/enrollment/v1/enrollment/?"), "enrollment_post"),
    ("GET", re.compile(rf"/api/enrollment/v1/enrollment/{_USER},{_COURSE}/?"), "enrollment_detail"),
    ("GET", re.compile(rf"/api/grades/v1/courses/{_COURSE}/"), "grades"),
    ("GET", re.compile(rf"/api/grades/v1/gradebook/{_COURSE}/"), "gradebook"),
    ("GET", re.compile(rf"/api/certificates/v0/certificates/{_USER}/courses/{_COURSE}/"), "certificate_detail"),
    ("GET", re.compile(rf"/api/certificates/v0/certificates/{_USER}/"), "certificate_list"),
]
_DISCOVERY_ROUTES = [
    ("GET", re.compile(r"/api/v1/course_runs/"), "course_runs"),
    ("GET", re.compile(r"/api/v1/courses/"), "courses_list"),
    ("GET", re.compile(r"/api/v1/programs/"), "programs_list"),
    ("GET", re.compile(r"/api/v1/programs/(?P<program_uuid>[0-9a-f-]{36})/"), "program"),
]
