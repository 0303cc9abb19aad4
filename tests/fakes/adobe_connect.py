"""A fake Adobe Connect account on 127.0.0.1, speaking the XML web services API (``/api/xml``), strictly.

What the Adobe Connect connector uses, as Adobe documents it: every call is ``GET`` or ``POST`` (form)
``/api/xml?action=…`` and every answer ``<results><status code="…"/>…</results>`` — ``ok``;
``invalid`` with ``<invalid field="…" type="…" subcode="missing|format|duplicate|no-such-item|range"/>``;
``no-access`` with ``subcode="no-login"`` (no or an expired BREEZESESSION) or ``"denied"``;
``no-data`` (nothing there: a wrong password at login, a deleted sco).

- ``login`` (login, password) sets the ``BREEZESESSION`` cookie; every other action refuses a call
  without a valid one (``no-access``/``no-login``);
- ``sco-update`` creates a meeting (type, name unique in its folder, folder-id of a folder,
  date-begin/date-end ISO 8601, source-sco-id of a template) or updates one (sco-id);
  ``sco-info``, ``sco-by-url`` (url-path ``/name/``);
- ``principal-list`` (filter-email / filter-login), ``principal-update`` (a new user: first-name,
  last-name, login unique, email, password, type=user, has-children=0, send-email);
- ``permissions-update``: one or more (acl-id, principal-id, permission-id) trios;
- ``report-meeting-attendance``, ``report-quiz-takers``, ``report-quiz-interactions`` (sco-id,
  filter-gte-/filter-lt-date-created, paged by filter-start/filter-rows);
- ``list-recordings`` (folder-id), ``acl-field-info`` (acl-id, filter-field-id=meeting-passcode).

Stricter than Connect on purpose: an unknown action or a parameter the action does not document is
refused (``invalid``, subcode ``no-such-item`` / ``format``), where Connect would ignore a typo.
Tests add rooms, visits, quiz rows and recordings, script raw answers (``script``) and read every
call (``calls``: action, parameters, answered status, whether the cookie came).
"""

from __future__ import annotations

import datetime
import itertools
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit
from xml.sax.saxutils import escape, quoteattr

from tests.fakes.vendor import LoopbackFake

COOKIE = "BREEZESESSION"
PERMISSIONS = {"view", "host", "mini-host", "publish", "manage", "denied", "remove"}
REPORT_FILTERS = {"sco-id", "filter-gte-date-created", "filter-lt-date-created", "filter-start", "filter-rows"}
ACTIONS = {
    "login": ({"login", "password"}, {"login", "password"}),
    "common-info": (set(), set()),
    "sco-update": (
        {"sco-id", "type", "name", "folder-id", "date-begin", "date-end", "source-sco-id", "url-path", "lang"},
        set(),
    ),
    "sco-info": ({"sco-id"}, {"sco-id"}),
    "sco-by-url": ({"url-path"}, {"url-path"}),
    "principal-list": ({"filter-email", "filter-login", "filter-type"}, set()),
    "principal-update": (
        {"type", "has-children", "first-name", "last-name", "login", "email", "password", "send-email", "principal-id"},
        set(),
    ),
    "permissions-update": ({"acl-id", "principal-id", "permission-id"}, {"acl-id", "principal-id", "permission-id"}),
    "report-meeting-attendance": (REPORT_FILTERS, {"sco-id"}),
    "report-quiz-takers": (REPORT_FILTERS | {"type"}, {"sco-id"}),
    "report-quiz-interactions": (REPORT_FILTERS, {"sco-id"}),
    "list-recordings": ({"folder-id"}, {"folder-id"}),
    "acl-field-info": ({"acl-id", "filter-field-id"}, {"acl-id"}),
}
REPEATABLE = {"permissions-update"}


class Status(Exception):
    def __init__(self, code: str, *, subcode: str = "", field: str = ""):
        self.code, self.subcode, self.field = code, subcode, field
        super().__init__(f"{code} {subcode} {field}")

    def xml(self) -> str:
        if self.field:
            return (
                f'<status code="{self.code}"><invalid field={quoteattr(self.field)} type="string" '
                f'subcode="{self.subcode}"/></status>'
            )
        return (
            f'<status code="{self.code}" subcode="{self.subcode}"/>'
            if self.subcode
            else f'<status code="{self.code}"/>'
        )


def invalid(name: str, subcode: str) -> Status:
    return Status("invalid", subcode=subcode, field=name)


def iso(value: datetime.datetime) -> str:
    return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.000+00:00")


