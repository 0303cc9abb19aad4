"""A fake Box API on 127.0.0.1 that checks requests as strictly as Box's API reference describes them.

- ``POST /oauth2/token``: form-encoded; ``client_credentials`` with ``client_id``, ``client_secret``,
  ``box_subject_type`` (enterprise / user) and ``box_subject_id``; or the JWT bearer grant whose
  RS256 assertion is verified with the app's public key (``kid``, ``iss``, ``sub``, ``box_sub_type``,
  ``aud``, ``jti`` of 16-128 characters, ``exp`` at most 60 s ahead). Anything else: 400 as Box answers.
- Every API call needs ``Authorization: Bearer <a token issued here>`` (401 otherwise).
- ``GET /2.0/folders/{id}/items``: ``limit`` at most 1000, marker pagination (``usemarker``); 404 for an
  unknown folder id.
- ``POST /2.0/folders`` (JSON name + parent.id) and ``POST /upload/files/content`` (multipart: the
  ``attributes`` part first, then ``file``): a name already used in the parent is 409 with
  ``context_info.conflicts`` naming the item, as Box does; bad names are 400.
- ``POST /upload/files/{id}/content``: a new version. ``GET /2.0/files/{id}/content``: 302 to ``/dl/{id}``.
  ``DELETE /2.0/files/{id}``: 204.
- Chunked uploads as Box's API reference describes them: ``POST /upload/files/upload_sessions`` (JSON
  ``folder_id``, ``file_size``, ``file_name``; 409 when the name is taken) or
  ``/upload/files/{id}/upload_sessions`` (a new version; ``file_size``), refused under
  ``min_session_bytes`` (Box: 20 MB); each ``PUT /upload/files/upload_sessions/{id}`` must carry
  ``Content-Type: application/octet-stream``, ``Content-Range: bytes a-b/total`` on a part boundary
  with exactly ``part_size`` bytes (the last part: the rest) and ``Digest: sha=<base64 SHA-1>`` of the
  part (416 ``range_not_satisfiable`` / 412 ``sha1_mismatch`` otherwise); the commit
  (``POST …/commit``) needs every part, in order, as the part answers gave them, and the whole file's
  digest, answering 202 with ``Retry-After`` ``commit_pending`` times first; ``DELETE`` aborts.
  Direct (multipart) uploads over ``max_direct_bytes`` are refused with 413, so a client that never
  switches to chunked uploads fails here as Box advises it would.
- ``throttle`` answers that many of the next API calls 429 with ``Retry-After: 1``.

The tree is kept in memory: ``folders`` {id: (name, parent id)}, ``files`` {id: (name, parent id, bytes)};
the root is folder ``ROOT``. ``calls`` records (method, path) of every request.
"""

from __future__ import annotations

import base64
import datetime
import email.parser
import email.policy
import hashlib
import itertools
import json
import re
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from tests.fakes.vendor import LoopbackFake

ROOT = "1000"


