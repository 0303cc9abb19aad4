"""A fake Salesforce org (OAuth 2.0 client credentials + REST SOQL query) on 127.0.0.1, strict about what it receives.

- ``POST /services/oauth2/token``: a form body, ``grant_type=client_credentials``, the consumer key
  and secret; wrong ones answer as Salesforce does (400 ``invalid_client`` /
  ``invalid_grant``). The answer has ``access_token``, ``instance_url``, ``token_type``,
  ``issued_at``, ``signature`` — and no ``expires_in``, as Salesforce answers it.
- ``GET /services/data/vXX.X/query?q=``: a valid ``Bearer`` session (else 401
  ``INVALID_SESSION_ID``); the SOQL parsed by a strict subset of the grammar — ``SELECT fields |
  COUNT() FROM User|Contact [WHERE cond AND …] [LIMIT n]`` with ``Field = 'text'``, ``Field =
  true|false``, ``Field IN ('a', …)`` — every field (and relationship field) checked against the
  object's fields (else 400 ``INVALID_FIELD``, "No such column … on entity …"), strings with
  SOQL's escapes; ``Sforce-Query-Options: batchSize=200..2000`` sets the page size (default
  2,000); ``nextRecordsUrl`` (``/services/data/vXX.X/query/01g…-2000``) until ``done``.
- The JWT bearer grant when ``jwt_app`` is set (``tests.fakes.salesforce_jwt``: RS256 signature
  checked with the app's public key, ``iss``/``sub``/``aud``/``exp`` as Salesforce requires).
- ``limit_exceeded()``: the next call answers 403 ``REQUEST_LIMIT_EXCEEDED``; ``fail(n, after)``:
  503s; ``requests`` holds every call.
"""

from __future__ import annotations

import csv
import io
import json
import re
import secrets
import threading
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from tests.fakes.salesforce_jwt import GRANT as JWT_GRANT
from tests.fakes.vendor import LoopbackFake

FIELDS = {
    "User": {
        "Id", "Username", "Email", "FirstName", "LastName", "Name", "Title", "Department", "Division",
        "CompanyName", "EmployeeNumber", "FederationIdentifier", "Alias", "City", "State", "Country",
        "PostalCode", "Phone", "MobilePhone", "IsActive", "UserType", "LanguageLocaleKey", "LocaleSidKey",
        "TimeZoneSidKey", "ManagerId", "Region__c",
    },
    "Contact": {
        "Id", "Email", "FirstName", "LastName", "Name", "Title", "Department", "Phone", "MobilePhone",
        "MailingCity", "MailingState", "MailingCountry", "MailingPostalCode", "LeadSource", "AccountId",
        "ReportsToId", "Level__c",
    },
    "Account": {"Id", "Name"},
}  # fmt: skip
RELATIONSHIPS = {
    "User": {"Manager": ("User", "ManagerId")},
    "Contact": {"ReportsTo": ("Contact", "ReportsToId"), "Account": ("Account", "AccountId")},
}
SELECT = re.compile(
    r"^SELECT\s+(?P<fields>.+?)\s+FROM\s+(?P<object>\w+)(?:\s+WHERE\s+(?P<where>.+?))?(?:\s+LIMIT\s+(?P<limit>\d+))?$",
    re.S | re.I,
)
STRING = r"'(?:[^'\\]|\\.)*'"
CONDITION = re.compile(
    rf"^(?P<field>[A-Za-z][\w.]*)\s*(?:=\s*(?P<value>{STRING}|true|false)|IN\s*\((?P<values>\s*{STRING}(?:\s*,\s*{STRING})*)\s*\))$",
    re.I,
)


