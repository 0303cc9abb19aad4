"""The Box transport of the file drops: a Box folder as the drop, through Box's REST API (decision 0234).

The same calls as ``transports.sftp`` and ``transports.ftp`` (``transports.drop`` chooses by the
connection's protocol). ``config`` has the Box fields of ``models.SFTPConnection``: the app's client id
and secret, the subject (the enterprise's service account or a user), the root folder id, and for
JWT the public key id and RSA private key.

- Authentication as Box documents it: the client credentials grant (``grant_type=client_credentials``,
  ``box_subject_type``, ``box_subject_id``) or JWT (an RS256 assertion with ``iss`` the client id,
  ``sub`` the subject, ``box_sub_type``, ``aud`` the token URL, a random ``jti``, ``exp`` within 60 s,
  ``kid`` the public key id, exchanged with ``grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer``).
  Tokens go through the project's one ``TokenStore`` (persisted, encrypted, one fetch per lifetime);
  a token refused (401) is replaced once.
- Paths (``import/user/internal``) are walked from the root folder by name; folder listings are read
  with marker pagination (``usemarker=true``, 1,000 per page) and the fields needed only.
- Uploads are multipart with the ``attributes`` part (name, parent id) before the ``file`` part; a
  name already in use (409 ``item_name_in_use``) becomes a new version of that file. Files from
  ``BOX_CHUNKED_UPLOAD_BYTES`` (50 MB) up go through Box's chunked upload API instead: an upload
  session (``POST /files/upload_sessions``, or ``/files/{id}/upload_sessions`` for a new version),
  the parts of the size Box chose (``PUT`` with ``Content-Range`` and ``Digest: sha=<base64 SHA-1>``),
  and the commit (the parts, the whole file's digest; a 202 is retried after its ``Retry-After``); a
  failed upload aborts its session (``DELETE``), so no partial file is left. Folders are
  created with ``POST /folders``; a 409 gives the existing folder's id.
- Every call goes through the address guard; 429 and 5xx are retried honouring ``Retry-After``
  (``enterprise.transports``); errors are ``drop_errors`` naming the folder or file, never a secret.
- Sizes come from the listing before any download; a download is read in chunks and cut past
  ``SFTP_MAX_FILE_BYTES``.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import fnmatch
import hashlib
import json
import posixpath
import secrets
import time
from dataclasses import dataclass
from functools import cache

import requests

from enterprise import redaction
from enterprise.transports.http import BROKEN, TIMEOUT, HttpClient
from enterprise.transports.oauth2 import IssuedToken, TokenRequest, TokenStore, read_token_answer, with_token_renewal
from enterprise.transports.retry import RetryPolicy, parse_retry_after
from integrated_channels.integrated_channel import addresses
from integrated_channels.integrated_channel.app_settings import channel_settings
from integrated_channels.integrated_channel.transports.drop_errors import (
    AddressNotAllowed,
    FileTooLarge,
    LoginRefused,
    TransferFailed,
    max_file_bytes,
)
from integrated_channels.integrated_channel.transports.guard import guarded_session
from integrated_channels.integrated_channel.transports.sftp import DirectoryPeek

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
PAGE = 1000
FIELDS = "id,type,name,size,modified_at"


class BoxError(TransferFailed):
    """An error answer of Box: its status, Box's code, and whether a retry may help."""

    def __init__(self, message: str, *, status_code: int | None = None, box_code: str = "", retry_after=None):
        super().__init__(message)
        self.status_code = status_code
        self.box_code = box_code
        self.retry_after = retry_after
        self.transient = status_code is None or status_code == 429 or status_code >= 500
        self.conflict_id = ""


@cache
def _tokens() -> TokenStore:
    return TokenStore(margin=lambda: float(channel_settings.TOKEN_EXPIRY_MARGIN))


def _urls() -> tuple[str, str, str]:
    return (
        channel_settings.BOX_API_URL.rstrip("/"),
        channel_settings.BOX_UPLOAD_URL.rstrip("/"),
        channel_settings.BOX_TOKEN_URL,
    )


def _where(config) -> str:
    return f"Box folder {config.box_folder_id}"


