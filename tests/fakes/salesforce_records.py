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
``STRING_TOO_LONG``); the JWT bearer grant when ``jwt_app`` is set (``tests.fakes.salesforce_jwt``);
the org's API calls counted (403 ``REQUEST_LIMIT_EXCEEDED`` past the limit).

Bulk API 2.0 ingest (``jobs/ingest``), as its guide describes it: a job is created with a JSON body
(``Content-Type: application/json``; ``object``, ``operation``, ``externalIdFieldName`` for an
upsert — the object's External ID field —, ``contentType`` CSV, ``lineEnding`` LF or CRLF,
``columnDelimiter``) and answered ``Open`` with its ``contentUrl``; its data is one PUT of
``text/csv`` to that URL while the job is Open (201, no body; a second upload is refused here), at
most 150 MB once base64-encoded; the line endings must be the job's (CRLF in an LF job is refused);
``PATCH {"state": "UploadComplete"}`` (only an Open job with data) or ``"Aborted"``; the job is then
``UploadComplete``, ``InProgress`` at the next look, and processed at the one after: ``JobComplete``,
or ``Failed`` when the header names a field the object lacks, lacks the external id field, or a
row's cells do not match the header (then every record is in ``unprocessedrecords``). Results only
for a finished job (400 ``INVALIDJOBSTATE`` before), as ``text/csv``: ``successfulResults``
(``sf__Id``, ``sf__Created``, the uploaded columns), ``failedResults`` (``sf__Id``, ``sf__Error`` as
``CODE:message:fields``, the uploaded columns), ``unprocessedrecords`` (the uploaded columns).
"""

from __future__ import annotations

import base64
import csv
import io
import json
import re
import threading
import urllib.parse
import uuid
from http.server import ThreadingHTTPServer

from tests.fakes.salesforce import SoqlError, unescape
from tests.fakes.salesforce_jwt import GRANT as JWT_GRANT
from tests.fakes.vendor import LoopbackFake, QuietHandler

SOQL = re.compile(
    r"^SELECT Id, Email FROM (User|Contact) WHERE Email IN \(((?:'(?:[^'\\]|\\.)*'(?:, )?)+)\)( AND IsActive = true)?$"
)
LITERAL = re.compile(r"'((?:[^'\\]|\\.)*)'")
SOQL_MAX_CHARS = 100_000  # Salesforce's SOQL statement limit (MALFORMED_QUERY beyond)
URI_MAX_BYTES = 16_384  # a REST call's URI and headers together (414 / 431 beyond)


def _error(code: str, message: str) -> list[dict]:
    return [{"errorCode": code, "message": message}]


class _Csv:
    """A CSV answer (Bulk API results): rows under ``sf__`` columns then the uploaded ones."""

    LEADING = {
        "successfulResults": ["sf__Id", "sf__Created"],
        "failedResults": ["sf__Id", "sf__Error"],
        "unprocessedrecords": [],
    }

    def __init__(self, rows: list[dict], columns: list[str], part: str):
        self.rows, self.columns = rows, [*self.LEADING[part], *columns]

    def encode(self) -> bytes:
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n", quoting=csv.QUOTE_ALL)
        writer.writerow(self.columns)
        for row in self.rows:
            writer.writerow([row.get(name, "") for name in self.columns])
        return text.getvalue().encode()


class FakeSalesforceRecords(LoopbackFake):
    def __init__(self, *, client_id: str, client_secret: str, version: str = "v62.0", page_size: int = 2):
        self.client_id, self.client_secret, self.version, self.page_size = client_id, client_secret, version, page_size
        self.tokens: set[str] = set()
        self.token_calls = 0
        self.jwt_app = None  # a tests.fakes.salesforce_jwt.JwtApp: the JWT bearer grant is accepted
        self.api_limit = 100_000
        self.api_calls = 0
        self.users: dict[str, dict] = {}  # id -> {"Email", "IsActive"}
        self.contacts: dict[str, dict] = {}
        # type -> {"fields": {name: max length or None}, "external_id", "lookup": (field, target), "records"}
        self.objects: dict[str, dict] = {}
        self.pages: dict[str, list[dict]] = {}
        self.jobs: dict[str, dict] = {}  # Bulk API 2.0 ingest jobs by id
        self.uploads: list[bytes] = []
        self.requests: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        self._make_loopback_server()

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
        if form.get("grant_type") == JWT_GRANT and self.jwt_app is not None:
            refused = self.jwt_app.check(form)
            if refused:
                return refused
        elif form.get("grant_type") != "client_credentials":
            return 400, {"error": "unsupported_grant_type", "error_description": "grant type not supported"}
        elif (
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

    def _api(self, method: str, path: str, query: dict, body, headers=None, raw: bytes = b"") -> tuple[int, object]:
        prefix = f"/services/data/{self.version}/"
        if not path.startswith(prefix):
            return 404, _error("NOT_FOUND", "The requested resource does not exist")
        path = path[len(prefix) :]
        if path.startswith("jobs/ingest"):
            return self._ingest(method, path, headers or {}, body, raw)
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
        if len(soql) > SOQL_MAX_CHARS:
            return 400, _error("MALFORMED_QUERY", f"SOQL statement of {len(soql)} characters (at most 100,000)")
        match = SOQL.match(soql)
        if not match:
            return 400, _error("MALFORMED_QUERY", f"unexpected query: {soql[:200]}")
        try:
            wanted = {unescape(value).lower() for value in LITERAL.findall(match[2])}
        except SoqlError as exc:
            return exc.status, _error(exc.code, exc.message)
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
        results = [self._upsert_one(kind, sobject, field, record) for record in records]
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

    def _upsert_one(self, kind: dict, sobject: str, field: str, record: dict) -> dict:
        """Validate and upsert one record (``attributes`` included); its result as collections answer it."""
        lookup_field, target = kind["lookup"]
        linked = self.users if target == "User" else self.contacts
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
            return {"success": False, "errors": errors}
        fields = {k: v for k, v in record.items() if k != "attributes"}
        existing = kind["records"].get(record[field])
        if existing is None:
            record_id = "a01" + uuid.uuid4().hex[:15]
            kind["records"][record[field]] = {"Id": record_id, **fields}
            return {"id": record_id, "success": True, "created": True, "errors": []}
        existing.update(fields)
        return {"id": existing["Id"], "success": True, "created": False, "errors": []}

    # Bulk API 2.0 ingest
    def _job_info(self, job: dict) -> dict:
        info = {key: value for key, value in job.items() if not key.startswith("_")}
        if job["state"] in ("JobComplete", "Failed", "Aborted"):
            info["numberRecordsProcessed"] = len(job["_results"]["successfulResults"]) + len(
                job["_results"]["failedResults"]
            )
            info["numberRecordsFailed"] = len(job["_results"]["failedResults"])
        return info

    def _ingest(self, method: str, path: str, headers, body, raw: bytes):
        if path == "jobs/ingest" and method == "POST":
            return self._create_job(headers, body)
        match = re.fullmatch(
            r"jobs/ingest/([A-Za-z0-9]+)(?:/(batches|successfulResults|failedResults|unprocessedrecords)/?)?", path
        )
        job = self.jobs.get(match[1]) if match else None
        if job is None:
            return 404, _error("NOT_FOUND", f"No such job: {path}")
        part = match[2]
        if part == "batches" and method == "PUT":
            return self._upload(job, headers, raw)
        if part is None and method == "PATCH":
            return self._change_state(job, headers, body)
        if part is None and method == "GET":
            self._advance(job)
            return 200, self._job_info(job)
        if part and method == "GET":
            if job["state"] not in ("JobComplete", "Failed", "Aborted"):
                return 400, _error("INVALIDJOBSTATE", f"Job {job['id']} is {job['state']}: no results yet")
            return 200, _Csv(job["_results"][part], job["_columns"], part)
        return 404, _error("NOT_FOUND", f"No route {method} {path}")

    def _create_job(self, headers, body):
        if not headers.get("Content-Type", "").startswith("application/json"):
            return 400, _error("INVALID_CONTENT_TYPE", "a job is created with a JSON body")
        if not isinstance(body, dict) or not body.get("object") or not body.get("operation"):
            return 400, _error("INVALIDJOB", "object and operation are required")
        if body["operation"] not in ("insert", "update", "upsert", "delete", "hardDelete"):
            return 400, _error("INVALIDJOB", f"InvalidJob : Invalid operation: {body['operation']}")
        unknown = sorted(
            set(body)
            - {
                "object",
                "operation",
                "externalIdFieldName",
                "contentType",
                "lineEnding",
                "columnDelimiter",
                "assignmentRuleId",
            }
        )
        if unknown:
            return 400, _error("JSON_PARSER_ERROR", f"Unrecognized field {unknown[0]}")
        if body.get("contentType", "CSV") != "CSV":
            return 400, _error("INVALIDJOB", "contentType: only CSV")
        if body.get("lineEnding", "LF") not in ("LF", "CRLF"):
            return 400, _error("INVALIDJOB", "lineEnding: LF or CRLF")
        if body.get("columnDelimiter", "COMMA") != "COMMA":
            return 400, _error("INVALIDJOB", "columnDelimiter: this fake takes COMMA only")
        kind = self.objects.get(body["object"])
        if kind is None:
            return 400, _error("NOT_FOUND", f"InvalidJob : Unable to find object: {body['object']}")
        if body["operation"] == "upsert" and body.get("externalIdFieldName") != kind["external_id"]:
            return 400, _error(
                "INVALIDJOB",
                f"InvalidJob : {body.get('externalIdFieldName')} is not an External ID of {body['object']}",
            )
        job_id = "750" + uuid.uuid4().hex[:15]
        self.jobs[job_id] = job = {
            "id": job_id,
            "operation": body["operation"],
            "object": body["object"],
            "createdById": "005000000000001",
            "createdDate": "2026-12-07T07:00:00.000+0000",
            "systemModstamp": "2026-12-07T07:00:00.000+0000",
            "state": "Open",
            "externalIdFieldName": body.get("externalIdFieldName"),
            "concurrencyMode": "Parallel",
            "contentType": "CSV",
            "apiVersion": float(self.version[1:]),
            "contentUrl": f"services/data/{self.version}/jobs/ingest/{job_id}/batches",
            "lineEnding": body.get("lineEnding", "LF"),
            "columnDelimiter": "COMMA",
            "_data": None,
            "_columns": [],
            "_results": {"successfulResults": [], "failedResults": [], "unprocessedrecords": []},
        }
        return 200, self._job_info(job)

    def _upload(self, job: dict, headers, raw: bytes):
        if not headers.get("Content-Type", "").startswith("text/csv"):
            return 400, _error("INVALID_CONTENT_TYPE", "job data is text/csv")
        if job["state"] != "Open":
            return 409, _error("INVALIDJOBSTATE", f"Job {job['id']} is {job['state']}, not Open")
        if job["_data"] is not None:
            return 400, _error("INVALIDJOBSTATE", "this job's data was uploaded already")
        if len(base64.b64encode(raw)) > 150 * 1024 * 1024:
            return 400, _error("EXCEEDED_QUOTA", "upload over 150 MB once base64-encoded")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return 400, _error("INVALID_CSV", "job data is UTF-8")
        crlf = "\r\n" in text
        if job["lineEnding"] == "LF" and crlf:
            return 400, _error("INVALID_CSV", "CRLF line ending in a job declared lineEnding LF")
        if job["lineEnding"] == "CRLF" and re.search(r"(?<!\r)\n", text):
            return 400, _error("INVALID_CSV", "LF line ending in a job declared lineEnding CRLF")
        if not text.endswith("\n"):
            return 400, _error("INVALID_CSV", "the last line has no line ending")
        self.uploads.append(raw)
        job["_data"] = text
        return 201, None

    def _change_state(self, job: dict, headers, body):
        if not headers.get("Content-Type", "").startswith("application/json") or not isinstance(body, dict):
            return 400, _error("INVALID_CONTENT_TYPE", "a JSON body {state}")
        wanted = body.get("state")
        if wanted == "UploadComplete" and job["state"] == "Open" and job["_data"] is not None:
            job["state"] = "UploadComplete"
        elif wanted == "Aborted" and job["state"] in ("Open", "UploadComplete", "InProgress"):
            job["state"] = "Aborted"
        else:
            return 400, _error("INVALIDJOBSTATE", f"cannot move job {job['id']} from {job['state']} to {wanted}")
        return 200, self._job_info(job)

    def _advance(self, job: dict) -> None:
        if job["state"] == "UploadComplete":
            job["state"] = "InProgress"
        elif job["state"] == "InProgress":
            self._process(job)

    def _process(self, job: dict) -> None:
        kind = self.objects[job["object"]]
        rows = list(csv.reader(io.StringIO(job["_data"], newline="")))
        header, records = rows[0], rows[1:]
        job["_columns"] = header
        results = job["_results"]
        known = set(kind["fields"])
        problem = ""
        missing = sorted(set(header) - known)
        if missing:
            problem = f"InvalidBatch : Field name not found : {missing[0]}"
        elif job["externalIdFieldName"] not in header:
            problem = f"InvalidBatch : The External ID field {job['externalIdFieldName']} is missing from the header"
        elif len(set(header)) != len(header):
            problem = "InvalidBatch : Duplicate field name in the header"
        elif any(len(cells) != len(header) for cells in records):
            problem = "InvalidBatch : a row's number of cells does not match the header"
        if problem:
            job["state"], job["errorMessage"] = "Failed", problem
            results["unprocessedrecords"] = [dict(zip(header, cells, strict=False)) for cells in records]
            return
        for cells in records:
            row = dict(zip(header, cells, strict=True))
            record = {"attributes": {"type": job["object"]}, **{k: v for k, v in row.items() if v != ""}}
            result = self._upsert_one(kind, job["object"], job["externalIdFieldName"], record)
            if result["success"]:
                results["successfulResults"].append(
                    {"sf__Id": result["id"], "sf__Created": str(result["created"]).lower(), **row}
                )
            else:
                error = result["errors"][0]
                text = f"{error['statusCode']}:{error['message']}:{','.join(error.get('fields', []))}"
                results["failedResults"].append({"sf__Id": "", "sf__Error": text, **row})
        job["state"] = "JobComplete"

    def _new_server(self) -> ThreadingHTTPServer:
        fake = self

        class Handler(QuietHandler):
            def _handle(self):
                split = urllib.parse.urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                with fake.lock:
                    fake.requests.append((self.command, split.path))
                    status, body = self._route(split, raw)
                if isinstance(body, _Csv):
                    data, content_type = body.encode(), "text/csv"
                elif body is None:
                    data, content_type = b"", "application/json"
                else:
                    data, content_type = json.dumps(body).encode(), "application/json"
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _route(self, split, raw):
                # Salesforce: a REST call's URI and headers together take at most 16,384 bytes
                header_bytes = sum(len(k) + len(v) + 4 for k, v in self.headers.items())
                if len(self.path) > URI_MAX_BYTES:
                    return 414, _error("URI_TOO_LONG", f"URI of {len(self.path)} bytes")
                if len(self.path) + header_bytes > URI_MAX_BYTES:
                    return 431, _error("REQUEST_HEADER_FIELDS_TOO_LARGE", "URI and headers over 16,384 bytes")
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
                if raw and self.command != "PUT":
                    try:
                        body = json.loads(raw)
                    except ValueError:
                        return 400, _error("JSON_PARSER_ERROR", "not JSON")
                query = urllib.parse.parse_qs(split.query)
                return fake._api(self.command, split.path, query, body, headers=self.headers, raw=raw)

            do_GET = do_POST = do_PATCH = do_PUT = _handle

        return ThreadingHTTPServer(("127.0.0.1", 0), Handler)
