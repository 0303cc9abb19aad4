"""A fake Microsoft identity platform + Microsoft Graph v1.0 on 127.0.0.1, strict about what it receives.

- ``POST /{tenant}/oauth2/v2.0/token``: a form body with grant_type=client_credentials, the
  client id and secret, scope ``https://graph.microsoft.com/.default`` (nothing else is a scope
  a client-credentials call may ask); wrong ones answer as Entra ID does (400/401,
  ``{"error", "error_description": "AADSTS…"}``). Tokens live ``expires_in`` seconds.
- ``GET /v1.0/organization`` and ``GET /v1.0/users``: a valid bearer token (else 401
  ``InvalidAuthenticationToken``); ``$select`` of properties of the entity in Graph's v1.0 CSDL
  (the file in ../shared/data/msgraph when present, else the extract in fakes/data/ — a test
  checks they agree), with Graph's refusals: an unknown property, a property Graph returns only
  for a single user; ``$top`` 1-999; ``$skip`` not supported; ``$expand`` only ``manager`` (with
  its own ``$select``); ``$filter`` only ``id eq`` / ``id in`` (at most 15 ids); unknown query
  options refused. Pages end with ``@odata.nextLink`` (an opaque ``$skiptoken``) while more
  remain.
- ``GET /v1.0/users/delta``: ``$select``, ``$expand=manager``, ``$deltatoken=latest`` (an empty
  answer and a deltaLink from now), a deltaLink's token (the users changed or removed since, a
  removed one as ``{"id", "@removed": {"reason"}}``, a changed one with its id and only the
  properties that changed — as Graph documents "at least the updated properties"), paged by
  ``$skiptoken``; a token older than ``forget_before`` is HTTP 410 ``syncStateNotFound``.
- ``throttle(n, retry_after)``: the next n calls answer 429 with Retry-After; ``fail(n, status,
  path)``: the next n calls of a path fail; everything received is in ``requests``.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import re
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.fakes.vendor import LoopbackFake

SCOPE = "https://graph.microsoft.com/.default"
DATA = Path(__file__).resolve().parent / "data" / "graph_properties.json"
CSDL_NAME = Path("shared") / "data" / "msgraph" / "cleanMetadata-v1.0.xml"
#: Properties Graph returns only when one user is read (GET /users/{id}), never in a list.
SINGLE_USER_ONLY = frozenset(
    {
        "aboutMe",
        "birthday",
        "hireDate",
        "interests",
        "mySite",
        "pastProjects",
        "preferredName",
        "responsibilities",
        "schools",
        "skills",
        "mailboxSettings",
    }
)
DEFAULT_USER_PROPERTIES = (
    "businessPhones",
    "displayName",
    "givenName",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
    "id",
)
MAX_TOP = 999
DELTA_PAGE = 200
MAX_IN = 15
ID_IN = re.compile(r"^id in \((.*)\)$")
ID_EQ = re.compile(r"^id eq '([^']*)'$")
SELECT_IN_EXPAND = re.compile(r"^manager(?:\(\$select=([A-Za-z0-9,]+)\))?$")


def csdl_path() -> Path | None:
    for parent in Path(__file__).resolve().parents:
        candidate = parent / CSDL_NAME
        if candidate.exists():
            return candidate
    return None


def load_properties() -> dict[str, dict[str, str]]:
    """Entity → property → type, from the CSDL when it is there, else from the committed extract."""
    path = csdl_path()
    if path is None:
        data = json.loads(DATA.read_text())
        return {name: data[name] for name in ("user", "organization")}
    return properties_from_csdl(path)


def properties_from_csdl(path: Path) -> dict[str, dict[str, str]]:
    from lxml import etree

    tree = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True))
    ns = {"e": "http://docs.oasis-open.org/odata/ns/edm"}

    def props(name: str) -> dict[str, str]:
        found = tree.xpath(f'//e:EntityType[@Name="{name}"]|//e:ComplexType[@Name="{name}"]', namespaces=ns)[0]
        out = props(found.get("BaseType").split(".")[-1]) if found.get("BaseType") else {}
        out.update({p.get("Name"): p.get("Type") for p in found.xpath("e:Property", namespaces=ns)})
        return out

    return {name: props(name) for name in ("user", "organization", "employeeOrgData", "onPremisesExtensionAttributes")}


class GraphError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


@dataclass
class FakeGraph(LoopbackFake):
    http_methods = ("GET", "POST")
    protocol_version = "HTTP/1.1"
    dispatch = "_handle"

    tenant_id: str = "11111111-2222-3333-4444-555555555555"
    client_id: str = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
    client_secret: str = "graph-secret-value"
    primary_domain: str = "contoso.example"
    expires_in: int = 3599
    delta_page: int = DELTA_PAGE
    users: dict[str, dict] = field(default_factory=dict)
    managers: dict[str, str] = field(default_factory=dict)  # user id → manager id
    requests: list[dict] = field(default_factory=list)
    token_calls: int = 0
    forget_before: int = 0  # delta tokens of versions before this are unknown (410)

    def __post_init__(self):
        self.properties = load_properties()
        self.user_properties = self.properties["user"]
        self.tokens: dict[str, float] = {}
        self.version = 0
        self.changes: list[tuple[int, str, frozenset[str] | None]] = []  # (version, id, changed props | None=removed)
        self.faults: list[dict] = []
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None
        self.thread: threading.Thread | None = None
        self.skiptokens: dict[str, dict] = {}

    # Directory

    def add_user(self, **properties) -> str:
        unknown = set(properties) - set(self.user_properties)
        if unknown:
            raise ValueError(f"not user properties: {sorted(unknown)}")
        object_id = properties.pop("id", None) or str(uuid.uuid4())
        user = {"id": object_id, "accountEnabled": True, **properties}
        with self.lock:
            self.users[object_id] = user
            self._change(object_id, frozenset(user))
        return object_id

    def add_users(self, count: int, *, domain: str = "example.com", start: int = 0) -> list[str]:
        """``count`` plain users ``user{n}@domain`` (fast: one change entry each)."""
        ids = []
        with self.lock:
            for n in range(start, start + count):
                object_id = f"{n:08d}-0000-4000-8000-000000000000"
                self.users[object_id] = {
                    "id": object_id,
                    "accountEnabled": True,
                    "mail": f"user{n}@{domain}",
                    "userPrincipalName": f"user{n}@{domain}",
                    "displayName": f"User {n}",
                    "department": f"Dept {n % 10}",
                }
                self._change(object_id, None, created=True)
                ids.append(object_id)
        return ids

    def update_user(self, object_id: str, **properties) -> None:
        with self.lock:
            self.users[object_id].update(properties)
            self._change(object_id, frozenset(properties))

    def set_manager(self, object_id: str, manager_id: str | None) -> None:
        with self.lock:
            if manager_id:
                self.managers[object_id] = manager_id
            else:
                self.managers.pop(object_id, None)
            self._change(object_id, frozenset({"manager"}))

    def delete_user(self, object_id: str) -> None:
        with self.lock:
            del self.users[object_id]
            self._change(object_id, None)

    def _change(self, object_id: str, changed, *, created: bool = False) -> None:
        self.version += 1
        if created:
            changed = frozenset(self.users[object_id])
        self.changes.append((self.version, object_id, changed))

    # Scripted faults

    def throttle(self, times: int = 1, retry_after: int = 1, path: str = "") -> None:
        self.faults.append({"times": times, "status": 429, "retry_after": retry_after, "path": path})

    def fail(self, times: int = 1, status: int = 503, path: str = "", after: int = 0) -> None:
        """The next ``times`` calls of ``path`` (prefix; "" any) fail with ``status``, after ``after`` more succeed."""
        self.faults.append({"times": times, "status": status, "path": path, "after": after})

    def calls(self, path: str) -> list[dict]:
        return [r for r in self.requests if r["path"] == path]

    # Requests (the server: LoopbackFake)

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        split = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        raw_query = split.query
        params = parse_qs(raw_query, keep_blank_values=True)
        record = {"method": method, "path": split.path, "params": params, "headers": dict(handler.headers)}
        with self.lock:
            self.requests.append(record)
            fault = self._fault(split.path)
        try:
            if fault:
                headers = {"Retry-After": str(fault["retry_after"])} if fault["status"] == 429 else {}
                code = "TooManyRequests" if fault["status"] == 429 else "serviceNotAvailable"
                raise GraphError(fault["status"], code, "Scripted failure.", headers)
            status, answer = self._route(method, split.path, params, body, handler.headers)
        except GraphError as exc:
            status = exc.status
            answer = {
                "error": {
                    "code": exc.code,
                    "message": exc.message,
                    "innerError": {"request-id": str(uuid.uuid4()), "date": time.strftime("%Y-%m-%dT%H:%M:%S")},
                }
            }
            return self._send(handler, status, answer, exc.headers)
        self._send(handler, status, answer)

    def _fault(self, path: str) -> dict | None:
        for fault in self.faults:
            if fault["path"] and not path.startswith(fault["path"]):
                continue
            if fault.get("after"):
                fault["after"] -= 1
                return None
            fault["times"] -= 1
            if fault["times"] <= 0:
                self.faults.remove(fault)
            return fault
        return None

    @staticmethod
    def _send(handler, status: int, answer, headers: dict | None = None) -> None:
        payload = json.dumps(answer).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json; odata.metadata=minimal")
        handler.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(payload)

    # Routes

    def _route(self, method, path, params, body, headers):
        token_path = f"/{self.tenant_id}/oauth2/v2.0/token"
        if path.endswith("/oauth2/v2.0/token"):
            if method != "POST":
                raise GraphError(405, "method_not_allowed", "Use POST.")
            if path != token_path:
                return 400, {
                    "error": "invalid_tenant",
                    "error_description": f"AADSTS90002: Tenant '{path.split('/')[1]}' not found.",
                }
            return self._token(body, headers)
        if method != "GET":
            raise GraphError(405, "Request_BadRequest", "Only GET is supported here.")
        self._authorize(headers)
        if path == "/v1.0/organization":
            self._options(params, {"$select"})
            select = self._select(params, "organization", default=("id", "displayName", "verifiedDomains"))
            org = {
                "id": self.tenant_id,
                "displayName": "Contoso",
                "verifiedDomains": [
                    {"name": "contoso.onmicrosoft.com", "isDefault": False, "isInitial": True, "type": "Managed"},
                    {"name": self.primary_domain, "isDefault": True, "isInitial": False, "type": "Managed"},
                ],
            }
            return 200, {"value": [{key: org.get(key) for key in select}]}
        if path == "/v1.0/users":
            return 200, self._users(params)
        if path == "/v1.0/users/delta":
            return self._delta(params)
        raise GraphError(404, "Request_ResourceNotFound", f"Resource not found for the segment '{path}'.")

    def _token(self, body: bytes, headers):
        if not (headers.get("Content-Type") or "").startswith("application/x-www-form-urlencoded"):
            return 400, {"error": "invalid_request", "error_description": "AADSTS900144: a form body is required."}
        form = {key: values[-1] for key, values in parse_qs(body.decode(), keep_blank_values=True).items()}
        if form.get("grant_type") != "client_credentials":
            return 400, {"error": "unsupported_grant_type", "error_description": "AADSTS70003: grant type."}
        if form.get("scope") != SCOPE:
            return 400, {
                "error": "invalid_scope",
                "error_description": "AADSTS1002012: The provided value for scope is not valid. Client credential "
                "flows must have a scope value with /.default suffixed to the resource identifier.",
            }
        if form.get("client_id") != self.client_id:
            return 400, {
                "error": "unauthorized_client",
                "error_description": f"AADSTS700016: Application with identifier '{form.get('client_id')}' "
                "was not found in the directory.",
            }
        if form.get("client_secret") != self.client_secret:
            return 401, {"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret."}
        token = secrets.token_urlsafe(24)
        with self.lock:
            self.token_calls += 1
            self.tokens[token] = time.monotonic() + self.expires_in
        return 200, {
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "ext_expires_in": self.expires_in,
            "access_token": token,
        }

    def _authorize(self, headers) -> None:
        value = headers.get("Authorization") or ""
        token = value[7:] if value.startswith("Bearer ") else ""
        if not token or self.tokens.get(token, 0) < time.monotonic():
            raise GraphError(401, "InvalidAuthenticationToken", "Access token is empty or invalid.")

    def expire_tokens(self) -> None:
        self.tokens.clear()

    @staticmethod
    def _one(params, name):
        values = params.get(name)
        if values is None:
            return None
        if len(values) > 1:
            raise GraphError(400, "Request_BadRequest", f"Query option '{name}' was specified more than once.")
        return values[0]

    def _options(self, params, allowed) -> None:
        for name in params:
            if name == "$skip":
                raise GraphError(400, "Request_BadRequest", "'$skip' is not supported by the service.")
            if name not in allowed:
                raise GraphError(400, "Request_BadRequest", f"Query option '{name}' is not allowed here.")

    def _select(self, params, entity: str, default) -> list[str]:
        text = self._one(params, "$select")
        if text is None:
            return list(default)
        return self._check_select(text, entity)

    def _check_select(self, text: str, entity: str, *, single_only_refused: bool = True) -> list[str]:
        names = [part.strip() for part in text.split(",")]
        known = self.properties[entity]
        for name in names:
            if name not in known:
                raise GraphError(
                    400,
                    "Request_BadRequest",
                    f"Could not find a property named '{name}' on type 'microsoft.graph.{entity}'.",
                )
            if entity == "user" and single_only_refused and name in SINGLE_USER_ONLY:
                raise GraphError(
                    400,
                    "Request_UnsupportedQuery",
                    f"The property '{name}' is supported only when getting a single user.",
                )
        return names

    def _expand(self, params) -> list[str] | None:
        text = self._one(params, "$expand")
        if text is None:
            return None
        match = SELECT_IN_EXPAND.match(text)
        if not match:
            raise GraphError(400, "Request_BadRequest", f"Expand of '{text}' is not supported: only manager.")
        return self._check_select(match.group(1), "user") if match.group(1) else ["id", "mail", "displayName"]

    def _item(self, user: dict, select, expand) -> dict:
        item = {name: user.get(name) for name in select}
        if expand is not None:
            manager = self.users.get(self.managers.get(user["id"], ""))
            if manager is not None:
                item["manager"] = {"@odata.type": "#microsoft.graph.user", **{n: manager.get(n) for n in expand}}
        return item

    def _users(self, params) -> dict:
        skiptoken = self._one(params, "$skiptoken")
        if skiptoken is not None:
            state = self.skiptokens.get(skiptoken)
            if state is None or set(params) != {"$skiptoken"} | set(state["params"]):
                raise GraphError(400, "Request_BadRequest", "The skip token is not valid or does not match.")
            params, offset = state["params"], state["offset"]
        else:
            offset = 0
        self._options(params, {"$select", "$top", "$expand", "$filter", "$skiptoken"})
        select = self._select(params, "user", default=DEFAULT_USER_PROPERTIES)
        expand = self._expand(params)
        top_text = self._one(params, "$top")
        top = 100
        if top_text is not None:
            if not top_text.isdigit() or not 1 <= int(top_text) <= MAX_TOP:
                raise GraphError(
                    400, "Request_BadRequest", f"Invalid page size specified: '{top_text}'. Must be 1-999."
                )
            top = int(top_text)
        with self.lock:
            users = self._filtered(self._one(params, "$filter"))
            page = users[offset : offset + top]
            items = [self._item(user, select, expand) for user in page]
            answer = {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users", "value": items}
            if offset + top < len(users):
                token = base64.urlsafe_b64encode(secrets.token_bytes(18)).decode()
                original = {k: v for k, v in params.items() if k != "$skiptoken"}
                self.skiptokens[token] = {"params": original, "offset": offset + top}
                query = urlencode({**{k: v[0] for k, v in original.items()}, "$skiptoken": token})
                answer["@odata.nextLink"] = f"{self.base_url}/v1.0/users?{query}"
        return answer

    def _filtered(self, text: str | None) -> list[dict]:
        if text is None:
            return list(self.users.values())
        match = ID_EQ.match(text)
        if match:
            user = self.users.get(match.group(1))
            return [user] if user else []
        match = ID_IN.match(text)
        if not match:
            raise GraphError(400, "Request_UnsupportedQuery", f"Unsupported or invalid query filter clause: {text}")
        ids = re.findall(r"'((?:[^']|'')*)'\s*(?:,|$)", match.group(1))
        if not ids or len(ids) > MAX_IN:
            raise GraphError(400, "Request_UnsupportedQuery", f"The 'in' operator takes 1 to {MAX_IN} values.")
        return [self.users[i] for i in ids if i in self.users]

    def _delta(self, params):
        skiptoken = self._one(params, "$skiptoken")
        if skiptoken is not None:
            if set(params) != {"$skiptoken"} or skiptoken not in self.skiptokens:
                raise GraphError(400, "Request_BadRequest", "The skip token is not valid.")
            state = self.skiptokens[skiptoken]
            return 200, self._delta_page(state)
        deltatoken = self._one(params, "$deltatoken")
        if deltatoken is not None and set(params) == {"$deltatoken"}:
            state = self.skiptokens.get(deltatoken)
            if state is None or state["since"] < self.forget_before:
                raise GraphError(410, "syncStateNotFound", "The delta token is not valid any more: start over.")
            state = {**state, "offset": 0, "changes": None}
            return 200, self._delta_page(state)
        self._options(params, {"$select", "$expand", "$deltatoken"})
        select = self._select(params, "user", default=DEFAULT_USER_PROPERTIES)
        expand_text = self._one(params, "$expand")
        if expand_text not in (None, "manager"):
            raise GraphError(400, "Request_BadRequest", "Delta supports $expand=manager only.")
        state = {"select": select, "expand": expand_text is not None, "offset": 0, "changes": None}
        if deltatoken == "latest":
            state["since"] = self.version
        elif deltatoken is None:
            state["since"] = -1  # every user, as created
        else:
            raise GraphError(400, "Request_BadRequest", "Give a deltaLink verbatim or $deltatoken=latest.")
        return 200, self._delta_page(state)

    def _delta_page(self, state) -> dict:
        with self.lock:
            if state["changes"] is None:
                state = {**state, "until": self.version, "changes": self._changes_since(state)}
            changes = state["changes"]
            page = changes[state["offset"] : state["offset"] + self.delta_page]
            items = []
            for object_id, changed in page:
                if changed is None:
                    items.append({"id": object_id, "@removed": {"reason": "deleted"}})
                    continue
                user = self.users[object_id]
                shown = (
                    [n for n in state["select"] if n in changed or n == "id"]
                    if state["since"] >= 0
                    else state["select"]
                )
                item = {name: user.get(name) for name in shown}
                item["id"] = object_id
                if state["expand"] and "manager" in changed and object_id in self.managers:
                    item["manager@delta"] = [{"@odata.type": "#microsoft.graph.user", "id": self.managers[object_id]}]
                items.append(item)
            answer = {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users", "value": items}
            token = base64.urlsafe_b64encode(secrets.token_bytes(18)).decode()
            if state["offset"] + self.delta_page < len(changes):
                self.skiptokens[token] = {**state, "offset": state["offset"] + self.delta_page}
                answer["@odata.nextLink"] = f"{self.base_url}/v1.0/users/delta?$skiptoken={token}"
            else:
                self.skiptokens[token] = {
                    "select": state["select"],
                    "expand": state["expand"],
                    "since": state["until"],
                }
                answer["@odata.deltaLink"] = f"{self.base_url}/v1.0/users/delta?$deltatoken={token}"
        return answer

    def _changes_since(self, state) -> list[tuple[str, frozenset | None]]:
        """(id, changed properties or None when removed) of the users changed after ``since``, once each."""
        if state["since"] < 0:
            return [(object_id, frozenset(user)) for object_id, user in self.users.items()]
        merged: dict[str, frozenset | None] = {}
        for version, object_id, changed in itertools.dropwhile(lambda c: c[0] <= state["since"], self.changes):
            del version
            if changed is None:
                merged[object_id] = None
            elif object_id in self.users:
                merged[object_id] = (merged.get(object_id) or frozenset()) | changed
        watched = set(state["select"]) | ({"manager"} if state["expand"] else set())
        return [(i, c) for i, c in merged.items() if c is None or c & watched]


@contextlib.contextmanager
def fake_graph(**kwargs):
    with FakeGraph(**kwargs) as fake:
        yield fake