def parse_iso(name: str, text: str) -> datetime.datetime:
    try:
        value = datetime.datetime.fromisoformat(text)
    except ValueError as error:
        raise invalid(name, "format") from error
    if value.tzinfo is None:
        raise invalid(name, "format")
    return value


@dataclass
class Sco:
    sco_id: str
    type: str  # "folder", "meeting", "content"
    name: str
    folder_id: str
    url_path: str
    date_begin: datetime.datetime | None = None
    date_end: datetime.datetime | None = None
    source_sco_id: str = ""
    permissions: dict[str, str] = field(default_factory=dict)
    visits: list[dict] = field(default_factory=list)
    quiz_takers: list[dict] = field(default_factory=list)
    interactions: list[dict] = field(default_factory=list)
    recordings: list[dict] = field(default_factory=list)

    def xml(self) -> str:
        dates = "".join(
            f"<{tag}>{iso(value)}</{tag}>"
            for tag, value in (("date-begin", self.date_begin), ("date-end", self.date_end))
            if value is not None
        )
        return (
            f'<sco account-id="7" sco-id="{self.sco_id}" folder-id="{self.folder_id}" type="{self.type}" '
            f'icon="{self.type}"><name>{escape(self.name)}</name><url-path>{self.url_path}</url-path>{dates}</sco>'
        )


@dataclass
class Call:
    action: str
    params: list[tuple[str, str]]
    method: str
    status: str
    cookie: bool
    in_query: set[str]

    def param(self, name: str) -> str:
        return next((value for key, value in self.params if key == name), "")


