"""Network faults on 127.0.0.1, in front of any HTTP fake or real server.

``FaultProxy`` is an HTTP/1.1 proxy (one upstream, keep-alive towards the client) that forwards
every request to its upstream, except the ones a test scripted: an answer of any status, headers
and body (429 with or without Retry-After, 5xx, a malformed body), a stall (no answer until the
client's read timeout), a connection reset in the middle of the answer (TCP RST after half of a
body), or a hook run before forwarding (e.g. revoke the tokens of a fake). It counts what it
received per path, so a test knows how many calls reached "the remote" whatever the answer.

``Blackhole`` is a listening port whose accept queue is full: the kernel drops every new SYN, so
a client's connect times out (a host that accepts nothing, without leaving 127.0.0.1).
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length", "proxy-connection", "te", "upgrade"}


@dataclass
class Fault:
    """What the proxy does instead of (or before) forwarding one request."""

    kind: str  # "answer", "stall", "reset", "hook"
    status: int = 200
    body: bytes = b""
    headers: dict = field(default_factory=dict)
    seconds: float = 0.0
    hook: Callable[[], None] | None = None


def answer(status: int, body: str | bytes = b"", *, content_type: str = "application/json", **headers) -> Fault:
    data = body.encode() if isinstance(body, str) else body
    return Fault("answer", status=status, body=data, headers={"Content-Type": content_type, **headers})


def stall(seconds: float) -> Fault:
    """Say nothing for ``seconds``, then close the connection (a server too slow to answer)."""
    return Fault("stall", seconds=seconds)


def reset() -> Fault:
    """Start a 200 answer, send half of its body, then reset the connection (RST)."""
    return Fault("reset")


def hook(function: Callable[[], None]) -> Fault:
    """Run ``function`` then forward the request."""
    return Fault("hook", hook=function)


@dataclass
class _Script:
    match: str
    fault: Fault
    times: int | None  # None: every matching request


class FaultProxy:
    def __init__(self, upstream: str):
        parts = urlsplit(upstream)
        self.upstream_host, self.upstream_port = parts.hostname, parts.port or 80
        self.lock = threading.Lock()
        self.scripts: list[_Script] = []
        self.received: list[tuple[str, str]] = []  # (method, path) of every request, in order
        self.server = self._make_server()
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def url(self, upstream_url: str) -> str:
        """``upstream_url`` with the proxy's address instead of the upstream's."""
        parts = urlsplit(upstream_url)
        return self.base_url + parts.path + (f"?{parts.query}" if parts.query else "")

    def __enter__(self) -> FaultProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    # Scripting and reading

    def script(self, fault: Fault, *, match: str = "", times: int | None = 1) -> None:
        """The next ``times`` requests whose path contains ``match`` get ``fault`` (None: all of them)."""
        with self.lock:
            self.scripts.append(_Script(match, fault, times))

    def clear(self) -> None:
        with self.lock:
            self.scripts.clear()

    def calls(self, match: str = "") -> int:
        with self.lock:
            return sum(1 for _method, path in self.received if match in path)

    def _take(self, path: str) -> Fault | None:
        with self.lock:
            self.received.append(("", path))
            for script in self.scripts:
                if script.match in path:
                    if script.times is not None:
                        script.times -= 1
                        if script.times == 0:
                            self.scripts.remove(script)
                    return script.fault
        return None

    # Serving

    def _make_server(self) -> ThreadingHTTPServer:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, *args):
                pass

            def do_POST(self):
                proxy._handle(self)

            do_GET = do_PUT = do_PATCH = do_DELETE = do_POST

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                pass  # a client that gave up (timeout) or a reset we caused

        return Server(("127.0.0.1", 0), Handler)

    def _handle(self, handler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        fault = self._take(handler.path)
        if fault is None or fault.kind == "hook":
            if fault is not None:
                fault.hook()
            self._forward(handler, body)
        elif fault.kind == "answer":
            self._send(handler, fault.status, fault.headers, fault.body)
        elif fault.kind == "stall":
            time.sleep(fault.seconds)
            handler.close_connection = True
        elif fault.kind == "reset":
            payload = b'{"value": [{"status": "ACCEPTED", "padding": "' + b"x" * 200 + b'"}]}'
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            handler.wfile.write(payload[: len(payload) // 2])
            handler.wfile.flush()
            time.sleep(0.05)  # the client has started reading the body
            # SO_LINGER 0: close() sends RST instead of FIN ("connection reset by peer").
            handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            handler.connection.close()
            handler.close_connection = True

    def _forward(self, handler, body: bytes) -> None:
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in HOP_HEADERS and k.lower() != "host"}
        headers["Host"] = f"{self.upstream_host}:{self.upstream_port}"
        if body:
            headers["Content-Length"] = str(len(body))
        upstream = http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=60)
        try:
            upstream.request(handler.command, handler.path, body=body or None, headers=headers)
            response = upstream.getresponse()
            data = response.read()
            out = {k: v for k, v in response.getheaders() if k.lower() not in HOP_HEADERS}
            self._send(handler, response.status, out, data)
        finally:
            upstream.close()

    @staticmethod
    def _send(handler, status: int, headers: dict, body: bytes) -> None:
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            handler.wfile.write(body)


class Blackhole:
    """A port on 127.0.0.1 whose accept queue is full: connecting to it times out."""

    def __init__(self):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(0)
        self.port = self.listener.getsockname()[1]
        self.fillers: list[socket.socket] = []

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Blackhole:
        for _ in range(64):  # fill the queue until a connect no longer completes
            filler = socket.socket()
            filler.settimeout(0.3)
            try:
                filler.connect(("127.0.0.1", self.port))
            except (TimeoutError, OSError):
                filler.close()
                return self
            self.fillers.append(filler)
        raise RuntimeError("the accept queue of the blackhole never filled")

    def __exit__(self, *exc):
        for filler in self.fillers:
            filler.close()
        self.listener.close()


class Silent:
    """A port on 127.0.0.1 that accepts connections and never says anything (a hung server)."""

    def __init__(self):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self) -> None:
        while True:
            try:
                connection, _address = self.listener.accept()
            except OSError:
                return
            self.accepted.append(connection)

    def __enter__(self) -> Silent:
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.listener.close()
        for connection in self.accepted:
            connection.close()
