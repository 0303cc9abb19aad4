"""A fake Microsoft identity platform + the Microsoft Graph v1.0 online-meeting API, on 127.0.0.1, strict.

It speaks what the Teams connector uses, as Microsoft documents it, and checks what it receives
against Graph's v1.0 CSDL (../shared/data/msgraph/cleanMetadata-v1.0.xml when present, else the
committed extract fakes/data/teams_properties.json — a test checks they agree):

- ``POST /{tenant}/oauth2/v2.0/token``: a form body with ``grant_type=client_credentials``, the
  client id and secret and ``scope=https://graph.microsoft.com/.default``; anything else answers
  as Entra ID does (400/401, ``{"error", "error_description": "AADSTS…"}``).
- Every Graph call needs a bearer token it issued and that has not expired (else 401
  ``InvalidAuthenticationToken``). ``/users/{id}`` of no user answers 404 ``UserNotFound``; a user
  the application access policy is not granted to answers 403 (Graph's "No application access
  policy found for this app").
- ``POST /v1.0/users/{id}/onlineMeetings`` and ``PATCH …/onlineMeetings/{meeting}``: a JSON object
  whose every property is a property of ``onlineMeeting`` (its base ``onlineMeetingBase`` included)
  of the CSDL's type — strings, booleans, ``Edm.DateTimeOffset`` timestamps, enum members (not
  ``unknownFutureValue``), complex types such as ``lobbyBypassSettings`` checked property by
  property; read-only properties (``id``, ``joinWebUrl`` …) and navigation properties are refused.
  Graph declares ``onlineMeeting`` an open type; this fake refuses unknown properties all the same,
  so a misspelt one cannot pass silently. An end before the start is refused.
- ``GET …/onlineMeetings/{meeting}``, ``GET …/onlineMeetings?$filter=JoinWebUrl eq '…'`` (the only
  listing Graph offers), ``DELETE``.
- ``GET …/{meeting}/attendanceReports`` and ``…/attendanceReports/{report}/attendanceRecords``:
  ``value`` lists paged by ``@odata.nextLink`` (an opaque ``$skiptoken`` bound to its list; no
  other query option); a report exists only once the meeting has been held (``hold``).
- ``GET …/{meeting}/recordings``: ``callRecording`` entities (403 when ``recordings_forbidden``).

Every answer is checked against the CSDL too (the fake cannot drift from Graph's property names).
Tests script answers by kind (``fail``, ``throttle``: 429 with Retry-After) and read
``received(kind)``; a deleted meeting answers 404 ``NotFound``.
"""

from __future__ import annotations

import base64
import datetime
import functools
import itertools
import json
import re
import secrets
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlencode

from tests.fakes.vendor import Refused, Reply, VendorFake

SCOPE = "https://graph.microsoft.com/.default"
DATA = Path(__file__).resolve().parent / "data" / "teams_properties.json"
CSDL_NAME = Path("shared") / "data" / "msgraph" / "cleanMetadata-v1.0.xml"
ROOTS = ("onlineMeeting", "meetingAttendanceReport", "attendanceRecord", "callRecording")
#: Properties Graph sets itself: a client sending them is refused.
READ_ONLY = frozenset(
    {
        "id",
        "joinWebUrl",
        "creationDateTime",
        "joinInformation",
        "chatInfo",
        "meetingOptionsWebUrl",
        "videoTeleconferenceId",
        "attendeeReport",
        "audioConferencing",
    }
)
GUID = r"[0-9a-fA-F-]{36}"
SEGMENT = r"[^/]+"
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,7})?(Z|[+-]\d\d:\d\d)$")


def csdl_path() -> Path | None:
    for parent in Path(__file__).resolve().parents:
        candidate = parent / CSDL_NAME
        if candidate.exists():
            return candidate
    return None


