"""A strict Power BI REST API and Microsoft identity token endpoint on 127.0.0.1.

Request bodies are validated against the published Power BI Swagger (MIT, ../shared/data/powerbi;
a copy is read from ``POWERBI_SWAGGER`` or the shared folder): ``CreateDatasetRequest`` and
``PostRowsRequest``. Beyond the schema, what the service refuses is refused: push models only,
75 tables, 75 columns, known data types; rows whose columns are not the table's or whose values do
not fit their type, strings over 4,000 characters, more than 10,000 rows per POST (400); more than
120 POST-rows requests per minute per model (120 per hour once a table holds 250,000 rows),
1,000,000 rows per hour per model or 5 pending requests (429 with Retry-After). The clock is the
fake's (``clock``/``advance``) so tests never sleep.
"""

from __future__ import annotations

import datetime
import json
import os
import threading
import urllib.parse
import uuid
from http.server import ThreadingHTTPServer
from pathlib import Path

import jsonschema

from tests.fakes.vendor import LoopbackFake, ManualClock, QuietHandler

SWAGGER = Path(os.environ.get("POWERBI_SWAGGER", "/work/shared/data/powerbi/swagger.json"))
SCOPE = "https://analysis.windows.net/powerbi/api/.default"
DATA_TYPES = {"Int64", "Double", "Boolean", "Datetime", "DateTime", "String", "Decimal"}


def _validator(definition: str):
    definitions = json.loads(SWAGGER.read_text())["definitions"]
    return jsonschema.Draft4Validator({"definitions": definitions, "$ref": f"#/definitions/{definition}"})


