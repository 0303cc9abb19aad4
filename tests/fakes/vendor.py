"""The plumbing the fakes of Degreed, Moodle and Canvas share: a threaded HTTP server on 127.0.0.1
with routes, scripted failures, and a count of what was received.

Fakes with a dispatch of their own (getAbstract, LinkedIn Learning, Box, miniOrange, Workday …)
share only the server's life: ``loopback_server`` and the ``LoopbackFake`` mixin (``url``, the
context manager; ``_new_server`` for a handler class of their own, ``QuietHandler``), and
``send_json`` for their answers; ``PathScriptedFake`` adds the JSON answers, the call record and
the path-scripted failures getAbstract and LinkedIn Learning share.

A fake subclasses ``VendorFake``, declares ``routes`` (method, regular expression of the path, the
method name that handles it, a kind used to count and script) and raises ``Refused`` for anything
the vendor refuses. Tests script failures per kind (``fail``), read ``calls(kind)`` and
``requests``.
"""

from __future__ import annotations

import collections
import contextlib
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


def loopback_server(dispatch, methods=("GET", "POST"), *, protocol_version: str | None = None) -> ThreadingHTTPServer:
    """A threaded HTTP server on 127.0.0.1 (a free port), not started, that quietly hands every
    request of ``methods`` to ``dispatch(handler, method)``."""
    attributes = {"log_message": lambda handler, *args: None}
    if protocol_version:
        attributes["protocol_version"] = protocol_version
    for method in methods:
        attributes[f"do_{method}"] = lambda handler, method=method: dispatch(handler, method)
    return ThreadingHTTPServer(("127.0.0.1", 0), type("Handler", (BaseHTTPRequestHandler,), attributes))


def send_json(handler, status: int, body, headers: dict | None = None) -> None:
    """Answer ``status`` with ``body`` as JSON (and any extra ``headers``)."""
    data = json.dumps(body).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(data)


