"""A fake miniOrange admin user API on 127.0.0.1, strict about what it receives.

``POST /moas/api/admin/users/getall``: ``Content-Type: application/json``; the headers its User API
guide requires — ``Customer-Key`` (the account's), ``Timestamp`` (milliseconds, within
``max_skew`` of now) and ``Authorization`` (lower-case hex SHA-512 of customer key + timestamp +
API key; a (timestamp, hash) pair is accepted once: a replay is refused); the body
``{"customerKey", "batchSize" 1-500, "batchNo" >= 1}`` with the same customer key. Refusals come
as miniOrange sends them: HTTP 200 ``{"status": "FAILED", "message": …}`` (401 for a bad
signature). ``fail(n, after)`` answers 503; ``requests`` holds every body.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from dataclasses import dataclass, field

from tests.fakes.vendor import LoopbackFake

PATH = "/moas/api/admin/users/getall"
MAX_BATCH = 500


@dataclass
class FakeMiniOrange(LoopbackFake):
    http_methods = ("POST",)
    protocol_version = "HTTP/1.1"
    dispatch = "_handle"

    customer_key: str = "189833"
    api_key: str = "miniorange-api-key-value"
    max_skew: float = 300.0
    users: list[dict] = field(default_factory=list)
    requests: list[dict] = field(default_factory=list)

    def __post_init__(self):
        self.seen: set[tuple[str, str]] = set()
        self.faults: list[dict] = []
        self.lock = threading.Lock()
        self.server = None

    def add(self, **user) -> dict:
        user.setdefault("username", user.get("email", f"user{len(self.users)}"))
        user.setdefault("customerId", self.customer_key)
        user.setdefault("status", "ACTIVE")
        self.users.append(user)
        return user

    def fail(self, times: int = 1, *, after: int = 0) -> None:
        self.faults.append({"times": times, "after": after})

    def _handle(self, handler, _method: str) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length)
        status, answer = self._answer(handler, raw)
        payload = json.dumps(answer).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)

    def _answer(self, handler, raw: bytes):
        def failed(message, status=200):
            return status, {"status": "FAILED", "message": message}

        if handler.path != PATH:
            return 404, {"status": "FAILED", "message": "Not found"}
        with self.lock:
            for fault in self.faults:
                if fault["after"]:
                    fault["after"] -= 1
                    break
                fault["times"] -= 1
                if fault["times"] <= 0:
                    self.faults.remove(fault)
                return 503, {"status": "FAILED", "message": "Service unavailable"}
        if not (handler.headers.get("Content-Type") or "").startswith("application/json"):
            return failed("Content-Type must be application/json.")
        key, stamp, signature = (handler.headers.get(h) or "" for h in ("Customer-Key", "Timestamp", "Authorization"))
        if key != self.customer_key:
            return failed("Invalid customer key.", 401)
        if not stamp.isdigit() or abs(int(stamp) / 1000 - time.time()) > self.max_skew:
            return failed("Request timestamp is invalid or expired.", 401)
        expected = hashlib.sha512(f"{key}{stamp}{self.api_key}".encode()).hexdigest()
        with self.lock:
            if signature != expected or (stamp, signature) in self.seen:
                return failed("Authentication failed: invalid authorization header.", 401)
            self.seen.add((stamp, signature))
        try:
            body = json.loads(raw)
        except ValueError:
            return failed("The request body is not JSON.")
        with self.lock:
            self.requests.append(body)
        size, number = body.get("batchSize"), body.get("batchNo")
        if body.get("customerKey") != self.customer_key:
            return failed("customerKey does not match the Customer-Key header.")
        if not isinstance(size, int) or not 1 <= size <= MAX_BATCH:
            return failed(f"batchSize must be between 1 and {MAX_BATCH}.")
        if not isinstance(number, int) or number < 1:
            return failed("batchNo must be 1 or more.")
        page = self.users[(number - 1) * size : number * size]
        return 200, {"status": "SUCCESS", "message": "Users fetched successfully.", "users": page}