def _retry_after(response) -> float | None:
    return parse_retry_after(response.headers.get("Retry-After"))


class BoxClient(HttpClient):
    name = "Box"
    follow_redirects = True  # a download answers 302 to its file server (the Authorization header is not sent there)

    def __init__(self, config):
        super().__init__(
            timeout=(float(channel_settings.CONNECT_TIMEOUT), float(channel_settings.READ_TIMEOUT)),
            policy=RetryPolicy(
                max_retries=int(channel_settings.MAX_RETRIES),
                backoff=float(channel_settings.BACKOFF_SECONDS),
                max_wait=float(channel_settings.MAX_RETRY_WAIT),
            ),
            session=guarded_session(),
        )
        self.config = config
        self.api, self.upload_url, self.token_url = _urls()
        self.redact = redaction.Redactor(config.connection_secrets())

    # The HttpClient hooks

    def error_for(self, response: requests.Response) -> Exception:
        try:
            body = response.json()
        except ValueError:
            body = {}
        body = body if isinstance(body, dict) else {}
        code = str(body.get("code") or body.get("error") or "")
        text = str(body.get("message") or body.get("error_description") or response.reason or "")
        error = BoxError(
            self.redact(f"Box answered {response.status_code} {code}: {text}".strip()),
            status_code=response.status_code,
            box_code=code,
            retry_after=_retry_after(response),
        )
        conflicts = (body.get("context_info") or {}).get("conflicts") if isinstance(body, dict) else None
        if isinstance(conflicts, list) and conflicts:
            conflicts = conflicts[0]
        if isinstance(conflicts, dict):
            error.conflict_id = str(conflicts.get("id", ""))
        return error

    def transport_error(self, kind, exc, method, url) -> Exception:
        what = {TIMEOUT: "timed out", BROKEN: "broke off"}.get(kind, "failed (could not connect)")
        return BoxError(f"The call to Box {what}.")

    # Authentication

    def token_request(self) -> TokenRequest:
        config = self.config
        params = {"box_subject_type": config.box_subject_type, "box_subject_id": config.box_subject_id}
        grant = "client_credentials"
        if config.box_auth == "jwt":
            grant = JWT_GRANT
            params = {"kid": config.box_public_key_id, **params, "key": _key_digest(config.box_jwt_private_key)}
        return TokenRequest(
            url=self.token_url,
            client_id=config.box_client_id,
            client_secret=config.box_client_secret,
            grant_type=grant,
            credentials="body",
            params=params,
            owner=f"box:{config.pk}" if getattr(config, "pk", None) else "",
            subject=config.box_subject_id,
        )

    def fetch_token(self, request: TokenRequest) -> IssuedToken:
        config = self.config
        if config.box_auth == "jwt":
            fields = {
                "grant_type": JWT_GRANT,
                "assertion": jwt_assertion(config, self.token_url),
                "client_id": config.box_client_id,
                "client_secret": config.box_client_secret,
            }
        else:
            fields = {
                "grant_type": "client_credentials",
                "client_id": config.box_client_id,
                "client_secret": config.box_client_secret,
                "box_subject_type": config.box_subject_type,
                "box_subject_id": config.box_subject_id,
            }
        try:
            response = self.request("POST", self.token_url, data=fields)
        except BoxError as exc:
            if exc.status_code in (400, 401, 403):
                raise LoginRefused(
                    f"Box refused the app's credentials ({exc.box_code or exc.status_code}): check the client id "
                    "and secret, the subject and that the app is authorised in the Box Admin Console."
                ) from None
            raise
        try:
            return read_token_answer(response.json())
        except ValueError as exc:
            raise LoginRefused(f"Box's token endpoint answered something else than a token: {exc}") from None

    def call(self, method: str, url: str, **kwargs) -> requests.Response:
        """A Box API call with the bearer token (replaced once when Box refuses it)."""
        request = self.token_request()

        def token(refused=None):
            return _tokens().get(request, self.fetch_token, refused=refused)

        extra_headers = kwargs.pop("headers", {})

        def attempt(current):
            headers = {**extra_headers, "Authorization": f"Bearer {current.value}"}
            return self.request(method, url, headers=headers, **kwargs)

        try:
            return with_token_renewal(token, attempt)
        except BoxError as exc:
            if exc.status_code == 401:
                raise LoginRefused("Box refused the access token twice.") from None
            raise

    # Folders and files

    def items(self, folder_id: str) -> list[dict]:
        """Every item of a folder (marker pagination)."""
        found: list[dict] = []
        marker = ""
        while True:
            params = {"fields": FIELDS, "limit": PAGE, "usemarker": "true"}
            if marker:
                params["marker"] = marker
            body = self.call("GET", f"{self.api}/folders/{folder_id}/items", params=params).json()
            found += body.get("entries", [])
            marker = body.get("next_marker") or ""
            if not marker:
                return found

    def child(self, folder_id: str, name: str, kind: str) -> dict | None:
        for item in self.items(folder_id):
            if item.get("type") == kind and item.get("name") == name:
                return item
        return None

    def folder_id(self, path: str, *, create: bool = False, created: list | None = None) -> str | None:
        """The id of the folder at ``path`` under the root folder; None when missing (unless ``create``)."""
        current = self.config.box_folder_id
        walked = ""
        for part in _parts(path):
            walked = posixpath.join(walked, part) if walked else part
            found = self.child(current, part, "folder")
            if found is None:
                if not create:
                    return None
                current = self.create_folder(current, part)
                if created is not None:
                    created.append(walked)
            else:
                current = found["id"]
        return current

    def create_folder(self, parent_id: str, name: str) -> str:
        try:
            response = self.call("POST", f"{self.api}/folders", json={"name": name, "parent": {"id": parent_id}})
        except BoxError as exc:
            if exc.status_code == 409 and exc.conflict_id:
                return exc.conflict_id  # made meanwhile (another run): that folder is the one
            raise
        return response.json()["id"]

    def download(self, item: dict, path: str, limit: int, *, head: int = 0) -> bytes:
        """The file's content (``head``: its first bytes only, the rest not read)."""
        headers = {"Range": f"bytes=0-{head - 1}"} if head else {}
        response = self.call("GET", f"{self.api}/files/{item['id']}/content", stream=True, headers=headers)
        chunks, total = [], 0
        try:
            for chunk in response.iter_content(64 * 1024):
                total += len(chunk)
                if head and total >= head:
                    chunks.append(chunk)
                    break
                if total > limit:
                    raise FileTooLarge.over_limit(_where(self.config), path, total, limit)
                chunks.append(chunk)
        except requests.RequestException:
            raise TransferFailed(
                f"Could not read {path} on {_where(self.config)}: the connection was lost during the transfer. "
                "Nothing was deleted."
            ) from None
        finally:
            response.close()
        return b"".join(chunks)

    def upload(self, parent_id: str, name: str, content: bytes, existing_id: str = "") -> None:
        if len(content) >= int(channel_settings.BOX_CHUNKED_UPLOAD_BYTES):
            self.upload_in_parts(parent_id, name, content, existing_id)
            return
        attributes = json.dumps({"name": name, "parent": {"id": parent_id}})
        if existing_id:
            self._upload_version(existing_id, name, content)
            return
        try:
            self.call(
                "POST",
                f"{self.upload_url}/files/content",
                files=[("attributes", (None, attributes, "application/json")), ("file", (name, content))],
            )
        except BoxError as exc:
            if exc.status_code == 409 and exc.conflict_id:
                self._upload_version(exc.conflict_id, name, content)
                return
            raise

    def _upload_version(self, file_id: str, name: str, content: bytes) -> None:
        self.call(
            "POST",
            f"{self.upload_url}/files/{file_id}/content",
            files=[("attributes", (None, json.dumps({"name": name}), "application/json")), ("file", (name, content))],
        )

    def delete(self, item_id: str) -> None:
        self.call("DELETE", f"{self.api}/files/{item_id}")

    # Chunked upload (large files)

    def upload_in_parts(self, parent_id: str, name: str, content: bytes, existing_id: str = "") -> None:
        """``content`` through an upload session: a new file in ``parent_id``, or a version of ``existing_id``."""
        if existing_id:
            url, body = f"{self.upload_url}/files/{existing_id}/upload_sessions", {"file_size": len(content)}
        else:
            url = f"{self.upload_url}/files/upload_sessions"
            body = {"folder_id": parent_id, "file_size": len(content), "file_name": name}
        try:
            session = self.call("POST", url, json=body).json()
        except BoxError as exc:
            if exc.status_code == 409 and exc.conflict_id and not existing_id:
                self.upload_in_parts(parent_id, name, content, exc.conflict_id)  # the name is taken: a version
                return
            raise
        session_url = f"{self.upload_url}/files/upload_sessions/{session['id']}"
        try:
            parts = self._send_parts(session_url, content, int(session["part_size"]))
            self._commit(session_url, parts, content)
        except BaseException:
            self._abort(session_url)
            raise

    def _send_parts(self, session_url: str, content: bytes, part_size: int) -> list[dict]:
        parts, total = [], len(content)
        for offset in range(0, total, part_size):
            chunk = content[offset : offset + part_size]
            headers = {
                "Content-Type": "application/octet-stream",
                "Content-Range": f"bytes {offset}-{offset + len(chunk) - 1}/{total}",
                "Digest": f"sha={_sha1(chunk)}",
            }
            parts.append(self.call("PUT", session_url, data=chunk, headers=headers).json()["part"])
        return parts

    def _commit(self, session_url: str, parts: list[dict], content: bytes) -> None:
        """Commit the session; Box answers 202 with Retry-After while it still processes parts."""
        headers = {"Digest": f"sha={_sha1(content)}"}
        for _attempt in range(max(1, int(channel_settings.MAX_RETRIES)) + 1):
            response = self.call("POST", f"{session_url}/commit", json={"parts": parts}, headers=headers)
            if response.status_code != 202:
                return
            time.sleep(min(_retry_after(response) or 1.0, float(channel_settings.MAX_RETRY_WAIT)))
        raise BoxError("Box was still processing the uploaded parts after every retry of the commit.")

    def _abort(self, session_url: str) -> None:
        # Best effort: the session expires on Box's side anyway, and the upload's own error is what matters.
        with contextlib.suppress(Exception):
            self.call("DELETE", session_url)


