"""A strict Salesforce REST API (token, SOQL, sObject Collections) on 127.0.0.1.

Salesforce publishes no redistributable schema; the rules here are those of its REST API
documentation: the client-credentials token on My Domain (form body; the answer has no
``expires_in``); ``Authorization: Bearer`` on every call (401 ``INVALID_SESSION_ID`` otherwise);
SOQL ``SELECT Id, Email FROM User|Contact WHERE Email IN (…)`` with escaped literals, answered
``page_size`` records at a time with ``nextRecordsUrl`` until ``done``; sObject Collections create
(POST ``composite/sobjects``) and upsert by external id (PATCH ``composite/sobjects/{type}/{field}``):
at most 200 records (400 ``EXCEEDED_ID_LIMIT``), each with ``attributes.type``, ``allOrNone``
honoured, one result per record in order with ``success``/``created``/``errors``
(``REQUIRED_FIELD_MISSING``, ``INVALID_FIELD``, ``FIELD_INTEGRITY_EXCEPTION``,
``STRING_TOO_LONG``); the org's API calls counted (403 ``REQUEST_LIMIT_EXCEEDED`` past the limit).
"""

from __future__ import annotations

import json
import re
import threading
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SOQL = re.compile(
    r"^SELECT Id, Email FROM (User|Contact) WHERE Email IN \(((?:'(?:[^'\\]|\\.)*'(?:, )?)+)\)( AND IsActive = true)?$"
)
LITERAL = re.compile(r"'((?:[^'\\]|\\.)*)'")


def _error(code: str, message: str) -> list[dict]:
    return [{"errorCode": code, "message": message}]


