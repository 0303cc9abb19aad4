"""A strict Marketo Engage REST API (identity, leads, custom objects) on 127.0.0.1.

Request bodies are validated against Marketo's published Swagger (Apache-2.0,
../shared/data/marketo; ``MARKETO_SWAGGER`` may name another folder): ``SyncLeadRequest``,
``SyncCustomObjectRequest``, ``SyncCustomObjectTypeRequest``, ``AddCustomObjectTypeFieldsRequest``.
The Swagger's ``CustomObject`` marks ``seq``/``marketoGUID`` required although the API refuses
them in input: input records are checked without that ``required`` and refused when they carry
them. Beyond the schema, what Marketo does: the token endpoint takes the client id and secret as
parameters (query or form), answers ``expires_in`` seconds; REST calls take the token only as
``Authorization: Bearer`` (a token in the query string is refused, 601); failures are HTTP 200
with ``success: false`` and a code — 600/601/602 (token missing, invalid, expired), 606 (more
than 100 calls in 20 s, on the fake's clock), 607 (daily quota), 615 (more than 10 concurrent),
1003 (more than 300 records, unknown lookup field), 1006 (unknown field), 1013 (no such object);
a record that cannot be written is ``skipped`` with its reasons, the others ``created``/``updated``.
"""

from __future__ import annotations

import copy
import json
import os
import re
import threading
import urllib.parse
import uuid
from http.server import ThreadingHTTPServer
from pathlib import Path

import jsonschema

from tests.fakes.vendor import LoopbackFake, ManualClock, QuietHandler

SWAGGER = Path(os.environ.get("MARKETO_SWAGGER", "/work/shared/data/marketo")) / "swagger-mapi.json"
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
LEAD_FIELDS = ("email", "firstName", "lastName", "company", "title", "department", "country", "city")


def _validators() -> dict:
    definitions = copy.deepcopy(json.loads(SWAGGER.read_text())["definitions"])
    definitions["CustomObject"].pop("required", None)  # response-only fields, see the module docstring
    # The same for activities (``id``, ``errors`` are answered); an attribute's value is a string in practice
    definitions["CustomActivity"]["required"] = ["activityDate", "activityTypeId", "leadId", "primaryAttributeValue"]
    definitions["Attribute"]["properties"]["value"] = {"type": ["string", "number", "boolean"]}
    return {
        name: jsonschema.Draft4Validator({"definitions": definitions, "$ref": f"#/definitions/{name}"})
        for name in (
            "SyncLeadRequest",
            "SyncCustomObjectRequest",
            "SyncCustomObjectTypeRequest",
            "AddCustomObjectTypeFieldsRequest",
            "CustomActivityRequest",
        )
    }