def _sha1(data: bytes) -> str:
    """The Base64 SHA-1 of ``data``, as Box's ``Digest: sha=`` header wants it."""
    return base64.b64encode(hashlib.sha1(data).digest()).decode()  # noqa: S324 - Box's protocol, not security


def _key_digest(pem: str) -> str:
    import hashlib

    return hashlib.sha256((pem or "").encode()).hexdigest()[:16]


def jwt_assertion(config, audience: str) -> str:
    """The RS256 assertion Box's JWT server authentication asks for (valid 45 s)."""
    import jwt
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key(config.box_jwt_private_key.strip().encode() + b"\n", password=None)
    now = int(time.time())
    claims = {
        "iss": config.box_client_id,
        "sub": config.box_subject_id,
        "box_sub_type": config.box_subject_type,
        "aud": audience,
        "jti": secrets.token_urlsafe(32),
        "exp": now + 45,
    }
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": config.box_public_key_id})


def _parts(path: str) -> list[str]:
    return [part for part in posixpath.normpath(path or ".").split("/") if part not in ("", ".")]


@dataclass
class _Session:
    client: BoxClient

    def __enter__(self) -> BoxClient:
        return self.client

    def __exit__(self, kind, exc, traceback):
        self.client.close()
        if isinstance(exc, addresses.AddressRefused):
            raise AddressNotAllowed("Connection to Box refused: the address is not allowed.") from None
        return False