class FakeSalesforceRecords:
    def __init__(self, *, client_id: str, client_secret: str, version: str = "v62.0", page_size: int = 2):
        self.client_id, self.client_secret, self.version, self.page_size = client_id, client_secret, version, page_size
        self.tokens: set[str] = set()
        self.token_calls = 0
        self.api_limit = 100_000
        self.api_calls = 0
        self.users: dict[str, dict] = {}  # id -> {"Email", "IsActive"}
        self.contacts: dict[str, dict] = {}
        # type -> {"fields": {name: max length or None}, "external_id", "lookup": (field, target), "records"}
        self.objects: dict[str, dict] = {}
        self.pages: dict[str, list[dict]] = {}
        self.requests: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        self._server = self._make_server()
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeSalesforceRecords:
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()

    def add_user(self, email: str, *, active: bool = True) -> str:
        user_id = "005" + uuid.uuid4().hex[:15]
        self.users[user_id] = {"Email": email, "IsActive": active}
        return user_id

    def add_object(
        self, name: str, fields: dict[str, int | None], *, external_id: str, lookup: tuple[str, str]
    ) -> None:
        self.objects[name] = {
            "fields": {**fields, external_id: 255, lookup[0]: 18},
            "external_id": external_id,
            "lookup": lookup,
            "records": {},
        }

    def revoke_secret(self) -> None:
        self.client_secret = None
        self.tokens.clear()

    # answers
    def _token(self, form: dict) -> tuple[int, object]:
        self.token_calls += 1
        if form.get("grant_type") != "client_credentials":
            return 400, {"error": "unsupported_grant_type", "error_description": "grant type not supported"}
        if (
            form.get("client_id") != self.client_id
            or not self.client_secret
            or form.get("client_secret") != self.client_secret
        ):
            return 400, {"error": "invalid_client", "error_description": "invalid client credentials"}
        token = "00D" + uuid.uuid4().hex
        self.tokens.add(token)
        return 200, {
            "access_token": token,
            "instance_url": self.url,
            "id": f"{self.url}/id/00D/005",
            "token_type": "Bearer",
            "issued_at": "1700000000000",
            "signature": "x",
        }

    def _api(self, method: str, path: str, query: dict, body) -> tuple[int, object]:
        prefix = f"/services/data/{self.version}/"
        if not path.startswith(prefix):
            return 404, _error("NOT_FOUND", "The requested resource does not exist")
        path = path[len(prefix) :]
        if method == "GET" and path == "query":
            return self._query((query.get("q") or [""])[0])
        if method == "GET" and path.startswith("query/"):
            page = self.pages.pop(path[len("query/") :], None)
            return (200, page) if page is not None else (400, _error("INVALID_QUERY_LOCATOR", "invalid query locator"))
        match = re.fullmatch(r"sobjects/([A-Za-z0-9_]+)/describe", path)
        if method == "GET" and match:
            kind = self.objects.get(match[1])
            if kind is None:
                return 404, _error("NOT_FOUND", f"The requested resource does not exist: {match[1]}")
            return 200, {"name": match[1], "fields": [{"name": name} for name in ["Id", "Name", *kind["fields"]]]}
        if method == "POST" and path == "composite/sobjects":
            return self._create(body)
        match = re.fullmatch(r"composite/sobjects/([A-Za-z0-9_]+)/([A-Za-z0-9_]+)", path)
        if method == "PATCH" and match:
            return self._upsert(match[1], match[2], body)
        return 404, _error("NOT_FOUND", f"No route {method} {path}")

    def _query(self, soql: str):
        match = SOQL.match(soql)
        if not match:
            return 400, _error("MALFORMED_QUERY", f"unexpected query: {soql[:200]}")
        wanted = {re.sub(r"\\(.)", r"\1", value).lower() for value in LITERAL.findall(match[2])}
        table = self.users if match[1] == "User" else self.contacts
        records = [
            {"attributes": {"type": match[1]}, "Id": rid, "Email": row["Email"]}
            for rid, row in table.items()
            if row["Email"].lower() in wanted and (not match[3] or row.get("IsActive"))
        ]
        return 200, self._page(records)

    def _page(self, records: list[dict]) -> dict:
        first, rest = records[: self.page_size], records[self.page_size :]
        body = {"totalSize": len(records), "done": not rest, "records": first}
        if rest:
            locator = f"01g{uuid.uuid4().hex[:12]}-{self.page_size}"
            self.pages[locator] = self._page(rest)
            body["nextRecordsUrl"] = f"/services/data/{self.version}/query/{locator}"
        return body

    def _collection(self, body):
        if not isinstance(body, dict) or not isinstance(body.get("records"), list):
            return None, (400, _error("JSON_PARSER_ERROR", "records is required"))
        if not isinstance(body.get("allOrNone", False), bool):
            return None, (400, _error("JSON_PARSER_ERROR", "allOrNone is a boolean"))
        if len(body["records"]) > 200:
            return None, (400, _error("EXCEEDED_ID_LIMIT", "record limit reached. cannot submit more than 200 records"))
        if any(not isinstance(r, dict) or not (r.get("attributes") or {}).get("type") for r in body["records"]):
            return None, (400, _error("INVALID_TYPE", "Must send a concrete entity type."))
        return body["records"], None

    def _create(self, body):
        records, refused = self._collection(body)
        if refused:
            return refused
        results = []
        for record in records:
            if record["attributes"]["type"] != "Contact":
                results.append(
                    {"success": False, "errors": [{"statusCode": "INVALID_TYPE", "message": "only Contact here"}]}
                )
            elif not record.get("LastName"):
                results.append(
                    {
                        "success": False,
                        "errors": [
                            {
                                "statusCode": "REQUIRED_FIELD_MISSING",
                                "message": "Required fields are missing: [LastName]",
                                "fields": ["LastName"],
                            }
                        ],
                    }
                )
            else:
                contact_id = "003" + uuid.uuid4().hex[:15]
                self.contacts[contact_id] = {k: v for k, v in record.items() if k != "attributes"}
                results.append({"id": contact_id, "success": True, "errors": []})
        return 200, results

    def _upsert(self, sobject: str, field: str, body):
        kind = self.objects.get(sobject)
        if kind is None:
            return 404, _error("NOT_FOUND", f"The requested resource does not exist: {sobject}")
        if field != kind["external_id"]:
            return 400, _error("INVALID_FIELD", f"{field} is not an External ID field of {sobject}")
        records, refused = self._collection(body)
        if refused:
            return refused
        lookup_field, target = kind["lookup"]
        linked = self.users if target == "User" else self.contacts
        results = []
        for record in records:
            errors = []
            if record["attributes"]["type"] != sobject:
                errors.append({"statusCode": "INVALID_TYPE", "message": f"expected {sobject}"})
            for name, value in record.items():
                if name == "attributes":
                    continue
                if name not in kind["fields"]:
                    errors.append(
                        {
                            "statusCode": "INVALID_FIELD",
                            "message": f"No such column '{name}' on {sobject}",
                            "fields": [name],
                        }
                    )
                elif kind["fields"][name] and isinstance(value, str) and len(value) > kind["fields"][name]:
                    errors.append(
                        {"statusCode": "STRING_TOO_LONG", "message": f"{name}: data value too large", "fields": [name]}
                    )
            if not record.get(field):
                errors.append(
                    {"statusCode": "REQUIRED_FIELD_MISSING", "message": f"{field} is required", "fields": [field]}
                )
            if record.get(lookup_field) not in linked:
                errors.append(
                    {
                        "statusCode": "FIELD_INTEGRITY_EXCEPTION",
                        "message": f"{lookup_field}: id value of incorrect type",
                        "fields": [lookup_field],
                    }
                )
            if errors:
                results.append({"success": False, "errors": errors})
                continue
            existing = kind["records"].get(record[field])
            if existing is None:
                record_id = "a01" + uuid.uuid4().hex[:15]
                kind["records"][record[field]] = {
                    "Id": record_id,
                    **{k: v for k, v in record.items() if k != "attributes"},
                }
                results.append({"id": record_id, "success": True, "created": True, "errors": []})
            else:
                existing.update({k: v for k, v in record.items() if k != "attributes"})
                results.append({"id": existing["Id"], "success": True, "created": False, "errors": []})
        if body.get("allOrNone") and any(not r["success"] for r in results):
            return 200, [
                {
                    "success": False,
                    "errors": r.get("errors")
                    or [{"statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK", "message": "rolled back"}],
                }
                for r in results
            ]
        return 200, results

    def _make_server(self) -> ThreadingHTTPServer:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _handle(self):
                split = urllib.parse.urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                with fake.lock:
                    fake.requests.append((self.command, split.path))
                    status, body = self._route(split, raw)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _route(self, split, raw):
                if split.path == "/services/oauth2/token" and self.command == "POST":
                    if not self.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
                        return 400, {"error": "invalid_request", "error_description": "form body expected"}
                    return fake._token({k: v[0] for k, v in urllib.parse.parse_qs(raw.decode()).items()})
                auth = self.headers.get("Authorization", "")
                if not auth.startswith("Bearer ") or auth[7:] not in fake.tokens:
                    return 401, _error("INVALID_SESSION_ID", "Session expired or invalid")
                fake.api_calls += 1
                if fake.api_calls > fake.api_limit:
                    return 403, _error("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
                body = None
                if raw:
                    try:
                        body = json.loads(raw)
                    except ValueError:
                        return 400, _error("JSON_PARSER_ERROR", "not JSON")
                return fake._api(self.command, split.path, urllib.parse.parse_qs(split.query), body)

            do_GET = do_POST = do_PATCH = _handle

        return ThreadingHTTPServer(("127.0.0.1", 0), Handler)
