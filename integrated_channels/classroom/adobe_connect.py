"""The Adobe Connect client: the XML web services API (``/api/xml?action=…``) that sessions need.

Login is ``action=login`` with the administrator's login and password, POSTed as a form so the
password is never part of a URL; Connect answers with the ``BREEZESESSION`` cookie, which every
later call carries (a call answered ``no-access``/``no-login`` logs in again once). Every answer is
``<results><status code="…"/>…</results>``: ``ok`` is read on, ``no-data`` means "nothing there"
(a deleted room, no such principal), and ``invalid`` (with ``<invalid field subcode/>``),
``no-access`` (``denied``, ``no-login``, …) and the rest raise ``ConnectRefused`` naming Connect's
code, subcode and field. Answers are parsed by lxml with entities, DTDs and the network off, and
a document declaring a DOCTYPE or an entity is refused (``MalformedResponse``) before parsing.

Retries with Retry-After, the address guard, timeouts and secret redaction (the password and the
session cookie) come from ``HttpTransport``.
"""

from __future__ import annotations

import datetime
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from integrated_channels.classroom.exceptions import MeetingDeleted
from integrated_channels.integrated_channel.exceptions import (
    AuthenticationFailed,
    MalformedResponse,
    RemoteRejected,
)
from integrated_channels.integrated_channel.transports.http import HttpTransport

if TYPE_CHECKING:
    from lxml import etree

COOKIE = "BREEZESESSION"
PAGE_ROWS = 500  # rows asked per page of a report (filter-rows / filter-start)
PERMISSION_BATCH = 50  # acl/principal/permission trios per permissions-update call
MAX_BYTES = 20 * 1024 * 1024
_DECLARATION = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)


class ConnectRefused(RemoteRejected):
    """Connect answered a status other than ok: ``status``, ``subcode`` and ``field`` say what it refused."""

    code = "adobe_connect_refused"

    def __init__(self, message: str, *, status: str, subcode: str = "", field: str = "", **kwargs):
        super().__init__(message, **kwargs)
        self.status, self.subcode, self.field = status, subcode, field


class ConnectLoginFailed(AuthenticationFailed):
    code = "adobe_connect_login_failed"


@dataclass(frozen=True)
class Visit:
    """One row of the meeting attendance report: one entry into the room, and when it ended (None: still in)."""

    principal_id: str
    login: str
    name: str
    entered: datetime.datetime | None
    left: datetime.datetime | None

    @property
    def seconds(self) -> int:
        if self.entered is None or self.left is None:
            return 0
        return max(int((self.left - self.entered).total_seconds()), 0)


@dataclass(frozen=True)
class QuizTaker:
    """One attempt of one learner at the quiz (the quiz takers report): the final score."""

    transcript_id: str
    principal_id: str
    login: str
    points: Decimal
    max_points: Decimal
    status: str
    taken_at: datetime.datetime | None


@dataclass(frozen=True)
class Interaction:
    """One learner's answer(s) to one question (the quiz interactions report)."""

    transcript_id: str
    interaction_id: str
    question_number: int
    points: Decimal
    question: str
    response: str
    answered_at: datetime.datetime | None


def connect_time(value: datetime.datetime) -> str:
    """A date as Connect takes it: ISO 8601 with milliseconds and the offset (here UTC)."""
    return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.000+00:00")


def parse_time(text: str | None) -> datetime.datetime | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        value = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as error:
        raise MalformedResponse(f"Adobe Connect answered a date that is not ISO 8601: {text[:40]!r}.") from error
    return value if value.tzinfo else value.replace(tzinfo=datetime.UTC)


def _decimal(text: str | None, what: str) -> Decimal:
    try:
        value = Decimal((text or "0").strip() or "0")
    except InvalidOperation as error:
        raise MalformedResponse(f"Adobe Connect answered {what} that is not a number: {text[:40]!r}.") from error
    if not value.is_finite():
        raise MalformedResponse(f"Adobe Connect answered {what} that is not a number: {text[:40]!r}.")
    return value


def _text(node, tag: str) -> str:
    child = node.find(tag)
    return (child.text or "").strip() if child is not None else ""