class FakePowerBI(ManualClock, LoopbackFake):
    def __init__(self, *, tenant: str = "contoso.onmicrosoft.com", client_id: str, client_secret: str, workspace: str):
        self.tenant, self.client_id, self.client_secret, self.workspace = tenant, client_id, client_secret, workspace
        self.now = 1_000_000.0
        self.tokens: set[str] = set()
        self.datasets: dict[str, dict] = {}  # id -> {"name", "tables": {name: {"columns": {...}, "rows": [...]}}}
        self.posts: dict[str, list[tuple[float, int]]] = {}  # dataset id -> (time, rows) of accepted POST-rows
        self.requests: list[tuple[str, str]] = []
        self.refusals: list[tuple[int, str]] = []
        self.fail_after_posts: int | None = None  # accepted POST-rows before a scripted 400
        self.pending = 0
        self.lock = threading.Lock()
        self.counter = threading.Lock()
        self._create = _validator("CreateDatasetRequest")
        self._rows = _validator("PostRowsRequest")
        self._table = _validator("Table")
        self._make_loopback_server()

    def revoke_secret(self) -> None:
        self.client_secret = None
        self.tokens.clear()

    def table_rows(self, table: str) -> list[dict]:
        return [row for dataset in self.datasets.values() for row in dataset["tables"].get(table, {}).get("rows", [])]

    def post_count(self) -> int:
        return sum(1 for method, path in self.requests if method == "POST" and path.endswith("/rows"))

    # Answers
    def _token(self, form: dict) -> tuple[int, dict, dict]:
        one = {key: values[0] for key, values in form.items()}
        if one.get("grant_type") != "client_credentials" or one.get("scope") != SCOPE:
            return 400, {"error": "invalid_request", "error_description": "AADSTS900144: bad grant or scope."}, {}
        if (
            one.get("client_id") != self.client_id
            or not self.client_secret
            or one.get("client_secret") != self.client_secret
        ):
            return (
                401,
                {
                    "error": "invalid_client",
                    "error_description": (
                        f"AADSTS7000222: The provided client secret keys for app '{self.client_id}' are expired."
                    ),
                },
                {},
            )
        token = uuid.uuid4().hex
        self.tokens.add(token)
        return 200, {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token}, {}

    def _error(self, status: int, code: str, message: str, headers=None):
        self.refusals.append((status, code))
        return status, {"error": {"code": code, "message": message}}, headers or {}

    def _api(self, method: str, parts: list[str], query: dict, body) -> tuple[int, dict, dict]:
        # parts after /v1.0/myorg: [groups, {id},] datasets [, {id}, tables [, {name}, rows]]
        if parts[:1] == ["groups"]:
            if len(parts) < 2 or parts[1] != self.workspace:
                return self._error(404, "PowerBIEntityNotFound", "Workspace not found or not accessible.")
            parts = parts[2:]
        if parts == ["datasets"] and method == "GET":
            return (
                200,
                {"value": [{"id": i, "name": d["name"], "isRefreshable": False} for i, d in self.datasets.items()]},
                {},
            )
        if parts == ["datasets"] and method == "POST":
            return self._create_dataset(query, body)
        if len(parts) >= 3 and parts[0] == "datasets" and parts[2] == "tables":
            dataset = self.datasets.get(parts[1])
            if dataset is None:
                return self._error(404, "ItemNotFound", "Dataset not found.")
            if len(parts) == 3 and method == "GET":
                return 200, {"value": [{"name": name} for name in dataset["tables"]]}, {}
            if len(parts) == 4 and method == "PUT":
                return self._put_table(dataset, urllib.parse.unquote(parts[3]), body)
            if len(parts) == 5 and parts[4] == "rows" and method == "POST":
                return self._post_rows(parts[1], dataset, urllib.parse.unquote(parts[3]), body)
        return self._error(404, "NotFound", f"No route {method} {'/'.join(parts)}")

    def _create_dataset(self, query, body):
        if query.get("defaultRetentionPolicy", ["None"])[0] not in ("None", "basicFIFO"):
            return self._error(400, "InvalidRequest", "defaultRetentionPolicy")
        errors = sorted(e.message for e in self._create.iter_errors(body))
        if errors:
            return self._error(400, "InvalidRequest", "; ".join(errors))
        if body.get("defaultMode") != "Push":
            return self._error(400, "InvalidRequest", "Only push models are accepted by this fake.")
        if len(body["tables"]) > 75 or any(len(t["columns"]) > 75 for t in body["tables"]):
            return self._error(400, "InvalidRequest", "More than 75 tables or columns.")
        for table in body["tables"]:
            bad = [c["dataType"] for c in table["columns"] if c["dataType"] not in DATA_TYPES]
            if bad:
                return self._error(400, "InvalidRequest", f"Unknown data types {bad}.")
        dataset_id = str(uuid.uuid4())
        self.datasets[dataset_id] = {
            "name": body["name"],
            "tables": {
                t["name"]: {"columns": {c["name"]: c["dataType"] for c in t["columns"]}, "rows": []}
                for t in body["tables"]
            },
        }
        return 201, {"id": dataset_id, "name": body["name"], "defaultRetentionPolicy": "None"}, {}

    def _put_table(self, dataset, table_name, body):
        """Datasets - Put Table (In Group): creates or updates a push model's table; its rows are kept."""
        errors = sorted(e.message for e in self._table.iter_errors(body))
        if errors:
            return self._error(400, "InvalidRequest", "; ".join(errors))
        if not isinstance(body, dict) or body.get("name") != table_name:
            return self._error(400, "InvalidRequest", "The table's name differs from the URL's.")
        if len(body["columns"]) > 75 or (table_name not in dataset["tables"] and len(dataset["tables"]) >= 75):
            return self._error(400, "InvalidRequest", "More than 75 tables or columns.")
        bad = [c.get("dataType") for c in body["columns"] if c.get("dataType") not in DATA_TYPES]
        if bad:
            return self._error(400, "InvalidRequest", f"Unknown data types {bad}.")
        names = [c["name"] for c in body["columns"]]
        if len(set(names)) != len(names):
            return self._error(400, "InvalidRequest", "Duplicate column names.")
        table = dataset["tables"].setdefault(table_name, {"columns": {}, "rows": []})
        table["columns"] = {c["name"]: c["dataType"] for c in body["columns"]}
        return 200, body, {}

    def _post_rows(self, dataset_id, dataset, table_name, body):
        table = dataset["tables"].get(table_name)
        if table is None:
            return self._error(404, "ItemNotFound", f"Table {table_name} not found.")
        errors = sorted(e.message for e in self._rows.iter_errors(body))
        if errors or not isinstance(body, dict) or "rows" not in body:
            return self._error(400, "InvalidRequest", "; ".join(errors) or "rows missing")
        rows = body["rows"]
        if len(rows) > 10_000:
            return self._error(400, "InvalidRequest", "More than 10,000 rows in one POST.")
        for row in rows:
            problem = self._row_problem(row, table["columns"])
            if problem:
                return self._error(400, "InvalidRequest", problem)
        now = self.now
        history = [(t, n) for t, n in self.posts.get(dataset_id, []) if now - t < 3600]
        self.posts[dataset_id] = history
        per_minute = [t for t, _n in history if now - t < 60]
        large = len(table["rows"]) >= 250_000
        if len(per_minute) >= 120 or (large and len(history) >= 120):
            return self._error(429, "TooManyRequests", "POST-rows requests over the limit.", {"Retry-After": "30"})
        if sum(n for _t, n in history) + len(rows) > 1_000_000:
            return self._error(429, "TooManyRequests", "Rows per hour over the limit.", {"Retry-After": "60"})
        if self.fail_after_posts is not None and len(history) >= self.fail_after_posts:
            self.fail_after_posts = None
            return self._error(400, "InvalidRequest", "Scripted refusal (the run is interrupted).")
        history.append((now, len(rows)))
        table["rows"].extend(rows)
        return 200, {}, {}

    @staticmethod
    def _row_problem(row, columns) -> str:
        if not isinstance(row, dict):
            return "A row is not an object."
        unknown = set(row) - set(columns)
        if unknown:
            return f"Unknown columns {sorted(unknown)}."
        for name, value in row.items():
            kind = columns[name]
            if value is None:
                continue
            if kind == "String" and (not isinstance(value, str) or len(value) > 4000):
                return f"Column {name}: not a string of at most 4,000 characters."
            if kind == "Int64" and (isinstance(value, bool) or not isinstance(value, int)):
                return f"Column {name}: not an integer."
            if kind in ("Double", "Decimal") and (isinstance(value, bool) or not isinstance(value, int | float)):
                return f"Column {name}: not a number."
            if kind == "Boolean" and not isinstance(value, bool):
                return f"Column {name}: not a boolean."
            if kind in ("DateTime", "Datetime"):
                try:
                    datetime.datetime.fromisoformat(value)
                except (TypeError, ValueError):
                    return f"Column {name}: not a date-time."
        return ""

    def _new_server(self) -> ThreadingHTTPServer:
        fake = self

        class Handler(QuietHandler):
            def _handle(self):
                split = urllib.parse.urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                with fake.counter:
                    fake.pending += 1
                    busy = fake.pending > 5
                try:
                    if busy and not self.path.endswith("/token"):
                        status, body, headers = fake._error(
                            429, "TooManyRequests", "More than 5 pending requests.", {"Retry-After": "1"}
                        )
                    else:
                        with fake.lock:
                            fake.requests.append((self.command, split.path))
                            status, body, headers = self._route(split, raw)
                finally:
                    with fake.counter:
                        fake.pending -= 1
                data = json.dumps(body).encode() if body != {} or status != 200 else b""
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _route(self, split, raw):
                token_path = f"/{fake.tenant}/oauth2/v2.0/token"
                if split.path == token_path and self.command == "POST":
                    if self.headers.get("Content-Type", "").split(";")[0] != "application/x-www-form-urlencoded":
                        return 400, {"error": "invalid_request"}, {}
                    return fake._token(urllib.parse.parse_qs(raw.decode()))
                auth = self.headers.get("Authorization", "")
                if not auth.startswith("Bearer ") or auth[7:] not in fake.tokens:
                    return fake._error(403, "TokenExpired", "Access token has expired or is not valid.")
                if not split.path.startswith("/v1.0/myorg/"):
                    return fake._error(404, "NotFound", "No such path.")
                body = None
                if self.command in ("POST", "PUT"):
                    try:
                        body = json.loads(raw or b"null")
                    except ValueError:
                        return fake._error(400, "InvalidRequest", "Not JSON.")
                parts = [p for p in split.path[len("/v1.0/myorg/") :].split("/") if p]
                return fake._api(self.command, parts, urllib.parse.parse_qs(split.query), body)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        return ThreadingHTTPServer(("127.0.0.1", 0), Handler)