def _session(config) -> _Session:
    return _Session(BoxClient(config))


def _modified(item: dict) -> float | None:
    value = item.get("modified_at")
    if not value:
        return None
    try:
        return datetime.datetime.fromisoformat(value).timestamp()
    except ValueError:
        return None


def _files(box: BoxClient, directory: str) -> tuple[str | None, list[dict]]:
    folder = box.folder_id(directory)
    if folder is None:
        return None, []
    return folder, [item for item in box.items(folder) if item.get("type") == "file"]


# The transport's calls (``transports.drop``)


def read_csv_files(config, directory: str) -> dict[str, bytes]:
    limit = max_file_bytes()
    with _session(config) as box:
        _folder, files = _files(box, directory)
        chosen = sorted(
            (item for item in files if fnmatch.fnmatch(item["name"].lower(), "*.csv")), key=lambda item: item["name"]
        )
        for item in chosen:
            size = int(item.get("size") or 0)
            if size > limit:
                raise FileTooLarge.over_limit(_where(config), posixpath.join(directory, item["name"]), size, limit)
        contents = {}
        for item in chosen:
            path = posixpath.join(directory, item["name"])
            try:
                contents[path] = box.download(item, path, limit)
            except BoxError as exc:
                raise TransferFailed(
                    f"Could not read {path} on {_where(config)}: {exc}. Nothing was deleted."
                ) from None
        return contents