def schema_from_csdl(path: Path) -> dict:
    """The types reachable from ``ROOTS`` in the ``microsoft.graph`` schema: properties, navigation, enums."""
    from lxml import etree

    tree = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True))
    ns = {"e": "http://docs.oasis-open.org/odata/ns/edm"}
    (schema,) = tree.xpath('//e:Schema[@Namespace="microsoft.graph"]', namespaces=ns)
    types: dict[str, dict[str, str]] = {}
    navigation: dict[str, list[str]] = {}
    enums: dict[str, list[str]] = {}

    def element(name: str):
        found = schema.xpath(f'e:EntityType[@Name="{name}"]|e:ComplexType[@Name="{name}"]', namespaces=ns)
        return found[0] if found else None

    def visit(name: str) -> None:
        if name in types or name in enums:
            return
        enum = schema.xpath(f'e:EnumType[@Name="{name}"]', namespaces=ns)
        if enum:
            enums[name] = [member.get("Name") for member in enum[0].xpath("e:Member", namespaces=ns)]
            return
        node = element(name)
        if node is None:
            return
        chain, props, navs = [], {}, []
        while node is not None:
            chain.append(node)
            base = node.get("BaseType")
            node = element(base.split(".")[-1]) if base else None
        for node in reversed(chain):
            props.update({p.get("Name"): p.get("Type") for p in node.xpath("e:Property", namespaces=ns)})
            navs += [p.get("Name") for p in node.xpath("e:NavigationProperty", namespaces=ns)]
        types[name], navigation[name] = props, navs
        for kind in props.values():
            inner = kind.removeprefix("Collection(").removesuffix(")")
            if inner.startswith("graph."):
                visit(inner.split(".", 1)[1])

    for root in ROOTS:
        visit(root)
    return {"types": types, "navigation": navigation, "enums": enums}


@functools.cache
def load_schema() -> dict:
    path = csdl_path()
    if path is None:
        return json.loads(DATA.read_text())
    return schema_from_csdl(path)


class GraphRefused(Refused):
    def __init__(self, status: int, code: str, message: str, headers: dict | None = None):
        body = {
            "error": {
                "code": code,
                "message": message,
                "innerError": {"request-id": str(uuid.uuid4()), "date": time.strftime("%Y-%m-%dT%H:%M:%S")},
            }
        }
        super().__init__(status, body, headers)


def graph_time(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f0Z")  # Graph's seven decimals


def parse_time(text: str) -> datetime.datetime:
    head, _dot, _fraction = text.rstrip("Z").partition(".")
    moment = datetime.datetime.fromisoformat(head[:19] + (text[-6:] if text[-6] in "+-" else ""))
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)


@dataclass
class Report:
    id: str
    start: datetime.datetime
    end: datetime.datetime
    records: list[dict] = field(default_factory=list)

    def as_json(self) -> dict:
        return {
            "id": self.id,
            "totalParticipantCount": len(self.records),
            "meetingStartDateTime": graph_time(self.start),
            "meetingEndDateTime": graph_time(self.end),
            "externalEventInformation": [],
        }


@dataclass
class Meeting:
    id: str
    organizer: str
    properties: dict
    reports: list[Report] = field(default_factory=list)
    recordings: list[dict] = field(default_factory=list)