class SoqlError(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


#: SOQL's quoted string escape sequences (upper case too); any other is MALFORMED_QUERY.
ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


def _escaped(match: re.Match) -> str:
    char = match[1]
    if char.lower() not in ESCAPES:
        raise SoqlError(400, "MALFORMED_QUERY", f"Invalid string literal: illegal escape sequence \\{char}")
    return ESCAPES[char.lower()]


def unescape(body: str) -> str:
    """What a SOQL string literal's text (between its quotes) stands for."""
    return re.sub(r"\\(.)", _escaped, body, flags=re.S)


def unquote(literal: str) -> str:
    return unescape(literal[1:-1])


@dataclass
class FakeSalesforce(LoopbackFake):
    http_methods = ("GET", "POST")
    protocol_version = "HTTP/1.1"
    dispatch = "_handle"

    client_id: str = "3MVG9-consumer-key"
    client_secret: str = "salesforce-consumer-secret"
    version: str = "v62.0"
    records: dict[str, dict[str, dict]] = field(default_factory=lambda: {"User": {}, "Contact": {}, "Account": {}})
    requests: list[dict] = field(default_factory=list)
    token_calls: int = 0
    jwt_app: object = None  # a tests.fakes.salesforce_jwt.JwtApp: the JWT bearer grant is accepted

    def __post_init__(self):
        self.tokens: set[str] = set()
        self.cursors: dict[str, dict] = {}
        self.faults: list[dict] = []
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None
        self.counter = 0
        self.jobs: dict[str, dict] = {}

    def add(self, sobject: str, **values) -> str:
        unknown = set(values) - FIELDS[sobject]
        if unknown:
            raise ValueError(f"not {sobject} fields: {sorted(unknown)}")
        self.counter += 1
        prefix = {"User": "005", "Contact": "003", "Account": "001"}[sobject]
        record_id = values.pop("Id", None) or f"{prefix}{self.counter:012d}AAA"
        record = {"Id": record_id, **values}
        if sobject == "User":
            record.setdefault("IsActive", True)
        self.records[sobject][record_id] = record
        return record_id

    def add_users(self, count: int, *, domain: str = "example.com") -> None:
        for n in range(count):
            self.add("User", Email=f"user{n}@{domain}", FirstName="User", LastName=str(n), Department="Sales")

    def revoke_tokens(self) -> None:
        self.tokens.clear()

    def limit_exceeded(self, times: int = 1) -> None:
        self.faults.append({"times": times, "after": 0, "status": 403})

    def fail(self, times: int = 1, *, after: int = 0, status: int = 503) -> None:
        self.faults.append({"times": times, "after": after, "status": status})

    def calls(self, kind: str) -> list[dict]:
        return [r for r in self.requests if r["kind"] == kind]

    def _handle(self, handler, method: str) -> None:
        split = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        params = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        try:
            if split.path == "/services/oauth2/token" and method == "POST":
                self._record("token", split.path, params, handler.headers)
                status, answer = self._token(body, handler.headers)
            elif "/jobs/query" in split.path and split.path.startswith("/services/data/"):
                self._record("job", split.path, params, handler.headers)
                self._fault()
                self._authorize(handler.headers)
                status, answer, extra = self._job(method, split.path, params, body, handler.headers)
                if isinstance(answer, bytes):
                    handler.send_response(status)
                    handler.send_header("Content-Type", "text/csv")
                    handler.send_header("Content-Length", str(len(answer)))
                    for name, value in extra.items():
                        handler.send_header(name, value)
                    handler.end_headers()
                    handler.wfile.write(answer)
                    return
            elif split.path.startswith("/services/data/") and method == "GET":
                self._record("query", split.path, params, handler.headers)
                self._fault()
                self._authorize(handler.headers)
                status, answer = 200, self._query(split.path, params, handler.headers)
            else:
                raise SoqlError(404, "NOT_FOUND", "The requested resource does not exist")
        except SoqlError as exc:
            status, answer = exc.status, [{"message": exc.message, "errorCode": exc.code}]
        payload = json.dumps(answer).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json;charset=UTF-8")
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)

    def _record(self, kind, path, params, headers) -> None:
        with self.lock:
            self.requests.append({"kind": kind, "path": path, "params": params, "headers": dict(headers)})

    def _fault(self) -> None:
        with self.lock:
            for fault in self.faults:
                if fault["after"]:
                    fault["after"] -= 1
                    return
                fault["times"] -= 1
                if fault["times"] <= 0:
                    self.faults.remove(fault)
                if fault["status"] == 403:
                    raise SoqlError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
                raise SoqlError(fault["status"], "SERVER_UNAVAILABLE", "Service temporarily unavailable.")

    def _token(self, body: bytes, headers):
        if not (headers.get("Content-Type") or "").startswith("application/x-www-form-urlencoded"):
            return 400, {"error": "invalid_request", "error_description": "must use application/x-www-form-urlencoded"}
        form = {k: v[-1] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
        if form.get("grant_type") == JWT_GRANT and self.jwt_app is not None:
            refused = self.jwt_app.check(form)
            if refused:
                return refused
        elif form.get("grant_type") != "client_credentials":
            return 400, {"error": "unsupported_grant_type", "error_description": "grant type not supported"}
        elif form.get("client_id") != self.client_id:
            return 400, {"error": "invalid_client_id", "error_description": "client identifier invalid"}
        elif form.get("client_secret") != self.client_secret:
            return 400, {"error": "invalid_client", "error_description": "invalid client credentials"}
        token = "00D" + secrets.token_urlsafe(30)
        with self.lock:
            self.tokens.add(token)
            self.token_calls += 1
        return 200, {
            "access_token": token,
            "signature": secrets.token_urlsafe(20),
            "scope": "api",
            "instance_url": self.base_url,
            "id": f"{self.base_url}/id/00D000000000001/005000000000001",
            "token_type": "Bearer",
            "issued_at": "1765065600000",
        }

    def _authorize(self, headers) -> None:
        value = headers.get("Authorization") or ""
        if not value.startswith("Bearer ") or value[7:] not in self.tokens:
            raise SoqlError(401, "INVALID_SESSION_ID", "Session expired or invalid")

    def _batch(self, headers) -> int:
        options = headers.get("Sforce-Query-Options") or ""
        match = re.fullmatch(r"\s*batchSize=(\d+)\s*", options) if options else None
        if options and not match:
            raise SoqlError(400, "INVALID_QUERY_OPTIONS", f"Invalid Sforce-Query-Options: {options}")
        size = int(match.group(1)) if match else 2000
        if not 200 <= size <= 2000:
            raise SoqlError(400, "INVALID_QUERY_OPTIONS", "batchSize must be between 200 and 2000")
        return size

    def _query(self, path: str, params: dict, headers) -> dict:
        prefix = f"/services/data/{self.version}/query"
        if path.startswith(prefix + "/"):
            cursor = self.cursors.get(path[len(prefix) + 1 :])
            if cursor is None or params:
                raise SoqlError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
            return self._page(cursor)
        if path != prefix:
            raise SoqlError(404, "NOT_FOUND", f"The requested resource does not exist: {path}")
        text = params.get("q")
        if not text:
            raise SoqlError(400, "MALFORMED_QUERY", "A query string has to be specified")
        sobject, fields, conditions, limit = self._parse(text.strip())
        with self.lock:
            rows = [r for r in self.records[sobject].values() if all(c(r) for c in conditions)]
        if limit is not None:
            rows = rows[:limit]
        if fields is None:  # COUNT()
            return {"totalSize": len(rows), "done": True, "records": []}
        records = [self._shape(sobject, row, fields) for row in rows]
        return self._page({"records": records, "offset": 0, "size": self._batch(headers)})

    def _page(self, cursor: dict) -> dict:
        records, offset, size = cursor["records"], cursor["offset"], cursor["size"]
        page = records[offset : offset + size]
        answer = {"totalSize": len(records), "done": offset + size >= len(records), "records": page}
        if not answer["done"]:
            locator = f"01g{secrets.token_hex(6)}-{offset + size}"
            self.cursors[locator] = {**cursor, "offset": offset + size}
            answer["nextRecordsUrl"] = f"/services/data/{self.version}/query/{locator}"
        return answer

    def _field(self, sobject: str, name: str) -> None:
        if "." in name:
            relation, inner = name.split(".", 1)
            target = RELATIONSHIPS[sobject].get(relation)
            if target is None or inner not in FIELDS[target[0]]:
                raise SoqlError(
                    400, "INVALID_FIELD", f"Didn't understand relationship '{relation}' in field path {name}"
                )
        elif name not in FIELDS[sobject]:
            raise SoqlError(
                400, "INVALID_FIELD", f"No such column '{name}' on entity '{sobject}'. Check the API name of the field."
            )

    def _parse(self, text: str):
        match = SELECT.match(text)
        if not match:
            raise SoqlError(400, "MALFORMED_QUERY", f"unexpected token in: {text[:80]}")
        sobject = match.group("object")
        if sobject not in ("User", "Contact"):
            raise SoqlError(400, "INVALID_TYPE", f"sObject type '{sobject}' is not supported.")
        names = [part.strip() for part in match.group("fields").split(",")]
        if names == ["COUNT()"]:
            fields = None
        else:
            if len(set(names)) != len(names):
                raise SoqlError(400, "MALFORMED_QUERY", "duplicate field selected")
            for name in names:
                self._field(sobject, name)
            fields = names
        conditions = []
        if match.group("where"):
            for part in re.split(r"\s+AND\s+", match.group("where"), flags=re.I):
                condition = CONDITION.match(part.strip())
                if not condition:
                    raise SoqlError(400, "MALFORMED_QUERY", f"unexpected token: {part.strip()[:40]}")
                name = condition.group("field")
                self._field(sobject, name)
                if condition.group("values"):
                    wanted = {unquote(v) for v in re.findall(STRING, condition.group("values"))}
                    conditions.append(lambda r, n=name, w=wanted: str(r.get(n, "")) in w)
                else:
                    raw = condition.group("value")
                    value = unquote(raw) if raw.startswith("'") else raw.lower() == "true"
                    conditions.append(lambda r, n=name, v=value: r.get(n) == v)
        limit = int(match.group("limit")) if match.group("limit") else None
        return sobject, fields, conditions, limit

    def _job(self, method: str, path: str, params: dict, body: bytes, headers):
        """Bulk API 2.0 query jobs: create (POST), state (GET …/{id}: InProgress once, then JobComplete),
        CSV results (GET …/{id}/results?maxRecords=&locator=, ``Sforce-Locator`` "null" on the last)."""
        base = f"/services/data/{self.version}/jobs/query"
        if path == base and method == "POST":
            if not (headers.get("Content-Type") or "").startswith("application/json"):
                raise SoqlError(400, "INVALIDJOB", "Content-Type must be application/json")
            job = json.loads(body or b"{}")
            if job.get("operation") not in ("query", "queryAll") or not isinstance(job.get("query"), str):
                raise SoqlError(400, "INVALIDJOB", "operation query or queryAll and a query are required")
            sobject, fields, conditions, limit = self._parse(job["query"].strip())
            if fields is None:
                raise SoqlError(400, "INVALIDJOB", "COUNT() is not supported by Bulk API query jobs")
            rows = [r for r in self.records[sobject].values() if all(c(r) for c in conditions)][:limit]
            job_id = f"750{secrets.token_hex(6)}"
            self.jobs[job_id] = {"fields": fields, "rows": [self._shape(sobject, r, fields) for r in rows], "polls": 0}
            return 200, {"id": job_id, "operation": job["operation"], "state": "UploadComplete"}, {}
        parts = path[len(base) + 1 :].split("/") if path.startswith(base + "/") else []
        job = self.jobs.get(parts[0]) if parts else None
        if job is None or method != "GET":
            raise SoqlError(404, "NOT_FOUND", "The requested resource does not exist")
        if len(parts) == 1:
            job["polls"] += 1
            return 200, {"id": parts[0], "state": "JobComplete" if job["polls"] > 1 else "InProgress"}, {}
        if parts[1:] != ["results"] or job["polls"] < 2:
            raise SoqlError(400, "INVALIDJOB", "results are available once the job is JobComplete")
        size = int(params.get("maxRecords") or 10000)
        offset = int(params.get("locator") or 0)
        chunk = job["rows"][offset : offset + size]
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(job["fields"])
        for record in chunk:
            writer.writerow([_flat(record, name) for name in job["fields"]])
        locator = str(offset + size) if offset + size < len(job["rows"]) else "null"
        return 200, out.getvalue().encode(), {"Sforce-Locator": locator, "Sforce-NumberOfRecords": str(len(chunk))}

    def _shape(self, sobject: str, row: dict, fields: list[str]) -> dict:
        record = {
            "attributes": {"type": sobject, "url": f"/services/data/{self.version}/sobjects/{sobject}/{row['Id']}"}
        }
        for name in fields:
            if "." in name:
                relation, inner = name.split(".", 1)
                target, key = RELATIONSHIPS[sobject][relation]
                other = self.records[target].get(row.get(key) or "")
                if other is None:
                    record[relation] = None
                else:
                    nested = record.get(relation) or {"attributes": {"type": target}}
                    nested[inner] = other.get(inner)
                    record[relation] = nested
            else:
                record[name] = row.get(name)
        return record


def _flat(record: dict, name: str) -> str:
    value = record
    for part in name.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if value is None:
        return ""
    return ("true" if value else "false") if isinstance(value, bool) else str(value)