class QuietHandler(BaseHTTPRequestHandler):
    """An HTTP/1.1 request handler that logs nothing (for fakes with a handler class of their own)."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass


class ManualClock:
    """A clock the client under test reads and sleeps on (``clock``, ``sleep``): ``now`` moves only
    when it sleeps, so waits and token expiries are tested without waiting."""

    now = 0.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class LoopbackFake:
    """The server's life for a fake with its own dispatch: ``with fake:`` serves on 127.0.0.1.

    The fake defines ``_answer(handler, method)`` (or names another method in ``dispatch``), the
    ``http_methods`` it answers and its ``protocol_version``; ``url`` (``base_url``) is the
    server's address once it is made (on entry, or earlier through ``_make_loopback_server``).
    """

    http_methods: tuple[str, ...] = ("GET", "POST")
    dispatch = "_answer"
    poll_interval = 0.5  # how soon the server sees it is shut down (socketserver's default)
    protocol_version: str | None = None
    server: ThreadingHTTPServer | None = None
    thread: threading.Thread | None = None
    _closed = False

    def _make_loopback_server(self) -> ThreadingHTTPServer:
        self.server = self._new_server()
        self._closed = False
        return self.server

    def _new_server(self) -> ThreadingHTTPServer:
        """The server, not started; a fake with a handler class of its own returns one of those."""
        return loopback_server(getattr(self, self.dispatch), self.http_methods, protocol_version=self.protocol_version)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        if self.server is None or self._closed:
            self._make_loopback_server()
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": self.poll_interval}, daemon=True
        )
        self.thread.start()
        return self

    def __exit__(self, *exc_info):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self._closed = True


class Rejected(Exception):
    """A refusal of a ``PathScriptedFake``: status, message (the fake's ``refusal`` makes the body)
    and headers."""

    def __init__(self, status: int, message: str, headers: dict | None = None):
        self.status, self.message, self.headers = status, message, headers or {}
        super().__init__(message)


class PathScriptedFake(LoopbackFake):
    """A ``LoopbackFake`` answering JSON from ``_route(handler, method, path, query, body)`` (which
    raises ``Rejected``), recording every call in ``requests`` as ``(method, path, query)`` (a
    query parameter's last value) and failing the next call of a path once per ``(path, status,
    headers)`` appended to ``fail``. The fake sets ``requests``, ``fail`` and ``_lock``."""

    def calls(self, path: str) -> list[dict]:
        return [query for _method, called, query in self.requests if called == path]

    def refusal(self, exc: Rejected):
        """The body of an error answer."""
        return {"error": exc.message}

    def _answer(self, handler, method: str) -> None:
        parts = urlsplit(handler.path)
        query = {key: values[-1] for key, values in parse_qs(parts.query, keep_blank_values=True).items()}
        body = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        with self._lock:
            self.requests.append((method, parts.path, query))
            try:
                for index, (path, status, headers) in enumerate(self.fail):
                    if path == parts.path:
                        del self.fail[index]
                        raise Rejected(status, "Injected failure", headers)
                answer, status, headers = self._route(handler, method, parts.path, query, body), 200, {}
            except Rejected as exc:
                answer, status, headers = self.refusal(exc), exc.status, exc.headers
        send_json(handler, status, answer, headers)


class Refused(Exception):
    """An error answer: status, a body (JSON-serialisable or text) and headers."""

    def __init__(self, status: int, body, headers: dict | None = None):
        self.status, self.body, self.headers = status, body, dict(headers or {})
        super().__init__(f"{status}: {body}")


@dataclass
class Reply:
    status: int
    body: object = None
    headers: dict = field(default_factory=dict)
    raw: bytes | None = None
    content_type: str = "application/json"


@dataclass
class Received:
    kind: str
    method: str
    path: str
    query: dict
    status: int
    body: object


@dataclass
class Request:
    method: str
    path: str
    query: dict  # name -> list of values
    headers: object
    raw: bytes
    match: re.Match

    def json(self):
        try:
            return json.loads(self.raw or b"null")
        except ValueError as exc:
            raise Refused(400, {"error": "invalid JSON body"}) from exc

    def form(self) -> dict[str, list[str]]:
        return parse_qs(self.raw.decode(), keep_blank_values=True)

    @property
    def content_type(self) -> str:
        return (self.headers.get("Content-Type") or "").split(";")[0].strip()

    def bearer(self) -> str:
        header = self.headers.get("Authorization") or ""
        return header[7:] if header.startswith("Bearer ") else ""


class VendorFake:
    name = "fake"
    routes: tuple[tuple[str, str, str, str], ...] = ()  # (method, path regex, handler name, kind)

    def __init__(self):
        self.lock = threading.RLock()
        self.scripted: list[tuple[str, Reply]] = []
        self.counts: collections.Counter = collections.Counter()
        self.requests: list[Received] = []
        self.keep_history = True
        self._routes = [
            (method, re.compile(f"^{pattern}$"), handler, kind) for method, pattern, handler, kind in self.routes
        ]
        self.server = self._make_server()
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"fake-{self.name}", daemon=True
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self):
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # Scripting and reading

    def fail(self, kind: str = "any", status: int = 503, *, times: int = 1, headers=None, body=None, raw=None):
        """The next ``times`` requests of ``kind`` are answered ``status`` instead of being handled."""
        reply = Reply(status, body if body is not None else {"error": "scripted"}, dict(headers or {}), raw)
        with self.lock:
            self.scripted += [(kind, reply) for _ in range(times)]

    def calls(self, kind: str | None = None) -> int:
        with self.lock:
            return sum(self.counts.values()) if kind is None else self.counts[kind]

    def received(self, kind: str) -> list[Received]:
        with self.lock:
            return [request for request in self.requests if request.kind == kind]

    # Serving

    def _make_server(self) -> ThreadingHTTPServer:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, *args):
                pass

            def do_GET(self):
                fake._handle(self, "GET")

            def do_POST(self):
                fake._handle(self, "POST")

            def do_PUT(self):
                fake._handle(self, "PUT")

            def do_PATCH(self):
                fake._handle(self, "PATCH")

            def do_DELETE(self):
                fake._handle(self, "DELETE")

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                pass

        return Server(("127.0.0.1", 0), Handler)

    def _take(self, kind: str) -> Reply | None:
        with self.lock:
            for index, (scripted_kind, _reply) in enumerate(self.scripted):
                if scripted_kind in (kind, "any"):
                    return self.scripted.pop(index)[1]
        return None

    def _handle(self, handler, method: str) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        query = parse_qs(parts.query, keep_blank_values=True)
        kind, function, match = "unknown", None, None
        for route_method, pattern, name, route_kind in self._routes:
            found = pattern.match(parts.path)
            if found and route_method == method:
                kind, function, match = route_kind, getattr(self, name), found
                break
            if found:
                kind = "method_not_allowed"
        reply = self._take(kind) if function is not None else None
        body_seen = raw.decode(errors="replace")
        if reply is None:
            try:
                if function is None:
                    raise Refused(405 if kind == "method_not_allowed" else 404, self.not_found(parts.path))
                request = Request(method, parts.path, query, handler.headers, raw, match)
                with contextlib.suppress(ValueError):
                    body_seen = json.loads(raw) if raw and request.content_type.endswith("json") else body_seen
                reply = function(request)
                if not isinstance(reply, Reply):
                    reply = Reply(200, reply)
            except Refused as refused:
                reply = Reply(refused.status, refused.body, refused.headers)
        with self.lock:
            self.counts[kind] += 1
            if self.keep_history:
                self.requests.append(Received(kind, method, parts.path, query, reply.status, body_seen))
        self._reply(handler, reply)

    def not_found(self, path: str):
        return {"error": f"No resource at {path}"}

    @staticmethod
    def _reply(handler, reply: Reply) -> None:
        if reply.raw is not None:
            data = reply.raw
        elif reply.body is None:
            data = b""
        elif isinstance(reply.body, str | bytes):
            data = reply.body.encode() if isinstance(reply.body, str) else reply.body
        else:
            data = json.dumps(reply.body).encode()
        handler.send_response(reply.status)
        if data:
            handler.send_header("Content-Type", reply.content_type)
        handler.send_header("Content-Length", str(len(data)))
        for name, value in reply.headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            handler.wfile.write(data)