class FakeBox(LoopbackFake):
    http_methods = ("GET", "POST", "DELETE", "PUT")
    dispatch = "_handle"

    def __init__(self, *, client_id="box-client-id", client_secret="box-client-secret", enterprise_id="777"):  # noqa: S107
        self.client_id = client_id
        self.client_secret = client_secret
        self.enterprise_id = enterprise_id
        self.jwt_public_key = None  # an RSA public key object: JWT accepted for ``jwt_key_id``
        self.jwt_key_id = "key-1"
        self.tokens: set[str] = set()
        self.token_calls = 0
        self.throttle = 0
        self.deny_download = ""
        self.calls: list[tuple[str, str]] = []
        self.uploads: list[dict] = []
        self.min_session_bytes = 20_000_000
        self.max_direct_bytes = 50_000_000
        self.part_size = 8 * 1024 * 1024
        self.commit_pending = 0  # answer the next commits 202 (parts still being processed)
        self.fail_parts_from = 0  # answer every part PUT from the Nth (1-based) on with 500
        self.sessions: dict[str, dict] = {}
        self.aborted: list[str] = []
        self._ids = itertools.count(5000)
        self.folders: dict[str, tuple[str, str | None]] = {ROOT: ("Drop", None)}
        self.files: dict[str, tuple[str, str, bytes]] = {}
        self.modified: dict[str, str] = {}
        self._lock = threading.Lock()

    # The tree

    def new_id(self) -> str:
        return str(next(self._ids))

    def folder_at(self, path: str, *, create: bool = False) -> str | None:
        current = ROOT
        for part in [part for part in path.split("/") if part]:
            found = next((i for i, (n, p) in self.folders.items() if p == current and n == part), None)
            if found is None:
                if not create:
                    return None
                found = self.new_id()
                self.folders[found] = (part, current)
            current = found
        return current

    def write(self, path: str, content: bytes | str, *, modified: datetime.datetime | None = None) -> str:
        directory, _, name = path.rpartition("/")
        parent = self.folder_at(directory, create=True)
        data = content.encode() if isinstance(content, str) else content
        existing = self._file_in(parent, name)
        file_id = existing or self.new_id()
        self.files[file_id] = (name, parent, data)
        self.modified[file_id] = (modified or datetime.datetime.now(datetime.UTC)).isoformat(timespec="seconds")
        return file_id

    def read(self, path: str) -> bytes | None:
        directory, _, name = path.rpartition("/")
        parent = self.folder_at(directory)
        file_id = self._file_in(parent, name) if parent else None
        return self.files[file_id][2] if file_id else None

    def names(self, path: str) -> list[str]:
        parent = self.folder_at(path)
        if parent is None:
            return []
        return sorted(
            [n for n, p, _d in self.files.values() if p == parent]
            + [n for n, p in self.folders.values() if p == parent]
        )

    def _file_in(self, parent: str | None, name: str) -> str | None:
        return next((i for i, (n, p, _d) in self.files.items() if p == parent and n == name), None)

    def _conflict(self, parent: str, name: str) -> dict | None:
        file_id = self._file_in(parent, name)
        if file_id:
            return {"type": "file", "id": file_id, "name": name}
        folder = next((i for i, (n, p) in self.folders.items() if p == parent and n == name), None)
        return {"type": "folder", "id": folder, "name": name} if folder else None

    # Server

    def settings(self) -> dict:
        return {
            "BOX_API_URL": f"{self.url}/2.0",
            "BOX_UPLOAD_URL": f"{self.url}/upload",
            "BOX_TOKEN_URL": f"{self.url}/oauth2/token",
        }

    # Requests

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        self.calls.append((method, parts.path))
        with self._lock:
            status, headers, payload = self._route(handler, method, parts.path, parse_qs(parts.query), body)
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode() if payload is not None else b""
        handler.send_response(status)
        for key, value in headers.items():
            handler.send_header(key, value)
        if payload is not None and not isinstance(payload, bytes):
            handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    @staticmethod
    def _error(status: int, code: str, message: str, **extra):
        return status, {}, {"type": "error", "status": status, "code": code, "message": message, **extra}

    def _route(self, handler, method: str, path: str, query: dict, body: bytes):
        if path == "/oauth2/token" and method == "POST":
            return self._token(handler, body)
        if path.startswith("/dl/") and method == "GET":
            file_id = path.rsplit("/", 1)[1]
            if file_id not in self.files:
                return self._error(404, "not_found", "Not found")
            return 200, {"Content-Type": "application/octet-stream"}, self.files[file_id][2]
        auth = handler.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[len("Bearer ") :] not in self.tokens:
            return 401, {"WWW-Authenticate": 'Bearer realm="Service", error="invalid_token"'}, None
        if self.throttle:
            self.throttle -= 1
            return 429, {"Retry-After": "1"}, {"type": "error", "status": 429, "code": "rate_limit_exceeded"}
        segments = path.strip("/").split("/")
        if segments[:2] == ["2.0", "folders"] and len(segments) == 4 and segments[3] == "items" and method == "GET":
            return self._items(segments[2], query)
        if segments == ["2.0", "folders"] and method == "POST":
            return self._create_folder(handler, body)
        if segments == ["upload", "files", "upload_sessions"] and method == "POST":
            return self._start_session(body, None)
        if segments[:3] == ["upload", "files", "upload_sessions"]:
            return self._upload_session(handler, method, segments[3:], body)
        if segments[:2] == ["upload", "files"] and segments[3:] == ["upload_sessions"] and method == "POST":
            return self._start_session(body, segments[2])
        if segments[:3] == ["upload", "files", "content"] and method == "POST":
            return self._upload(handler, body, None)
        if segments[:2] == ["upload", "files"] and len(segments) == 4 and segments[3] == "content" and method == "POST":
            return self._upload(handler, body, segments[2])
        if segments[:2] == ["2.0", "files"] and len(segments) == 4 and segments[3] == "content" and method == "GET":
            file_id = segments[2]
            if file_id not in self.files:
                return self._error(404, "not_found", "Not found")
            if self.deny_download and self.deny_download in self.files[file_id][0]:
                return self._error(403, "access_denied_insufficient_permissions", "Access denied")
            return 302, {"Location": f"{self.url}/dl/{file_id}"}, None
        if segments[:2] == ["2.0", "files"] and len(segments) == 3 and method == "DELETE":
            if self.files.pop(segments[2], None) is None:
                return self._error(404, "not_found", "Not found")
            return 204, {}, None
        return self._error(404, "not_found", f"No route {method} {path}")

    def _token(self, handler, body: bytes):
        self.token_calls += 1
        if handler.headers.get("Content-Type", "").split(";")[0] != "application/x-www-form-urlencoded":
            return (
                400,
                {},
                {"error": "invalid_request", "error_description": "Invalid grant_type parameter or parameter missing"},
            )
        form = {key: values[0] for key, values in parse_qs(body.decode()).items()}
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return 400, {}, {"error": "invalid_client", "error_description": "The client credentials are invalid"}
        if form.get("grant_type") == "client_credentials":
            if form.get("box_subject_type") not in ("enterprise", "user") or not form.get("box_subject_id"):
                return 400, {}, {"error": "invalid_request", "error_description": "box_subject_type/id missing"}
            if form["box_subject_type"] == "enterprise" and form["box_subject_id"] != self.enterprise_id:
                return 400, {}, {"error": "invalid_grant", "error_description": "Grant credentials are invalid"}
        elif form.get("grant_type") == "urn:ietf:params:oauth:grant-type:jwt-bearer":
            problem = self._jwt_problem(form.get("assertion", ""))
            if problem:
                return 400, {}, {"error": "invalid_grant", "error_description": problem}
        else:
            return 400, {}, {"error": "unsupported_grant_type", "error_description": "Grant type is not supported"}
        token = secrets.token_urlsafe(24)
        self.tokens.add(token)
        return 200, {}, {"access_token": token, "expires_in": 3600, "token_type": "bearer", "restricted_to": []}

    def _jwt_problem(self, assertion: str) -> str:
        import jwt

        if self.jwt_public_key is None:
            return "JWT is not enabled for this app"
        try:
            header = jwt.get_unverified_header(assertion)
            if header.get("kid") != self.jwt_key_id or header.get("alg") not in ("RS256", "RS384", "RS512"):
                return "Please check the 'kid' and 'alg' of the JWT header"
            claims = jwt.decode(
                assertion,
                self.jwt_public_key,
                algorithms=["RS256", "RS384", "RS512"],
                audience=self.settings()["BOX_TOKEN_URL"],
                options={"require": ["iss", "sub", "aud", "jti", "exp"]},
            )
        except jwt.PyJWTError as exc:
            return f"Invalid JWT: {exc}"
        if claims["iss"] != self.client_id or claims.get("box_sub_type") not in ("enterprise", "user"):
            return "Please check the 'iss' and 'box_sub_type' claims"
        if claims["box_sub_type"] == "enterprise" and claims["sub"] != self.enterprise_id:
            return "Please check the 'sub' claim"
        if not 16 <= len(claims["jti"]) <= 128 or claims["exp"] > time.time() + 60:
            return "Please check the 'jti' and 'exp' claims"
        return ""

    def _items(self, folder_id: str, query: dict):
        if folder_id not in self.folders:
            return self._error(404, "not_found", "Not Found")
        limit = int(query.get("limit", ["100"])[0])
        if limit > 1000:
            return self._error(400, "bad_request", "limit must be at most 1000")
        fields = set(query.get("fields", ["id,type,name"])[0].split(","))
        items = [
            {"type": "folder", "id": i, "name": n} for i, (n, p) in sorted(self.folders.items()) if p == folder_id
        ] + [
            {"type": "file", "id": i, "name": n, "size": len(d), "modified_at": self.modified.get(i)}
            for i, (n, p, d) in sorted(self.files.items())
            if p == folder_id
        ]
        items = [{key: value for key, value in item.items() if key in fields | {"type", "id"}} for item in items]
        start = (
            int(query.get("marker", ["0"])[0] or 0) if query.get("usemarker") else int(query.get("offset", ["0"])[0])
        )
        page = items[start : start + limit]
        if query.get("usemarker"):
            following = start + limit
            return (
                200,
                {},
                {"entries": page, "limit": limit, "next_marker": str(following) if following < len(items) else ""},
            )
        return 200, {}, {"entries": page, "limit": limit, "offset": start, "total_count": len(items)}

    @staticmethod
    def _bad_name(name) -> bool:
        return not isinstance(name, str) or not name or name in (".", "..") or "/" in name or len(name) > 255

    def _placement_error(self, parent: str, name, *, conflicts=lambda item: item):
        """Box's answer to a new item ``name`` in folder ``parent``: bad name 400, no parent 404, name in use
        409 with the item in ``context_info.conflicts`` (a list for folders, the object for files, as Box
        answers them); None when the item may be made."""
        if self._bad_name(name):
            return self._error(400, "item_name_invalid", "Item name invalid")
        if parent not in self.folders:
            return self._error(404, "not_found", "Parent folder not found")
        conflict = self._conflict(parent, name)
        if conflict:
            return self._error(
                409,
                "item_name_in_use",
                "Item with the same name already exists",
                context_info={"conflicts": conflicts(conflict)},
            )
        return None

    def _create_folder(self, handler, body: bytes):
        try:
            data = json.loads(body)
            name, parent = data["name"], str(data["parent"]["id"])
        except (ValueError, KeyError, TypeError):
            return self._error(400, "bad_request", "name and parent.id are required")
        refused = self._placement_error(parent, name, conflicts=lambda item: [item])
        if refused:
            return refused
        folder_id = self.new_id()
        self.folders[folder_id] = (name, parent)
        return 201, {}, {"type": "folder", "id": folder_id, "name": name}

    def _upload(self, handler, body: bytes, file_id: str | None):
        content_type = handler.headers.get("Content-Type", "")
        if not content_type.startswith("multipart/form-data"):
            return self._error(400, "bad_request", "multipart/form-data expected")
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
        )
        parts = [(part.get_param("name", header="content-disposition"), part) for part in message.iter_parts()]
        if [name for name, _part in parts] != ["attributes", "file"]:
            return self._error(400, "bad_request", "The attributes part must come before the file part")
        try:
            attributes = json.loads(parts[0][1].get_content())
        except ValueError:
            return self._error(400, "bad_request", "attributes is not JSON")
        content = parts[1][1].get_payload(decode=True) or b""
        if len(content) > self.max_direct_bytes:
            return self._error(413, "request_entity_too_large", "Use the chunked upload API for files over 50MB")
        name = attributes.get("name")
        self.uploads.append({"attributes": attributes, "size": len(content), "version_of": file_id})
        if file_id is not None:
            if file_id not in self.files:
                return self._error(404, "not_found", "Not found")
            old_name, parent, _data = self.files[file_id]
            self.files[file_id] = (name or old_name, parent, content)
            self.modified[file_id] = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
            return 201, {}, {"total_count": 1, "entries": [{"type": "file", "id": file_id}]}
        parent = str((attributes.get("parent") or {}).get("id", ""))
        refused = self._placement_error(parent, name)
        if refused:
            return refused
        new_id = self.new_id()
        self.files[new_id] = (name, parent, content)
        self.modified[new_id] = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
        return 201, {}, {"total_count": 1, "entries": [{"type": "file", "id": new_id, "name": name}]}

    # Chunked uploads

    def _start_session(self, body: bytes, file_id: str | None):
        try:
            data = json.loads(body)
            size = data["file_size"]
        except (ValueError, KeyError, TypeError):
            return self._error(400, "bad_request", "file_size is required")
        if not isinstance(size, int) or size < self.min_session_bytes:
            return self._error(400, "file_size_too_small", "File size is less than minimum allowed for this API")
        if file_id is None:
            parent, name = str(data.get("folder_id", "")), data.get("file_name")
            if set(data) != {"folder_id", "file_size", "file_name"}:
                return self._error(400, "bad_request", "folder_id, file_size and file_name are required")
            refused = self._placement_error(parent, name)
            if refused:
                return refused
        else:
            if file_id not in self.files:
                return self._error(404, "not_found", "Not found")
            name, parent, _data = self.files[file_id]
        session_id = "S" + self.new_id()
        total_parts = -(-size // self.part_size)
        self.sessions[session_id] = {
            "size": size,
            "name": name,
            "parent": parent,
            "file_id": file_id,
            "parts": {},
            "puts": 0,
        }
        return (
            201,
            {},
            {
                "id": session_id,
                "type": "upload_session",
                "part_size": self.part_size,
                "total_parts": total_parts,
                "num_parts_processed": 0,
                "session_expires_at": "2026-12-31T00:00:00Z",
            },
        )

    def _upload_session(self, handler, method: str, rest: list[str], body: bytes):
        session = self.sessions.get(rest[0]) if rest else None
        if session is None:
            return self._error(404, "not_found", "Upload session not found")
        if method == "PUT" and len(rest) == 1:
            return self._part(handler, session, body)
        if method == "POST" and rest[1:] == ["commit"]:
            return self._commit(handler, rest[0], session, body)
        if method == "DELETE" and len(rest) == 1:
            del self.sessions[rest[0]]
            self.aborted.append(rest[0])
            return 204, {}, None
        return self._error(405, "method_not_allowed", f"{method} is not allowed here")

    @staticmethod
    def _sha(data: bytes) -> str:
        return base64.b64encode(hashlib.sha1(data).digest()).decode()  # noqa: S324 - Box's protocol

    def _part(self, handler, session: dict, body: bytes):
        session["puts"] += 1
        if self.fail_parts_from and session["puts"] >= self.fail_parts_from:
            return self._error(500, "internal_server_error", "Internal Server Error")
        if handler.headers.get("Content-Type") != "application/octet-stream":
            return self._error(400, "bad_request", "Content-Type must be application/octet-stream")
        match = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+)", handler.headers.get("Content-Range", ""))
        if not match:
            return self._error(400, "bad_request", "Content-Range is missing or malformed")
        start, end, total = (int(group) for group in match.groups())
        expected = min(self.part_size, session["size"] - start)
        if total != session["size"] or start % self.part_size or end - start + 1 != expected or len(body) != expected:
            return self._error(416, "range_not_satisfiable", "The part's range is not a part of this session")
        if handler.headers.get("Digest") != f"sha={self._sha(body)}":
            return self._error(412, "sha1_mismatch", "The Digest header does not match the part")
        part = {
            "part_id": f"{start // self.part_size:08X}",
            "offset": start,
            "size": len(body),
            "sha1": self._sha(body),
        }
        session["parts"][start] = (part, body)
        return 200, {}, {"part": part}

    def _commit(self, handler, session_id: str, session: dict, body: bytes):
        try:
            given = json.loads(body)["parts"]
        except (ValueError, KeyError, TypeError):
            return self._error(400, "bad_request", "parts is required")
        ordered = [session["parts"][offset] for offset in sorted(session["parts"])]
        if given != [part for part, _data in ordered]:
            return self._error(400, "bad_request", "The parts do not match the parts uploaded, in order")
        content = b"".join(data for _part, data in ordered)
        if len(content) != session["size"]:
            return self._error(400, "bad_request", "Not every part of the file was uploaded")
        if handler.headers.get("Digest") != f"sha={self._sha(content)}":
            return self._error(422, "sha1_mismatch", "The Digest header does not match the file")
        if self.commit_pending:
            self.commit_pending -= 1
            return 202, {"Retry-After": "1"}, None
        del self.sessions[session_id]
        now = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
        file_id = session["file_id"] or self.new_id()
        self.files[file_id] = (session["name"], session["parent"], content)
        self.modified[file_id] = now
        self.uploads.append(
            {
                "attributes": {"name": session["name"]},
                "size": len(content),
                "version_of": session["file_id"],
                "parts": len(ordered),
            }
        )
        return 201, {}, {"total_count": 1, "entries": [{"type": "file", "id": file_id, "name": session["name"]}]}
