"""A paged JSON API of people on 127.0.0.1, for the import pipeline's tests and the benchmark.

A fake server like the others of ``tests/fakes``, which the ``connector_import`` benchmark imports
too (benchmarks may import ``tests.fakes`` and ``tests.factories``, decision 0476). Items are built
on demand by ``item(index)`` (so a million people are never held in memory), ``page_size`` per
page, in two paging styles:

- ``/people?page=N`` (N from 1): ``{"items": […], "page": N, "total": T}``; past the end, an
  empty ``items``;
- ``/people/next`` (``?cursor=K``): ``{"data": {"records": […]}, "links": {"next": "/people/next?cursor=K2"}}``,
  ``links.next`` null on the last page (a relative link, as many APIs give).

Strict like a real API: another path is 404, an unknown or malformed parameter 400, and with
``token`` set a request without ``Authorization: Bearer <token>`` is 401. ``fail_next`` answers
the next requests with that status once each (retry tests). Requests are recorded (``paths``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class PagedJsonServer:
    def __init__(self, item: Callable[[int], dict], total: int, *, page_size: int = 1000, token: str = ""):
        self.item, self.total, self.page_size, self.token = item, total, page_size, token
        self.paths: list[str] = []
        self.fail_next: list[int] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> PagedJsonServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def items(self, start: int) -> list[dict]:
        return [self.item(index) for index in range(start, min(start + self.page_size, self.total))]

    def answer(self, path: str, query: dict[str, list[str]], headers) -> tuple[int, dict]:
        self.paths.append(path + (f"?{'&'.join(f'{k}={v[0]}' for k, v in query.items())}" if query else ""))
        if self.fail_next:
            return self.fail_next.pop(0), {"error": {"message": "try again"}}
        if self.token and headers.get("Authorization") != f"Bearer {self.token}":
            return 401, {"error": {"message": "missing or wrong token"}}
        if path == "/people":
            if set(query) - {"page"} or not query.get("page", [""])[0].isdigit() or int(query["page"][0]) < 1:
                return 400, {"error": {"message": "page must be a number from 1"}}
            page = int(query["page"][0])
            return 200, {"items": self.items((page - 1) * self.page_size), "page": page, "total": self.total}
        if path == "/people/next":
            if set(query) - {"cursor"} or ("cursor" in query and not query["cursor"][0].isdigit()):
                return 400, {"error": {"message": "bad cursor"}}
            start = int(query.get("cursor", ["0"])[0])
            following = start + self.page_size
            nxt = f"/people/next?cursor={following}" if following < self.total else None
            return 200, {"data": {"records": self.items(start)}, "links": {"next": nxt}}
        return 404, {"error": {"message": f"no such path {path}"}}

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                parts = urlsplit(self.path)
                status, body = server.answer(parts.path, parse_qs(parts.query), self.headers)
                data = json.dumps(body, separators=(",", ":")).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        return Handler