def parse_answer(raw: bytes) -> etree._Element:
    """The ``<results>`` element of an answer, parsed safely, or ``MalformedResponse``."""
    if len(raw) > MAX_BYTES:
        raise MalformedResponse(f"Adobe Connect answered more than {MAX_BYTES} bytes; refused.")
    if _DECLARATION.search(raw):
        raise MalformedResponse("Adobe Connect's answer declares a DTD or entities; refused without reading it.")
    from lxml import etree  # the classroom extra brings it (imported here: the app loads without it)

    parser = etree.XMLParser(
        resolve_entities=False,
        load_dtd=False,
        dtd_validation=False,
        no_network=True,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(raw, parser)
    except etree.XMLSyntaxError as error:
        raise MalformedResponse(f"Adobe Connect's answer is not well-formed XML: {error}") from error
    if root.getroottree().docinfo.doctype:
        raise MalformedResponse("Adobe Connect's answer declares a DTD; refused.")
    if root.tag != "results" or root.find("status") is None:
        raise MalformedResponse("Adobe Connect's answer is not <results><status code=…/>…</results>.")
    return root


class AdobeConnectClient(HttpTransport):
    name = "Adobe Connect"
    accept = "text/xml, application/xml"
    default_retry_after = 5.0

    def __init__(self, configuration, **kwargs):
        super().__init__(configuration, **kwargs)
        self.cookie = ""

    @property
    def endpoint(self) -> str:
        return f"{self.configuration.base_url}/api/xml"

    def remote_account(self) -> tuple[str, str]:
        return self.host_of(self.configuration.base_url), self.configuration.login

    def remote_message(self, response) -> str:
        try:
            root = parse_answer(response.content)
        except MalformedResponse:
            return response.text.strip()[:200]
        return self._status_text(root.find("status"))

    # Protocol

    @staticmethod
    def _status_text(status) -> str:
        code = status.get("code", "")
        subcode = status.get("subcode", "")
        invalid = status.find("invalid")
        if invalid is not None:
            field, subcode = invalid.get("field", ""), invalid.get("subcode", "") or subcode
            return f"{code} (field {field}: {subcode})" if field else f"{code} ({subcode})"
        return f"{code} ({subcode})" if subcode else code

    def _raw(self, action: str, params: list[tuple[str, str]], *, form: bool = False):
        query = [("action", action)]
        cookies = {COOKIE: self.cookie} if self.cookie else None
        if form:
            response = self.request("POST", self.endpoint, params=query, data=params, cookies=cookies)
        else:
            response = self.request("GET", self.endpoint, params=query + params, cookies=cookies)
        return response, parse_answer(response.content)

    def login(self) -> None:
        """``action=login``: the session cookie, or ``ConnectLoginFailed`` (a wrong password is no-data)."""
        self.session.cookies.clear()
        self.cookie = ""
        config = self.configuration
        response, root = self._raw("login", [("login", config.login), ("password", config.password)], form=True)
        status = root.find("status")
        if status.get("code") != "ok":
            raise ConnectLoginFailed(
                f"Adobe Connect refused the administrator's login {config.login}: {self._status_text(status)}.",
                status_code=response.status_code,
            )
        cookie = response.cookies.get(COOKIE) or self.session.cookies.get(COOKIE)
        if not cookie:
            raise MalformedResponse("Adobe Connect accepted the login but set no BREEZESESSION cookie.")
        self.session.cookies.clear()  # the cookie is sent explicitly: one place holds it
        self.cookie = cookie
        self.add_secret(cookie)

    def call(self, action: str, params: list[tuple[str, str]] | None = None, *, allow_no_data: bool = False):
        """One action; its ``<results>`` when ok (or no-data when allowed, then None); else ``ConnectRefused``."""
        params = list(params or [])
        if not self.cookie:
            self.login()
        response, root = self._raw(action, params)
        status = root.find("status")
        if status.get("code") == "no-access" and status.get("subcode") == "no-login":
            self.login()  # the session expired: one new login, then the same call again
            response, root = self._raw(action, params)
            status = root.find("status")
        code = status.get("code", "")
        if code == "ok":
            return root
        if code == "no-data" and allow_no_data:
            return None
        invalid = status.find("invalid")
        raise ConnectRefused(
            self.redact(f"Adobe Connect refused {action}: {self._status_text(status)}."),
            status=code,
            subcode=(invalid.get("subcode", "") if invalid is not None else status.get("subcode", "")),
            field=invalid.get("field", "") if invalid is not None else "",
            status_code=response.status_code,
            url=self.redact(response.url),
        )

    def _rows(self, action: str, params: list[tuple[str, str]], path: str) -> Iterator[etree._Element]:
        start = 0
        while True:
            page = [*params, ("filter-start", str(start)), ("filter-rows", str(PAGE_ROWS))]
            root = self.call(action, page, allow_no_data=True)
            rows = root.findall(path) if root is not None else []
            yield from rows
            if len(rows) < PAGE_ROWS:
                return
            start += PAGE_ROWS

    # Rooms

    def room(self, sco_id: str) -> etree._Element:
        """The room's ``<sco>`` (sco-info); ``MeetingDeleted`` when Connect has none any more."""
        root = self.call("sco-info", [("sco-id", sco_id)], allow_no_data=True)
        sco = root.find("sco") if root is not None else None
        if sco is None:
            raise MeetingDeleted(f"Adobe Connect has no room {sco_id} any more.", code="meeting_deleted")
        return sco

    def room_by_url(self, url_path: str) -> tuple[str, str]:
        """(sco-id, url-path) of a persistent room named by its URL path (``/training/`` or ``training``)."""
        path = "/" + url_path.strip().strip("/") + "/"
        root = self.call("sco-by-url", [("url-path", path)], allow_no_data=True)
        sco = root.find("sco") if root is not None else None
        if sco is None or not sco.get("sco-id"):
            raise MeetingDeleted(f"Adobe Connect has no room at {path}.", code="meeting_deleted")
        return sco.get("sco-id"), _text(sco, "url-path") or path

    def create_room(self, *, name: str, begin: datetime.datetime, end: datetime.datetime) -> tuple[str, str]:
        """A room for a session (sco-update, type meeting) in the folder, from the template: (sco-id, url-path)."""
        config = self.configuration
        params = [
            ("type", "meeting"),
            ("name", name[:255]),
            ("folder-id", config.folder_sco_id),
            ("date-begin", connect_time(begin)),
            ("date-end", connect_time(end)),
        ]
        if config.template_sco_id:
            params.append(("source-sco-id", config.template_sco_id))
        root = self.call("sco-update", params)
        sco = root.find("sco")
        if sco is None or not sco.get("sco-id"):
            raise MalformedResponse("Adobe Connect created a room but did not say its sco-id.")
        return sco.get("sco-id"), _text(sco, "url-path")

    def update_room(self, sco_id: str, *, name: str, begin: datetime.datetime, end: datetime.datetime) -> None:
        params = [
            ("sco-id", sco_id),
            ("name", name[:255]),
            ("date-begin", connect_time(begin)),
            ("date-end", connect_time(end)),
        ]
        try:
            self.call("sco-update", params)
        except ConnectRefused as error:
            if error.status == "no-data" or (error.status == "invalid" and error.field == "sco-id"):
                raise MeetingDeleted(f"Adobe Connect has no room {sco_id} any more.", code="meeting_deleted") from error
            raise

    def join_url(self, url_path: str) -> str:
        return f"https://{self.configuration.domain.strip().lower()}/{url_path.strip('/')}/"

    # Learners

    def principal_id(self, email: str, *, by: str = "filter-email") -> str | None:
        """The Connect user whose e-mail (or, ``by="filter-login"``, whose login) is ``email``."""
        root = self.call("principal-list", [(by, email)], allow_no_data=True)
        if root is None:
            return None
        for principal in root.iterfind("principal-list/principal"):
            if _text(principal, "email").lower() == email.lower() or _text(principal, "login").lower() == email.lower():
                return principal.get("principal-id")
        return None

    def create_principal(self, *, email: str, first_name: str, last_name: str) -> str:
        """A Connect user for a learner (login = e-mail); its password is random and kept nowhere."""
        params = [
            ("type", "user"),
            ("has-children", "0"),
            ("first-name", (first_name or email.split("@")[0])[:60]),
            ("last-name", (last_name or "-")[:60]),
            ("login", email),
            ("email", email),
            ("password", secrets.token_urlsafe(18)),
            ("send-email", "false"),
        ]
        root = self.call("principal-update", params)
        principal = root.find("principal")
        if principal is None or not principal.get("principal-id"):
            raise MalformedResponse("Adobe Connect created a user but did not say its principal-id.")
        return principal.get("principal-id")

    def ensure_principal(self, *, email: str, first_name: str, last_name: str) -> str:
        """The learner's Connect user: found by e-mail, else created; a user whose login is the e-mail but
        whose e-mail field differs makes the creation a duplicate login: that user is the learner's."""
        found = self.principal_id(email)
        if found:
            return found
        try:
            return self.create_principal(email=email, first_name=first_name, last_name=last_name)
        except ConnectRefused as error:
            if (error.status, error.field, error.subcode) != ("invalid", "login", "duplicate"):
                raise
            found = self.principal_id(email, by="filter-login")
            if not found:
                raise
            return found

    def grant_participants(self, sco_id: str, principal_ids: list[str]) -> None:
        """permissions-update: each principal may enter the room as a participant (permission ``view``)."""
        for start in range(0, len(principal_ids), PERMISSION_BATCH):
            params = []
            for principal in principal_ids[start : start + PERMISSION_BATCH]:
                params += [("acl-id", sco_id), ("principal-id", principal), ("permission-id", "view")]
            self.call("permissions-update", params)

    def revoke_participants(self, sco_id: str, principal_ids: list[str]) -> None:
        """permissions-update with ``remove``: a learner no longer registered loses access to the room."""
        for start in range(0, len(principal_ids), PERMISSION_BATCH):
            params = []
            for principal in principal_ids[start : start + PERMISSION_BATCH]:
                params += [("acl-id", sco_id), ("principal-id", principal), ("permission-id", "remove")]
            self.call("permissions-update", params)

    # Reports

    def visits(
        self, sco_id: str, *, since: datetime.datetime, until: datetime.datetime | None = None
    ) -> Iterator[Visit]:
        """The room's attendance report from ``since`` (a persistent room holds every session's visits)."""
        params = [("sco-id", sco_id), ("filter-gte-date-created", connect_time(since))]
        if until is not None:
            params.append(("filter-lt-date-created", connect_time(until)))
        for row in self._rows("report-meeting-attendance", params, "report-meeting-attendance/row"):
            yield Visit(
                principal_id=row.get("principal-id", ""),
                login=_text(row, "login"),
                name=_text(row, "participant-name") or _text(row, "session-name"),
                entered=parse_time(_text(row, "date-created")),
                left=parse_time(_text(row, "date-end")),
            )

    def quiz_takers(self, sco_id: str, *, since: datetime.datetime) -> Iterator[QuizTaker]:
        params = [("sco-id", sco_id), ("filter-gte-date-created", connect_time(since))]
        for row in self._rows("report-quiz-takers", params, "report-quiz-takers/row"):
            yield QuizTaker(
                transcript_id=row.get("transcript-id", ""),
                principal_id=row.get("principal-id", ""),
                login=_text(row, "login"),
                points=_decimal(row.get("score"), "a score"),
                max_points=_decimal(row.get("max-score"), "a maximum score"),
                status=row.get("status", ""),
                taken_at=parse_time(_text(row, "date-created")),
            )

    def quiz_interactions(self, sco_id: str, *, since: datetime.datetime) -> Iterator[Interaction]:
        params = [("sco-id", sco_id), ("filter-gte-date-created", connect_time(since))]
        for row in self._rows("report-quiz-interactions", params, "report-quiz-interactions/row"):
            try:
                number = int(row.get("display-seq", ""))
            except ValueError as error:
                raise MalformedResponse("Adobe Connect answered a quiz question without its display-seq.") from error
            yield Interaction(
                transcript_id=row.get("transcript-id", ""),
                interaction_id=row.get("interaction-id", ""),
                question_number=number,
                points=_decimal(row.get("score"), "a question's score"),
                question=_text(row, "description"),
                response=_text(row, "response"),
                answered_at=parse_time(_text(row, "date-created")),
            )

    def recording(self, sco_id: str, *, since: datetime.datetime) -> tuple[str, str] | None:
        """The session's recording (list-recordings) and its passcode (acl-field-info), or None while there is none."""
        root = self.call("list-recordings", [("folder-id", sco_id)], allow_no_data=True)
        found = []
        for sco in root.iterfind("recordings/sco") if root is not None else ():
            begun = parse_time(_text(sco, "date-begin")) or parse_time(_text(sco, "date-created"))
            if begun is not None and begun >= since and _text(sco, "url-path"):
                found.append((begun, sco.get("sco-id", ""), _text(sco, "url-path")))
        if not found:
            return None
        _begun, recording_id, url_path = min(found)
        fields = self.call(
            "acl-field-info", [("acl-id", recording_id), ("filter-field-id", "meeting-passcode")], allow_no_data=True
        )
        passcode = ""
        if fields is not None:
            for field in fields.iterfind("acl-fields/field"):
                if field.get("field-id") == "meeting-passcode":
                    passcode = _text(field, "value")
        return self.join_url(url_path), passcode