class FakeMarketo(ManualClock, LoopbackFake):
    def __init__(self, *, client_id: str, client_secret: str, daily_quota: int = 50_000, lead_fields=LEAD_FIELDS):
        self.client_id, self.client_secret = client_id, client_secret
        self.daily_quota = daily_quota
        self.lead_fields = tuple(lead_fields)
        self.now = 1_000_000.0
        self.tokens: dict[str, float] = {}  # token -> expiry on the fake's clock
        self.token_calls = 0
        self.leads: dict[str, dict] = {}  # e-mail (lower) -> lead
        # apiName -> {"fields": {name: field}, "state": ..., "records": {dedupe: record}}
        self.objects: dict[str, dict] = {}
        self.activity_types: set[int] = set()
        self.activities: list[dict] = []
        self.calls: list[float] = []  # times of REST calls (for 606)
        self.rest_calls = 0
        self.requests: list[tuple[str, str]] = []
        self.codes: list[str] = []  # error codes answered
        self.in_flight = 0
        self.lock = threading.Lock()
        self.counter = threading.Lock()
        self._schemas = _validators()
        self._make_loopback_server()

    def revoke_secret(self) -> None:
        self.client_secret = None

    def expire_tokens(self) -> None:
        self.tokens = dict.fromkeys(self.tokens, 0.0)

    # answers
    def _fail(self, code: str, message: str) -> dict:
        self.codes.append(code)
        return {"requestId": uuid.uuid4().hex[:8], "success": False, "errors": [{"code": code, "message": message}]}

    @staticmethod
    def _ok(result: list) -> dict:
        return {"requestId": uuid.uuid4().hex[:8], "success": True, "result": result}

    def _token(self, params: dict) -> tuple[int, dict]:
        self.token_calls += 1
        if params.get("grant_type") != "client_credentials":
            return 400, {"error": "unsupported_grant_type", "error_description": "Unsupported grant type"}
        if (
            params.get("client_id") != self.client_id
            or not self.client_secret
            or params.get("client_secret") != self.client_secret
        ):
            return 401, {"error": "invalid_client", "error_description": "Bad client credentials"}
        token = f"{uuid.uuid4()}:ab"
        self.tokens[token] = self.now + 3600
        return 200, {"access_token": token, "token_type": "bearer", "expires_in": 3599, "scope": "api@example.com"}

    def _rest(self, method: str, path: str, query: dict, headers, body) -> dict:
        if "access_token" in query:
            return self._fail("601", "Access token invalid (use the Authorization header)")
        auth = headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            return self._fail("600", "Access token missing")
        token = auth[len("Bearer ") :]
        if token not in self.tokens:
            return self._fail("601", "Access token invalid")
        if self.tokens[token] <= self.now:
            return self._fail("602", "Access token expired")
        self.calls = [t for t in self.calls if self.now - t < 20]
        if len(self.calls) >= 100:
            return self._fail("606", "Max rate limit '100' exceeded with in '20' secs")
        if self.rest_calls >= self.daily_quota:
            return self._fail("607", "Daily quota reached")
        self.calls.append(self.now)
        self.rest_calls += 1
        route = (method, path)
        if route == ("GET", "/rest/v1/leads/describe.json"):
            return self._ok(
                [
                    {"id": i, "displayName": name, "dataType": "string", "rest": {"name": name, "readOnly": False}}
                    for i, name in enumerate(self.lead_fields, 1)
                ]
            )
        if route == ("POST", "/rest/v1/leads.json"):
            return self._sync_leads(body)
        if route == ("GET", "/rest/v1/leads.json"):
            return self._leads_by(query)
        if route == ("POST", "/rest/v1/activities/external.json"):
            return self._add_activities(body)
        if route == ("GET", "/rest/v1/customobjects/schema.json"):
            names = set((query.get("names") or [""])[0].split(","))
            return self._ok([{"apiName": n, "state": o["state"]} for n, o in self.objects.items() if n in names])
        if route == ("POST", "/rest/v1/customobjects/schema.json"):
            return self._create_type(body)
        match = re.fullmatch(r"/rest/v1/customobjects/([^/]+)/describe\.json", path)
        if method == "GET" and match:
            return self._describe_object(match[1])
        match = re.fullmatch(r"/rest/v1/customobjects/schema/([^/]+)/(addField|approve)\.json", path)
        if method == "POST" and match:
            return self._change_type(match[1], match[2], body)
        match = re.fullmatch(r"/rest/v1/customobjects/([^/]+)\.json", path)
        if method == "POST" and match:
            return self._sync_objects(match[1], body)
        return self._fail("1013", f"No such route {method} {path}")  # Marketo: object/route not found

    def _describe_object(self, api_name: str) -> dict:
        kind = self.objects.get(api_name)
        if kind is None or kind["state"] != "approved":
            return self._fail("1013", f"Object not found: {api_name}")
        dedupe = [name for name, f in kind["fields"].items() if f.get("isDedupeField")]
        fields = [{"name": "marketoGUID", "displayName": "Marketo GUID", "dataType": "string", "updateable": False}]
        fields += [
            {"name": name, "displayName": f["displayName"], "dataType": f["dataType"], "updateable": True}
            for name, f in kind["fields"].items()
        ]
        return self._ok(
            [
                {
                    "apiName": api_name,
                    "displayName": api_name,
                    "pluralName": api_name,
                    "description": "",
                    "createdAt": "2026-01-01T00:00:00Z",
                    "updatedAt": "2026-01-01T00:00:00Z",
                    "idField": "marketoGUID",
                    "dedupeFields": [dedupe],
                    "searchableFields": [dedupe],
                    "relationships": [],
                    "status": "approved",
                    "version": "approved",
                    "fields": fields,
                }
            ]
        )

    def _invalid(self, schema: str, body) -> str:
        errors = sorted(e.message for e in self._schemas[schema].iter_errors(body))
        return "; ".join(errors)

    def _sync_leads(self, body) -> dict:
        problem = self._invalid("SyncLeadRequest", body)
        if problem:
            return self._fail("1003", problem)
        if body.get("lookupField", "email") != "email":
            return self._fail("1003", "Invalid lookup field")
        if len(body["input"]) > 300:
            return self._fail("1003", "Too many records: at most 300 per call")
        unknown = sorted({key for lead in body["input"] for key in lead} - set(self.lead_fields))
        if unknown:
            return self._fail("1006", f"Field '{unknown[0]}' not found")
        result = []
        for lead in body["input"]:
            email = str(lead.get("email") or "")
            if not EMAIL.match(email):
                result.append({"status": "skipped", "reasons": [{"code": "1003", "message": "Invalid email"}]})
                continue
            existing = self.leads.get(email.lower())
            if existing is None:
                self.leads[email.lower()] = {"id": len(self.leads) + 1, **lead}
                result.append({"id": len(self.leads), "status": "created"})
            else:
                existing.update(lead)
                result.append({"id": existing["id"], "status": "updated"})
        return self._ok(result)

    def _leads_by(self, query) -> dict:
        if (query.get("filterType") or [""])[0] != "email":
            return self._fail("1003", "Invalid filterType")
        values = [v for v in (query.get("filterValues") or [""])[0].split(",") if v]
        if not values or len(values) > 300:
            return self._fail("1003", "filterValues: 1 to 300 values")
        fields = (query.get("fields") or ["id,email"])[0].split(",")
        found = [self.leads[v.lower()] for v in values if v.lower() in self.leads]
        return self._ok([{name: lead.get(name) for name in fields} for lead in found])

    def _add_activities(self, body) -> dict:
        problem = self._invalid("CustomActivityRequest", body)
        if problem:
            return self._fail("1003", problem)
        if len(body["input"]) > 300:
            return self._fail("1003", "Too many records: at most 300 per call")
        ids = {lead["id"] for lead in self.leads.values()}
        result = []
        for activity in body["input"]:
            if activity["activityTypeId"] not in self.activity_types:
                result.append({"status": "skipped", "reasons": [{"code": "1003", "message": "Invalid activity type"}]})
            elif activity["leadId"] not in ids:
                result.append({"status": "skipped", "reasons": [{"code": "1004", "message": "Lead not found"}]})
            else:
                self.activities.append(activity)
                result.append({"id": len(self.activities), "status": "added"})
        return self._ok(result)

    def _create_type(self, body) -> dict:
        problem = self._invalid("SyncCustomObjectTypeRequest", body)
        if problem:
            return self._fail("1003", problem)
        if body["apiName"] in self.objects:
            return self._fail("1003", "Custom object type already exists")
        self.objects[body["apiName"]] = {"fields": {}, "state": "draft", "records": {}}
        return self._ok([{"apiName": body["apiName"], "status": "created"}])

    def _change_type(self, api_name: str, action: str, body) -> dict:
        kind = self.objects.get(api_name)
        if kind is None:
            return self._fail("1013", f"Object not found: {api_name}")
        if action == "approve":
            if not any(f.get("isDedupeField") for f in kind["fields"].values()):
                return self._fail("1003", "A custom object type needs a dedupe field")
            kind["state"] = "approved"
            return self._ok([{"apiName": api_name, "status": "approved"}])
        problem = self._invalid("AddCustomObjectTypeFieldsRequest", body)
        if problem:
            return self._fail("1003", problem)
        for field in body["input"]:
            if field["dataType"] == "link" and field.get("relatedTo") != {"name": "lead", "field": "email"}:
                return self._fail("1003", f"Link field {field['name']} must relate to a lead field")
            kind["fields"][field["name"]] = field
        return self._ok([{"name": f["name"], "status": "created"} for f in body["input"]])

    def _sync_objects(self, api_name: str, body) -> dict:
        kind = self.objects.get(api_name)
        if kind is None or kind["state"] != "approved":
            return self._fail("1013", f"Object not found: {api_name}")
        problem = self._invalid("SyncCustomObjectRequest", body)
        if problem:
            return self._fail("1003", problem)
        if len(body["input"]) > 300:
            return self._fail("1003", "Too many records: at most 300 per call")
        dedupe = sorted(name for name, f in kind["fields"].items() if f.get("isDedupeField"))
        result = []
        for seq, record in enumerate(body["input"]):
            response_only = {"seq", "marketoGUID", "reasons"} & set(record)
            if response_only:
                return self._fail("1003", f"Fields only answered, never sent: {sorted(response_only)}")
            unknown = sorted(set(record) - set(kind["fields"]))
            if unknown:
                return self._fail("1006", f"Field '{unknown[0]}' not found")
            if any(record.get(name) in (None, "") for name in dedupe):
                result.append(
                    {"seq": seq, "status": "skipped", "reasons": [{"code": "1003", "message": "Dedupe field missing"}]}
                )
                continue
            links = [name for name, f in kind["fields"].items() if f["dataType"] == "link"]
            if any(str(record.get(name, "")).lower() not in self.leads for name in links):
                result.append(
                    {"seq": seq, "status": "skipped", "reasons": [{"code": "1013", "message": "Lead not found"}]}
                )
                continue
            key = tuple(str(record[name]) for name in dedupe)
            existing = kind["records"].get(key)
            if existing is None:
                guid = str(uuid.uuid4())
                kind["records"][key] = {"marketoGUID": guid, **record}
                result.append({"seq": seq, "marketoGUID": guid, "status": "created"})
            else:
                existing.update(record)
                result.append({"seq": seq, "marketoGUID": existing["marketoGUID"], "status": "updated"})
        return self._ok(result)

    def _new_server(self) -> ThreadingHTTPServer:
        fake = self

        class Handler(QuietHandler):
            def _handle(self):
                split = urllib.parse.urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                query = urllib.parse.parse_qs(split.query)
                with fake.counter:
                    fake.in_flight += 1
                    busy = fake.in_flight > 10
                try:
                    with fake.lock:
                        fake.requests.append((self.command, split.path))
                        status, body = self._route(split, query, raw, busy)
                finally:
                    with fake.counter:
                        fake.in_flight -= 1
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _route(self, split, query, raw, busy):
                if split.path == "/identity/oauth/token":
                    params = {k: v[0] for k, v in query.items()}
                    if self.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
                        params.update({k: v[0] for k, v in urllib.parse.parse_qs(raw.decode()).items()})
                    if self.headers.get("Authorization", "").startswith("Basic "):
                        return 401, {"error": "invalid_client", "error_description": "Basic auth is not supported"}
                    return fake._token(params)
                if busy:
                    return 200, fake._fail("615", "Concurrent access limit reached")
                body = None
                if self.command == "POST" and raw:
                    try:
                        body = json.loads(raw)
                    except ValueError:
                        return 200, fake._fail("609", "Invalid JSON")
                return 200, fake._rest(self.command, split.path, query, self.headers, body)

            do_GET = do_POST = _handle

        return ThreadingHTTPServer(("127.0.0.1", 0), Handler)