def read_file(config, path: str) -> bytes | None:
    limit = max_file_bytes()
    with _session(config) as box:
        _folder, files = _files(box, posixpath.dirname(path) or ".")
        item = next((item for item in files if item["name"] == posixpath.basename(path)), None)
        if item is None:
            return None
        size = int(item.get("size") or 0)
        if size > limit:
            raise FileTooLarge.over_limit(_where(config), path, size, limit)
        try:
            return box.download(item, path, limit)
        except BoxError as exc:
            raise TransferFailed(f"Could not read {path} on {_where(config)}: {exc}. Nothing was deleted.") from None


def upload(config, path: str, content: bytes) -> None:
    with _session(config) as box:
        parent = box.folder_id(posixpath.dirname(path) or ".", create=True)
        name = posixpath.basename(path)
        existing = next(
            (item["id"] for item in box.items(parent) if item.get("type") == "file" and item["name"] == name), ""
        )
        try:
            box.upload(parent, name, content, existing_id=existing)
        except BoxError as exc:
            raise TransferFailed(f"Could not write {path} on {_where(config)}: {exc}") from None


def remove_files(config, paths: list[str]) -> None:
    with _session(config) as box:
        by_folder: dict[str, list[str]] = {}
        for path in paths:
            by_folder.setdefault(posixpath.dirname(path) or ".", []).append(posixpath.basename(path))
        for directory, names in by_folder.items():
            _folder, files = _files(box, directory)
            ids = {item["name"]: item["id"] for item in files}
            for name in names:
                if name not in ids:
                    continue  # already gone
                try:
                    box.delete(ids[name])
                except BoxError as exc:
                    raise TransferFailed(
                        f"Could not delete {posixpath.join(directory, name)} on {_where(config)}: {exc}"
                    ) from None


def make_folders(config, directories: list[str]) -> list[str]:
    created: list[str] = []
    with _session(config) as box:
        for directory in directories:
            box.folder_id(directory, create=True, created=created)
    return created


def list_files(config, directory: str) -> list[tuple[str, float | None]]:
    with _session(config) as box:
        _folder, files = _files(box, directory)
        return sorted((posixpath.join(directory, item["name"]), _modified(item)) for item in files)


def list_folders(config, directory: str) -> list[str]:
    with _session(config) as box:
        folder = box.folder_id(directory)
        if folder is None:
            return []
        return sorted(
            posixpath.join(directory, item["name"]) for item in box.items(folder) if item.get("type") == "folder"
        )


def peek_directory(config, directory: str, *, head_bytes: int = 64 * 1024) -> DirectoryPeek:
    with _session(config) as box:
        folder, files = _files(box, directory)
        if folder is None:
            return DirectoryPeek(exists=False, csv_files=[])
        csvs = sorted(
            (item for item in files if fnmatch.fnmatch(item["name"].lower(), "*.csv")),
            key=lambda item: (item.get("modified_at") or "", item["name"]),
            reverse=True,
        )
        if not csvs:
            return DirectoryPeek(exists=True, csv_files=[])
        newest = csvs[0]
        head = box.download(newest, posixpath.join(directory, newest["name"]), max_file_bytes(), head=head_bytes)
        first = head[:head_bytes].decode("utf-8-sig", errors="replace").splitlines()[:1]
        return DirectoryPeek(
            exists=True,
            csv_files=[item["name"] for item in csvs],
            newest=newest["name"],
            header=first[0] if first else "",
        )
