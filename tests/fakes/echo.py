"""A hostile remote on 127.0.0.1 that echoes the credentials it receives in its error answers.

Every request (any method, any path) is answered ``status`` (default 400) with a JSON body whose
``detail`` (and, for a plain-text answer, the body itself) repeats what the request carried —
the ``Authorization`` header as received, the Basic credentials decoded (``user:password``), the
request body — in every encoding a careless server uses: raw, URL-encoded, JSON-escaped and
HTML-escaped. ``files`` maps paths answered 200 on GET instead (e.g. a WSDL). ``requests`` lists
``(method, path)`` of what reached it, so a test knows whether anything did.
"""

from __future__ import annotations

import base64
import html
import json
import urllib.parse
from http.server import ThreadingHTTPServer

from tests.fakes.vendor import LoopbackFake, QuietHandler


def echo_of(authorization: str, body: str) -> str:
    """What the echo says: the credentials and body received, in every encoding."""
    decoded = ""
    scheme, _space, value = authorization.partition(" ")
    if scheme.lower() == "basic":
        try:
            raw = base64.b64decode(value)
        except ValueError:
            raw = b""
        try:
            decoded = raw.decode("utf-8")
        except UnicodeDecodeError:
            decoded = raw.decode("latin-1")  # what requests sends for a password it can encode so
    parts = [f"Authorization: {authorization}", f"credentials {decoded}", f"body {body}"]
    for text in (decoded, body):
        parts += [
            f"url {urllib.parse.quote(text, safe='')}",
            f"form {urllib.parse.quote_plus(text)}",
            f"json {json.dumps(text)}",
            f"html {html.escape(text)}",
        ]
    return " | ".join(parts)


class EchoServer(LoopbackFake):
    def __init__(self, *, status: int = 400, content_type: str = "application/json", files: dict | None = None):
        self.status = status
        self.content_type = content_type
        self.files = dict(files or {})
        self.requests: list[tuple[str, str]] = []
        self._make_loopback_server()

    def _new_server(self) -> ThreadingHTTPServer:
        echo = self

        class Handler(QuietHandler):
            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
                path = urllib.parse.urlsplit(self.path).path
                echo.requests.append((self.command, path))
                if self.command == "GET" and path in echo.files:
                    status, content_type, data = 200, "text/xml", echo.files[path]
                else:
                    text = echo_of(self.headers.get("Authorization", ""), body)
                    status, content_type = echo.status, echo.content_type
                    data = json.dumps({"detail": text}) if content_type == "application/json" else text
                    data = data.encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = _answer

        return ThreadingHTTPServer(("127.0.0.1", 0), Handler)