class FakeAdobeConnect(LoopbackFake):
    http_methods = ("GET", "POST")
    dispatch = "handle"

    def __init__(self, *, login="admin@acme.example", password="c0nnect-Secret"):  # noqa: S107
        self.admin_login, self.admin_password = login, password
        self.sessions: set[str] = set()
        self.scos: dict[str, Sco] = {}
        self.principals: dict[str, dict] = {}
        self.calls: list[Call] = []
        self.scripted: list[tuple[str, bytes]] = []
        self._ids = itertools.count(2_006_000_001)
        self._lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None
        self.folder = self._sco("folder", "Shared Meetings", "0")
        self.template = self._sco("meeting", "Training template", self.folder.sco_id)
        self.admin_id = self.add_principal(login, "Ada", "Admin")

    # Test controls

    def _sco(self, kind: str, name: str, folder_id: str, url_path: str = "") -> Sco:
        sco_id = str(next(self._ids))
        sco = Sco(sco_id, kind, name, folder_id, url_path or f"/{'p' + secrets.token_hex(5)}/")
        self.scos[sco_id] = sco
        return sco

    def add_room(self, name="Persistent room", url_path="") -> Sco:
        return self._sco("meeting", name, self.folder.sco_id, url_path)

    def add_principal(self, login: str, first="First", last="Last", email="") -> str:
        principal_id = str(next(self._ids))
        self.principals[principal_id] = {
            "login": login,
            "email": email or (login if "@" in login else ""),
            "first": first,
            "last": last,
        }
        return principal_id

    def principal_of(self, email: str) -> str:
        return next(p for p, v in self.principals.items() if v["email"].lower() == email.lower())

    def add_visit(self, room: Sco, *, login: str, start: datetime.datetime, minutes: float | None, name="") -> None:
        """One entry into the room; ``minutes=None``: still in the room (no date-end yet)."""
        principal = next((p for p, v in self.principals.items() if v["login"] == login), "") if login else ""
        room.visits.append(
            {
                "principal-id": principal or str(next(self._ids)),
                "login": login,
                "name": name or login or "Guest",
                "created": start,
                "end": None if minutes is None else start + datetime.timedelta(minutes=minutes),
            }
        )

    def add_quiz(
        self,
        room: Sco,
        *,
        login: str,
        taken: datetime.datetime,
        answers: list[tuple[str, str, int]],
        max_score: int,
        status="user-passed",
    ) -> str:
        """One attempt: ``answers`` = (question, response, points) per question; the score is their sum."""
        transcript = str(next(self._ids))
        principal = next((p for p, v in self.principals.items() if v["login"] == login), str(next(self._ids)))
        room.quiz_takers.append(
            {
                "transcript-id": transcript,
                "principal-id": principal,
                "login": login,
                "score": sum(points for _q, _r, points in answers),
                "max-score": max_score,
                "status": status,
                "created": taken,
            }
        )
        for number, (question, response, points) in enumerate(answers, start=1):
            room.interactions.append(
                {
                    "transcript-id": transcript,
                    "interaction-id": str(next(self._ids)),
                    "display-seq": number,
                    "score": points,
                    "name": login,
                    "description": question,
                    "response": response,
                    "created": taken + datetime.timedelta(seconds=30 * number),
                }
            )
        return transcript

    def add_recording(self, room: Sco, *, begin: datetime.datetime, passcode: str = "") -> Sco:
        recording = self._sco("content", f"{room.name} recording", room.sco_id)
        recording.date_begin = begin
        room.recordings.append({"sco": recording, "passcode": passcode})
        return recording

    def script(self, action: str, body: bytes | str, times: int = 1) -> None:
        """The next ``times`` calls of ``action`` are answered ``body`` (raw XML) instead of being handled."""
        raw = body.encode() if isinstance(body, str) else body
        self.scripted += [(action, raw)] * times

    def called(self, action: str) -> list[Call]:
        return [call for call in self.calls if call.action == action]

    # Requests (the server: LoopbackFake)

    def handle(self, request: BaseHTTPRequestHandler, _method: str = "") -> None:
        split = urlsplit(request.path)
        query = parse_qsl(split.query, keep_blank_values=True)
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        params = list(query)
        if request.command == "POST" and raw:
            if not (request.headers.get("Content-Type") or "").startswith("application/x-www-form-urlencoded"):
                params = [("", "")]  # refused below: not a form
            else:
                params += parse_qsl(raw.decode(), keep_blank_values=True)
        cookie = self._cookie(request.headers.get("Cookie") or "")
        action = next((value for key, value in params if key == "action"), "")
        params = [(key, value) for key, value in params if key != "action"]
        headers: dict[str, str] = {}
        body, code = b"", "ok"
        scripted = next((i for i, (a, _b) in enumerate(self.scripted) if a == action), None)
        if split.path != "/api/xml":
            status, payload = 404, b"Not found"
        elif scripted is not None:
            status, payload = 200, self.scripted.pop(scripted)[1]
            code = "scripted"
        else:
            status = 200
            try:
                inner = self._act(action, params, cookie, headers)
                body = f'<status code="ok"/>{inner}'.encode()
            except Status as refused:
                body, code = refused.xml().encode(), refused.code
            payload = b'<?xml version="1.0" encoding="utf-8"?>\n<results>' + body + b"</results>"
        with self._lock:
            self.calls.append(
                Call(action, params, request.command, code, cookie in self.sessions, {key for key, _v in query})
            )
        request.send_response(status)
        request.send_header("Content-Type", "text/xml;charset=utf-8")
        for name, value in headers.items():
            request.send_header(name, value)
        request.send_header("Content-Length", str(len(payload)))
        request.end_headers()
        request.wfile.write(payload)

    @staticmethod
    def _cookie(header: str) -> str:
        for part in header.split(";"):
            name, _sep, value = part.strip().partition("=")
            if name == COOKIE:
                return value
        return ""

    # Protocol

    def _act(self, action: str, params: list[tuple[str, str]], cookie: str, headers: dict) -> str:
        if action not in ACTIONS:
            raise invalid("action", "no-such-item")
        allowed, required = ACTIONS[action]
        names = [key for key, _v in params]
        for name in names:
            if name not in allowed:
                raise invalid(name or "(body)", "format")
        for name in sorted(required):
            if not any(key == name and value for key, value in params):
                raise invalid(name, "missing")
        if action not in REPEATABLE and len(names) != len(set(names)):
            raise invalid(next(n for n in names if names.count(n) > 1), "duplicate")
        values = dict(params)
        if action == "login":
            return self._login(values, headers)
        if action != "common-info" and cookie not in self.sessions:
            raise Status("no-access", subcode="no-login")
        return getattr(self, "_" + action.replace("-", "_"))(values, params)

    def _login(self, values: dict, headers: dict) -> str:
        if (values["login"], values["password"]) != (self.admin_login, self.admin_password):
            raise Status("no-data")
        token = "breez" + secrets.token_hex(16)
        self.sessions.add(token)
        headers["Set-Cookie"] = f"{COOKIE}={token}; Path=/; HttpOnly"
        return ""

    def _common_info(self, values, params) -> str:
        return '<common locale="en"><account account-id="7"/></common>'

    def _meeting(self, name: str, sco_id: str) -> Sco:
        sco = self.scos.get(sco_id)
        if sco is None:
            raise invalid(name, "no-such-item")
        return sco

    def _sco_update(self, values: dict, params) -> str:
        for name in ("date-begin", "date-end"):
            if name in values:
                parse_iso(name, values[name])
        if "sco-id" in values:
            sco = self.scos.get(values["sco-id"])
            if sco is None or sco.type != "meeting":
                raise invalid("sco-id", "no-such-item")
            if "type" in values or "folder-id" in values:
                raise invalid("folder-id" if "folder-id" in values else "type", "format")
            self._rename(sco, values.get("name"), sco.folder_id)
            self._dates(sco, values)
            return ""
        for name in ("type", "name", "folder-id"):
            if not values.get(name):
                raise invalid(name, "missing")
        if values["type"] != "meeting":
            raise invalid("type", "format")
        folder = self.scos.get(values["folder-id"])
        if folder is None or folder.type != "folder":
            raise invalid("folder-id", "no-such-item")
        if values.get("source-sco-id") and getattr(self.scos.get(values["source-sco-id"]), "type", "") != "meeting":
            raise invalid("source-sco-id", "no-such-item")
        sco = Sco("", "meeting", "", folder.sco_id, "")
        self._rename(sco, values["name"], folder.sco_id)
        sco.sco_id, sco.url_path = str(next(self._ids)), f"/r{secrets.token_hex(5)}/"
        sco.source_sco_id = values.get("source-sco-id", "")
        self._dates(sco, values)
        self.scos[sco.sco_id] = sco
        return sco.xml()

    def _rename(self, sco: Sco, name: str | None, folder_id: str) -> None:
        if name is None:
            return
        if not name or len(name) > 255:
            raise invalid("name", "range")
        if any(o.name == name and o.folder_id == folder_id and o is not sco for o in self.scos.values()):
            raise invalid("name", "duplicate")
        sco.name = name

    @staticmethod
    def _dates(sco: Sco, values: dict) -> None:
        begin = parse_iso("date-begin", values["date-begin"]) if "date-begin" in values else sco.date_begin
        end = parse_iso("date-end", values["date-end"]) if "date-end" in values else sco.date_end
        if begin and end and end < begin:
            raise invalid("date-end", "range")
        sco.date_begin, sco.date_end = begin, end

    def _sco_info(self, values: dict, params) -> str:
        sco = self.scos.get(values["sco-id"])
        if sco is None:
            raise Status("no-data")
        return sco.xml()

    def _sco_by_url(self, values: dict, params) -> str:
        path = values["url-path"]
        if not (path.startswith("/") and path.endswith("/")) or "://" in path:
            raise Status("no-data")  # Connect answers no-data to a whole URL
        sco = next((s for s in self.scos.values() if s.url_path == path), None)
        if sco is None:
            raise Status("no-data")
        return sco.xml()

    def _principal_xml(self, principal_id: str) -> str:
        p = self.principals[principal_id]
        return (
            f'<principal principal-id="{principal_id}" account-id="7" type="user" has-children="false">'
            f"<login>{escape(p['login'])}</login><name>{escape(p['first'] + ' ' + p['last'])}</name>"
            f"<email>{escape(p['email'])}</email></principal>"
        )

    def _principal_list(self, values: dict, params) -> str:
        found = [
            pid
            for pid, p in self.principals.items()
            if ("filter-email" not in values or p["email"].lower() == values["filter-email"].lower())
            and ("filter-login" not in values or p["login"].lower() == values["filter-login"].lower())
        ]
        return "<principal-list>" + "".join(self._principal_xml(pid) for pid in found) + "</principal-list>"

    def _principal_update(self, values: dict, params) -> str:
        if "principal-id" in values:
            raise invalid("principal-id", "format")  # the connector only creates users
        for name in ("first-name", "last-name", "login", "password", "type", "has-children"):
            if not values.get(name):
                raise invalid(name, "missing")
        if values["type"] != "user" or values["has-children"] not in ("0", "false"):
            raise invalid("type", "format")
        if values.get("send-email", "false") not in ("true", "false"):
            raise invalid("send-email", "format")
        if any(p["login"].lower() == values["login"].lower() for p in self.principals.values()):
            raise invalid("login", "duplicate")
        if len(values["password"]) < 8:
            raise invalid("password", "range")
        principal_id = self.add_principal(
            values["login"], values["first-name"], values["last-name"], values.get("email", "")
        )
        return self._principal_xml(principal_id)

    def _permissions_update(self, values: dict, params) -> str:
        trios = [[v for k, v in params if k == name] for name in ("acl-id", "principal-id", "permission-id")]
        if len({len(t) for t in trios}) != 1:
            raise invalid("permission-id", "missing")
        for acl, principal, permission in zip(*trios, strict=True):
            if acl not in self.scos:
                raise invalid("acl-id", "no-such-item")
            if principal not in self.principals:
                raise invalid("principal-id", "no-such-item")
            if permission not in PERMISSIONS:
                raise invalid("permission-id", "format")
        for acl, principal, permission in zip(*trios, strict=True):
            if permission == "remove":
                self.scos[acl].permissions.pop(principal, None)
            else:
                self.scos[acl].permissions[principal] = permission
        return ""

    def _report(self, values: dict, rows: list[dict], tag: str, render) -> str:
        since = (
            parse_iso("filter-gte-date-created", values["filter-gte-date-created"])
            if "filter-gte-date-created" in values
            else None
        )
        until = (
            parse_iso("filter-lt-date-created", values["filter-lt-date-created"])
            if "filter-lt-date-created" in values
            else None
        )
        try:
            start = int(values.get("filter-start", "0"))
            count = int(values.get("filter-rows", "0")) or len(rows) + 1
        except ValueError as error:
            raise invalid("filter-rows", "format") from error
        if start < 0 or count < 1:
            raise invalid("filter-rows", "range")
        chosen = [
            r for r in rows if (since is None or r["created"] >= since) and (until is None or r["created"] < until)
        ][start : start + count]
        return f"<{tag}>" + "".join(render(r) for r in chosen) + f"</{tag}>"

    def _room(self, values: dict, name: str = "sco-id") -> Sco:
        sco = self.scos.get(values[name])
        if sco is None:
            raise Status("no-data")
        return sco

    def _report_meeting_attendance(self, values: dict, params) -> str:
        room = self._room(values)

        def row(v: dict) -> str:
            end = f"<date-end>{iso(v['end'])}</date-end>" if v["end"] is not None else ""
            login = f"<login>{escape(v['login'])}</login>" if v["login"] else ""
            return (
                f'<row transcript-id="{next(self._ids)}" asset-id="1" sco-id="{room.sco_id}" '
                f'principal-id="{v["principal-id"]}" answered-survey="0">{login}'
                f"<session-name>{escape(v['name'])}</session-name><sco-name>{escape(room.name)}</sco-name>"
                f"<date-created>{iso(v['created'])}</date-created>{end}"
                f"<participant-name>{escape(v['name'])}</participant-name></row>"
            )

        return self._report(values, room.visits, "report-meeting-attendance", row)

    def _report_quiz_takers(self, values: dict, params) -> str:
        room = self._room(values)
        if values.get("type", "meeting") not in ("course", "presentation", "meeting"):
            raise invalid("type", "format")

        def row(t: dict) -> str:
            return (
                f'<row transcript-id="{t["transcript-id"]}" sco-id="{room.sco_id}" principal-id="{t["principal-id"]}"'
                f' status="{t["status"]}" score="{t["score"]}" max-score="{t["max-score"]}" attempts="1"'
                f' time-taken="120" answered-survey="0"><date-created>{iso(t["created"])}</date-created>'
                f"<login>{escape(t['login'])}</login><principal-name>{escape(t['login'])}</principal-name>"
                f"<sco-name>{escape(room.name)}</sco-name></row>"
            )

        return self._report(values, room.quiz_takers, "report-quiz-takers", row)

    def _report_quiz_interactions(self, values: dict, params) -> str:
        room = self._room(values)

        def row(i: dict) -> str:
            return (
                f'<row display-seq="{i["display-seq"]}" transcript-id="{i["transcript-id"]}" '
                f'interaction-id="{i["interaction-id"]}" sco-id="{room.sco_id}" score="{i["score"]}">'
                f"<name>{escape(i['name'])}</name><sco-name>{escape(room.name)}</sco-name>"
                f"<date-created>{iso(i['created'])}</date-created>"
                f"<description>{escape(i['description'])}</description><response>{escape(i['response'])}</response>"
                f"</row>"
            )

        return self._report(values, room.interactions, "report-quiz-interactions", row)

    def _list_recordings(self, values: dict, params) -> str:
        room = self._room(values, "folder-id")
        return "<recordings>" + "".join(r["sco"].xml() for r in room.recordings) + "</recordings>"

    def _acl_field_info(self, values: dict, params) -> str:
        if values.get("filter-field-id", "meeting-passcode") != "meeting-passcode":
            raise invalid("filter-field-id", "format")
        acl = values["acl-id"]
        if acl not in self.scos:
            raise Status("no-data")
        for room in self.scos.values():
            for recording in room.recordings:
                if recording["sco"].sco_id == acl and recording["passcode"]:
                    return (
                        '<acl-fields><field field-id="meeting-passcode">'
                        f"<value>{escape(recording['passcode'])}</value></field></acl-fields>"
                    )
        raise Status("no-data")