class FakeTeams(VendorFake):
    name = "teams"
    routes = (
        ("POST", rf"/({SEGMENT})/oauth2/v2\.0/token", "token", "token"),
        ("GET", rf"/v1\.0/users/({SEGMENT})/onlineMeetings", "list_meetings", "list_meetings"),
        ("POST", rf"/v1\.0/users/({SEGMENT})/onlineMeetings", "create_meeting", "create_meeting"),
        ("GET", rf"/v1\.0/users/({SEGMENT})/onlineMeetings/({SEGMENT})", "get_meeting", "meeting"),
        ("PATCH", rf"/v1\.0/users/({SEGMENT})/onlineMeetings/({SEGMENT})", "update_meeting", "update_meeting"),
        ("DELETE", rf"/v1\.0/users/({SEGMENT})/onlineMeetings/({SEGMENT})", "remove_meeting", "delete_meeting"),
        ("GET", rf"/v1\.0/users/({SEGMENT})/onlineMeetings/({SEGMENT})/attendanceReports", "reports", "reports"),
        (
            "GET",
            rf"/v1\.0/users/({SEGMENT})/onlineMeetings/({SEGMENT})/attendanceReports/({SEGMENT})/attendanceRecords",
            "records",
            "records",
        ),
        ("GET", rf"/v1\.0/users/({SEGMENT})/onlineMeetings/({SEGMENT})/recordings", "list_recordings", "recordings"),
    )

    def __init__(
        self,
        *,
        tenant_id="11111111-2222-3333-4444-555555555555",
        client_id="aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
        client_secret="teams-secret-value",  # noqa: S107
        organizer_id="99999999-8888-4777-8666-555555555555",
        page_size=100,
        expires_in=3599,
    ):
        super().__init__()
        self.tenant_id, self.client_id, self.client_secret = tenant_id, client_id, client_secret
        self.organizer_id = organizer_id
        self.users = {organizer_id}
        self.policy_users = {organizer_id}  # the application access policy is granted to these users
        self.page_size, self.expires_in = page_size, expires_in
        self.recordings_forbidden = False
        self.schema = load_schema()
        self.tokens: dict[str, float] = {}
        self.meetings: dict[str, Meeting] = {}
        self.skiptokens: dict[str, tuple[str, int]] = {}
        self._numbers = itertools.count(1)

    # Test controls

    @property
    def login_url(self) -> str:
        return self.base_url

    @property
    def graph_url(self) -> str:
        return self.base_url

    def throttle(self, kind: str = "any", *, retry_after: int = 0, times: int = 1) -> None:
        body = GraphRefused(429, "TooManyRequests", "Too many requests.").body
        self.fail(kind, 429, times=times, headers={"Retry-After": str(retry_after)}, body=body)

    def expire_tokens(self) -> None:
        self.tokens.clear()

    def add_meeting(self, *, organizer: str | None = None, subject: str = "Existing room") -> Meeting:
        now = datetime.datetime.now(tz=datetime.UTC)
        return self._store(organizer or self.organizer_id, {"subject": subject, "startDateTime": graph_time(now)})

    def hold(self, meeting: Meeting, start: datetime.datetime, end: datetime.datetime, records=()) -> Report:
        """The meeting was held from ``start`` to ``end``: Teams writes an attendance report of ``records``."""
        report = Report(str(uuid.uuid4()), start, end, list(records))
        for record in report.records:
            self.check_answer("attendanceRecord", record)
        meeting.reports.append(report)
        return report

    def record(self, meeting: Meeting, url: str, *, ended: datetime.datetime | None = None) -> dict:
        ended = ended or datetime.datetime.now(tz=datetime.UTC)
        recording = {
            "id": base64.b64encode(secrets.token_bytes(24)).decode(),
            "meetingId": meeting.id,
            "createdDateTime": graph_time(ended),
            "endDateTime": graph_time(ended),
            "recordingContentUrl": url,
            "contentCorrelationId": str(uuid.uuid4()),
        }
        self.check_answer("callRecording", recording)
        meeting.recordings.append(recording)
        return recording

    def delete_meeting(self, meeting_id: str) -> None:
        del self.meetings[meeting_id]

    # Checks against the CSDL

    def check_answer(self, entity: str, body: dict) -> None:
        """The fake's own answers use only the CSDL's property names (with @odata annotations)."""
        props = self.schema["types"][entity]
        unknown = [name for name in body if name not in props and not name.startswith("@odata")]
        if unknown:
            raise AssertionError(f"the fake answers properties {unknown} that {entity} does not have")

    def _check_value(self, kind: str, value, where: str) -> None:
        if value is None:
            return
        if kind.startswith("Collection("):
            if not isinstance(value, list):
                raise GraphRefused(400, "BadRequest", f"'{where}' must be an array.")
            for index, item in enumerate(value):
                self._check_value(kind[len("Collection(") : -1], item, f"{where}[{index}]")
            return
        name = kind.split(".", 1)[1] if kind.startswith("graph.") else kind
        if kind == "Edm.String" and not isinstance(value, str):
            raise GraphRefused(400, "BadRequest", f"'{where}' must be a string.")
        if kind == "Edm.Boolean" and not isinstance(value, bool):
            raise GraphRefused(400, "BadRequest", f"'{where}' must be true or false.")
        if kind == "Edm.Int32" and (isinstance(value, bool) or not isinstance(value, int)):
            raise GraphRefused(400, "BadRequest", f"'{where}' must be an integer.")
        if kind == "Edm.DateTimeOffset" and not (isinstance(value, str) and TIMESTAMP.match(value)):
            raise GraphRefused(400, "BadRequest", f"Cannot convert '{value}' of '{where}' to Edm.DateTimeOffset.")
        if name in self.schema["enums"]:
            members = [m for m in self.schema["enums"][name] if m != "unknownFutureValue"]
            if value not in members:
                raise GraphRefused(
                    400, "BadRequest", f"Requested value '{value}' was not found in the enum type '{name}'."
                )
        elif name in self.schema["types"]:
            self._check_object(name, value, where)

    def _check_object(self, entity: str, body, where: str) -> None:
        if not isinstance(body, dict):
            raise GraphRefused(400, "BadRequest", f"'{where}' must be an object of type {entity}.")
        props = self.schema["types"][entity]
        for name, value in body.items():
            if name in self.schema["navigation"].get(entity, ()):
                raise GraphRefused(400, "BadRequest", f"Navigation property '{name}' cannot be set here.")
            if name not in props:
                raise GraphRefused(
                    400,
                    "BadRequest",
                    f"The property '{name}' does not exist on type 'microsoft.graph.{entity}'. Make sure to "
                    "only use property names that are defined by the type.",
                )
            self._check_value(props[name], value, f"{where}.{name}" if where else name)

    def _meeting_body(self, request, *, partial: bool) -> dict:
        if request.content_type != "application/json":
            raise GraphRefused(415, "UnsupportedMediaType", "Send application/json.")
        body = request.json()
        if not isinstance(body, dict):
            raise GraphRefused(400, "BadRequest", "The request body must be a JSON object.")
        read_only = sorted(set(body) & READ_ONLY)
        if read_only:
            raise GraphRefused(400, "BadRequest", f"The property '{read_only[0]}' is read-only.")
        self._check_object("onlineMeeting", body, "")
        if not partial and not body.get("subject"):
            raise GraphRefused(400, "BadRequest", "A meeting for a session needs its subject.")
        return body

    @staticmethod
    def _check_times(properties: dict) -> None:
        start, end = properties.get("startDateTime"), properties.get("endDateTime")
        if start and end and parse_time(end) <= parse_time(start):
            raise GraphRefused(400, "BadRequest", "endDateTime must be after startDateTime.")

    # Identity platform

    def token(self, request):
        tenant = unquote(request.match.group(1))
        if tenant != self.tenant_id:
            return Reply(
                400, {"error": "invalid_tenant", "error_description": f"AADSTS90002: Tenant '{tenant}' not found."}
            )
        if request.content_type != "application/x-www-form-urlencoded":
            return Reply(400, {"error": "invalid_request", "error_description": "AADSTS900144: a form body."})
        form = {key: values[-1] for key, values in request.form().items()}
        if form.get("grant_type") != "client_credentials":
            return Reply(400, {"error": "unsupported_grant_type", "error_description": "AADSTS70003: grant type."})
        if form.get("scope") != SCOPE:
            return Reply(
                400,
                {
                    "error": "invalid_scope",
                    "error_description": "AADSTS1002012: Client credential flows must have a scope value with "
                    "/.default suffixed to the resource identifier.",
                },
            )
        if form.get("client_id") != self.client_id:
            return Reply(
                400,
                {
                    "error": "unauthorized_client",
                    "error_description": f"AADSTS700016: Application with identifier '{form.get('client_id')}' "
                    "was not found in the directory.",
                },
            )
        if form.get("client_secret") != self.client_secret:
            return Reply(401, {"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret."})
        token = secrets.token_urlsafe(24)
        with self.lock:
            self.tokens[token] = time.monotonic() + self.expires_in
        return {
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "ext_expires_in": self.expires_in,
            "access_token": token,
        }

    # Graph

    def _authorize(self, request, *, options: frozenset = frozenset()) -> str:
        """The organizer of the path, once the token, the query options and the policy allow the call."""
        token = request.bearer()
        if not token or self.tokens.get(token, 0) < time.monotonic():
            raise GraphRefused(401, "InvalidAuthenticationToken", "Access token is empty or invalid.")
        for name in request.query:
            if name not in options:
                raise GraphRefused(400, "BadRequest", f"Query option '{name}' is not supported here.")
        organizer = unquote(request.match.group(1))
        if organizer not in self.users:
            raise GraphRefused(404, "UserNotFound", f"User '{organizer}' was not found.")
        if organizer not in self.policy_users:
            raise GraphRefused(
                403,
                "Forbidden",
                "Application does not have permission to act on behalf of this user. No application access "
                "policy found for this app.",
            )
        return organizer

    def _meeting(self, request) -> Meeting:
        organizer = self._authorize(request, options=frozenset({"$skiptoken"}))
        meeting = self.meetings.get(unquote(request.match.group(2)))
        if meeting is None or meeting.organizer != organizer:
            raise GraphRefused(404, "NotFound", "The specified online meeting was not found.")
        return meeting

    def _store(self, organizer: str, properties: dict) -> Meeting:
        number = next(self._numbers)
        thread = f"19:meeting_{secrets.token_urlsafe(30)}@thread.v2"
        meeting_id = base64.b64encode(f"1*{organizer}*0**{thread}".encode()).decode().rstrip("=")
        stored = {
            **properties,
            "id": meeting_id,
            "creationDateTime": graph_time(datetime.datetime.now(tz=datetime.UTC)),
            "joinWebUrl": f"https://teams.microsoft.com/l/meetup-join/{thread}/{number}",
            "chatInfo": {"threadId": thread, "messageId": "0", "replyChainMessageId": None},
        }
        self.check_answer("onlineMeeting", stored)
        meeting = Meeting(meeting_id, organizer, stored)
        with self.lock:
            self.meetings[meeting_id] = meeting
        return meeting

    def create_meeting(self, request):
        organizer = self._authorize(request)
        body = self._meeting_body(request, partial=False)
        self._check_times(body)
        return Reply(201, self._store(organizer, body).properties)

    def get_meeting(self, request):
        return self._meeting(request).properties

    def update_meeting(self, request):
        meeting = self._meeting(request)
        body = self._meeting_body(request, partial=True)
        merged = {**meeting.properties, **body}
        self._check_times(merged)
        meeting.properties = merged
        return merged

    def remove_meeting(self, request):
        meeting = self._meeting(request)
        self.delete_meeting(meeting.id)
        return Reply(204, None)

    def list_meetings(self, request):
        organizer = self._authorize(request, options=frozenset({"$filter"}))
        text = (request.query.get("$filter") or [""])[0]
        match = re.fullmatch(r"JoinWebUrl eq '([^']*)'", text)
        if not match:
            raise GraphRefused(400, "BadRequest", "Only $filter=JoinWebUrl eq '…' is supported.")
        found = [
            m.properties
            for m in self.meetings.values()
            if m.organizer == organizer and m.properties["joinWebUrl"] == match.group(1)
        ]
        return {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#onlineMeetings", "value": found}

    def _page(self, request, key: str, rows: list[dict]) -> dict:
        offset = 0
        token = (request.query.get("$skiptoken") or [None])[0]
        if token is not None:
            state = self.skiptokens.get(token)
            if state is None or state[0] != key:
                raise GraphRefused(400, "BadRequest", "The skip token is not valid for this list.")
            offset = state[1]
        answer = {"value": rows[offset : offset + self.page_size]}
        if offset + self.page_size < len(rows):
            token = base64.urlsafe_b64encode(secrets.token_bytes(18)).decode()
            with self.lock:
                self.skiptokens[token] = (key, offset + self.page_size)
            answer["@odata.nextLink"] = f"{self.base_url}{request.path}?{urlencode({'$skiptoken': token})}"
        return answer

    def reports(self, request):
        meeting = self._meeting(request)
        rows = [report.as_json() for report in meeting.reports]
        for row in rows:
            self.check_answer("meetingAttendanceReport", row)
        return self._page(request, f"reports:{meeting.id}", rows)

    def records(self, request):
        meeting = self._meeting(request)
        report_id = unquote(request.match.group(3))
        report = next((r for r in meeting.reports if r.id == report_id), None)
        if report is None:
            raise GraphRefused(404, "NotFound", "The attendance report was not found.")
        return self._page(request, f"records:{report.id}", report.records)

    def list_recordings(self, request):
        meeting = self._meeting(request)
        if self.recordings_forbidden:
            raise GraphRefused(403, "Forbidden", "Missing application permission OnlineMeetingRecording.Read.All.")
        return self._page(request, f"recordings:{meeting.id}", meeting.recordings)

    def not_found(self, path: str):
        return GraphRefused(404, "Request_ResourceNotFound", f"Resource not found for the segment '{path}'.").body


def attendance_record(
    email: str | None, *intervals: tuple[datetime.datetime, int], name: str = "", role: str = "Attendee"
) -> dict:
    """An attendanceRecord: one attendee of a report, with the intervals (join time, seconds) they attended."""
    return {
        "id": str(uuid.uuid4()),
        "emailAddress": email,
        "role": role,
        "registrationId": None,
        "identity": {"id": str(uuid.uuid4()), "displayName": name or (email or "Guest").split("@")[0]},
        "totalAttendanceInSeconds": sum(seconds for _joined, seconds in intervals),
        "attendanceIntervals": [
            {
                "joinDateTime": graph_time(joined),
                "leaveDateTime": graph_time(joined + datetime.timedelta(seconds=seconds)),
                "durationInSeconds": seconds,
            }
            for joined, seconds in intervals
        ],
    }


def decode_query(link: str) -> dict:
    return {key: values[-1] for key, values in parse_qs(link.partition("?")[2]).items()}
