"""A fake Workday Human_Resources service (v40.1) on 127.0.0.1, strict about what it receives.

``POST /ccx/service/{tenant}/Human_Resources/v40.1`` with a SOAP 1.1 envelope, as Workday takes it:

- ``Content-Type: text/xml`` and a SOAPAction header;
- a ``wsse:Security`` header with ``mustUnderstand="1"``, a ``wsu:Timestamp`` not expired nor in
  the future, a UsernameToken of the integration system user as ``user@tenant`` with a
  PasswordText password — anything else is the fault Workday answers
  (``SOAP-ENV:Client.authenticationError``, "invalid username or password", HTTP 500);
- the Body: one ``wd:Get_Workers_Request`` valid against the schema of the WSDL the connector
  ships (order, booleans, Page >= 1, Count 1-999) — else a ``Validation_Fault``
  (``SOAP-ENV:Client.validationError``); a Response_Filter with Page and Count is required here
  (a request without them would read the tenant's first 100 workers only).

It answers ``Get_Workers_Response`` with Response_Results (Total_Results, Total_Pages,
Page_Results, Page) and the page's workers, each with only the groups Response_Group asked for,
after Exclude_Inactive_Workers / Exclude_Contingent_Workers. ``fail(n, after=k)`` makes the n
calls after k more fail with a ``Processing_Fault`` (HTTP 500); ``requests`` holds each call's
Response_Filter and Response_Group.
"""

from __future__ import annotations

import datetime
import math
import threading
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from lxml import etree

from tests.fakes.vendor import LoopbackFake

WD = "urn:com.workday/bsvc"
SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
WSSE_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
TEXT_TYPE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText"
WSDL_DIR = Path(__file__).resolve().parents[2] / "integrated_channels" / "workday" / "wsdl"
WSDL = WSDL_DIR / "Human_Resources.wsdl"
XSD_NS = "http://www.w3.org/2001/XMLSchema"


def hardened_parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def request_schema(wsdl_path: Path = WSDL) -> etree.XMLSchema:
    """The schema embedded in a shipped WSDL."""
    wsdl = etree.parse(str(wsdl_path), hardened_parser())
    schema = wsdl.find(f".//{{{XSD_NS}}}schema")
    return etree.XMLSchema(etree.fromstring(etree.tostring(schema)))


class Fault(Exception):
    def __init__(self, code: str, message: str, detail: str = ""):
        super().__init__(message)
        self.code, self.message, self.detail = code, message, detail


@dataclass
class Worker:
    wid: str
    employee_id: str
    email: str
    first: str
    last: str
    manager: str = ""  # the manager's WID
    active: bool = True
    contingent: bool = False
    department: str = ""
    cost_center: str = ""
    title: str = ""
    extra_emails: list[tuple[str, bool]] = field(default_factory=list)  # (address, primary) of type HOME

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}".strip()


@dataclass
class FakeWorkday(LoopbackFake):
    http_methods = ("POST",)
    protocol_version = "HTTP/1.1"
    dispatch = "_handle"

    tenant: str = "acme_preview"
    username: str = "ISU_LMS"
    password: str = "workday-isu-password"
    workers: list[Worker] = field(default_factory=list)
    requests: list[dict] = field(default_factory=list)

    def __post_init__(self):
        self.schema = request_schema()
        self.talent_schema = request_schema(WSDL_DIR / "Talent.wsdl")
        self.skills: dict[str, set[str]] = {}  # WID → the skill items Manage_Skills added
        self.faults: list[dict] = []
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None

    @property
    def path(self) -> str:
        return f"/ccx/service/{self.tenant}/Human_Resources/v40.1"

    @property
    def talent_path(self) -> str:
        return f"/ccx/service/{self.tenant}/Talent/v40.1"

    def add(self, **kwargs) -> Worker:
        number = len(self.workers)
        values = {
            "wid": f"{number:032x}",
            "employee_id": f"E{number:06d}",
            "email": f"worker{number}@example.com",
            "first": "Worker",
            "last": str(number),
            **kwargs,
        }
        worker = Worker(**values)
        self.workers.append(worker)
        return worker

    def add_many(self, count: int, *, domain: str = "example.com") -> None:
        start = len(self.workers)
        for n in range(start, start + count):
            self.workers.append(
                Worker(f"{n:032x}", f"E{n:06d}", f"user{n - start}@{domain}", "User", str(n - start), department="R&D")
            )

    def fail(self, times: int = 1, *, after: int = 0) -> None:
        self.faults.append({"times": times, "after": after})

    # Requests

    def _handle(self, handler, _method: str) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length)
        try:
            if handler.path not in (self.path, self.talent_path):
                return self._send(handler, 404, b"<html><body>Not found</body></html>", "text/html")
            if not (handler.headers.get("Content-Type") or "").startswith("text/xml"):
                raise Fault("SOAP-ENV:Client", "Content-Type must be text/xml for SOAP 1.1.")
            if handler.headers.get("SOAPAction") is None:
                raise Fault("SOAP-ENV:Client", "The SOAPAction header is missing.")
            with self.lock:
                fault = self._scripted()
            if fault:
                raise Fault("SOAP-ENV:Server.processingError", "Processing error occurred.", "Processing_Fault")
            answer = self._answer(raw, talent=handler.path == self.talent_path)
            self._send(handler, 200, answer)
        except Fault as exc:
            detail = (
                f'<detail><wd:{exc.detail} xmlns:wd="{WD}"><wd:Detail_Message>{escape(exc.message)}'
                f"</wd:Detail_Message></wd:{exc.detail}></detail>"
                if exc.detail
                else ""
            )
            body = (
                f'<SOAP-ENV:Envelope xmlns:SOAP-ENV="{SOAP_NS}"><SOAP-ENV:Body><SOAP-ENV:Fault>'
                f"<faultcode>{exc.code}</faultcode><faultstring>{escape(exc.message)}</faultstring>{detail}"
                "</SOAP-ENV:Fault></SOAP-ENV:Body></SOAP-ENV:Envelope>"
            )
            self._send(handler, 500, body.encode())

    def _scripted(self) -> bool:
        for fault in self.faults:
            if fault["after"]:
                fault["after"] -= 1
                return False
            fault["times"] -= 1
            if fault["times"] <= 0:
                self.faults.remove(fault)
            return True
        return False

    @staticmethod
    def _send(handler, status: int, body: bytes, content_type: str = "text/xml; charset=utf-8") -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def _answer(self, raw: bytes, *, talent: bool = False) -> bytes:
        try:
            envelope = etree.fromstring(raw, hardened_parser())
        except etree.XMLSyntaxError as exc:
            raise Fault("SOAP-ENV:Client", f"Not XML: {exc}") from None
        if envelope.tag != f"{{{SOAP_NS}}}Envelope":
            raise Fault("SOAP-ENV:VersionMismatch", "A SOAP 1.1 envelope is expected.")
        self._authenticate(envelope.find(f"{{{SOAP_NS}}}Header"))
        body = envelope.find(f"{{{SOAP_NS}}}Body")
        if talent:
            return self._manage_skills(body)
        if body is None or len(body) != 1 or body[0].tag != f"{{{WD}}}Get_Workers_Request":
            raise Fault(
                "SOAP-ENV:Client.validationError", "The Body must hold one Get_Workers_Request.", "Validation_Fault"
            )
        request = body[0]
        if not self.schema.validate(request):
            error = self.schema.error_log.last_error
            raise Fault(
                "SOAP-ENV:Client.validationError",
                f"Validation error occurred. {error.message if error else ''}",
                "Validation_Fault",
            )
        return self._workers(request)

    def _manage_skills(self, body) -> bytes:
        q = f"{{{WD}}}"
        if body is None or len(body) != 1 or body[0].tag != f"{q}Manage_Skills_Request":
            raise Fault(
                "SOAP-ENV:Client.validationError", "The Body must hold one Manage_Skills_Request.", "Validation_Fault"
            )
        request = body[0]
        if not self.talent_schema.validate(request):
            error = self.talent_schema.error_log.last_error
            raise Fault(
                "SOAP-ENV:Client.validationError",
                f"Validation error occurred. {error.message if error else ''}",
                "Validation_Fault",
            )
        data = request.find(f"{q}Manage_Skills_Data")
        if data is None:
            raise Fault("SOAP-ENV:Client.validationError", "Manage_Skills_Data is required.", "Validation_Fault")
        ids = [i.text for i in data.find(f"{q}Worker_Reference").findall(f"{q}ID") if i.get(f"{q}type") == "WID"]
        known = {w.wid for w in self.workers}
        if not ids or ids[0] not in known:
            value = ids[0] if ids else ""
            raise Fault(
                "SOAP-ENV:Client.validationError",
                f"Invalid ID value.  '{value}' is not a valid ID value for type = 'WID'",
                "Validation_Fault",
            )
        names = {s.findtext(f"{q}Skill_Name") for s in data.findall(f"{q}Skill") if s.findtext(f"{q}Skill_Name")}
        with self.lock:
            self.skills.setdefault(ids[0], set()).update(names)
        return (
            f'<env:Envelope xmlns:env="{SOAP_NS}"><env:Body><wd:Manage_Skills_Response xmlns:wd="{WD}" '
            'wd:version="v40.1"/></env:Body></env:Envelope>'
        ).encode()

    def _authenticate(self, header) -> None:
        def refuse():
            return Fault("SOAP-ENV:Client.authenticationError", "invalid username or password")

        security = header.find(f"{{{WSSE_NS}}}Security") if header is not None else None
        if security is None or security.get(f"{{{SOAP_NS}}}mustUnderstand") != "1":
            raise refuse()
        timestamp = security.find(f"{{{WSU_NS}}}Timestamp")
        now = datetime.datetime.now(datetime.UTC)
        if timestamp is not None:
            created = _when(timestamp.findtext(f"{{{WSU_NS}}}Created"))
            expires = _when(timestamp.findtext(f"{{{WSU_NS}}}Expires"))
            if created is None or expires is None or created > now + datetime.timedelta(seconds=60) or expires < now:
                raise Fault("wsse:MessageExpired", "The message has expired.")
        token = security.find(f"{{{WSSE_NS}}}UsernameToken")
        if token is None:
            raise refuse()
        password = token.find(f"{{{WSSE_NS}}}Password")
        if (
            token.findtext(f"{{{WSSE_NS}}}Username") != f"{self.username}@{self.tenant}"
            or password is None
            or password.get("Type") != TEXT_TYPE
            or password.text != self.password
        ):
            raise refuse()

    def _workers(self, request) -> bytes:
        q = f"{{{WD}}}"
        criteria = request.find(f"{q}Request_Criteria")
        filters = request.find(f"{q}Response_Filter")
        group = request.find(f"{q}Response_Group")
        if filters is None or filters.find(f"{q}Page") is None or filters.find(f"{q}Count") is None:
            raise Fault(
                "SOAP-ENV:Client.validationError",
                "Validation error occurred. This client pages with Response_Filter Page and Count.",
                "Validation_Fault",
            )
        page, count = int(filters.findtext(f"{q}Page")), int(filters.findtext(f"{q}Count"))
        flags = {child.tag[len(q) :] for child in group if _true(child.text)} if group is not None else set()

        def flag(name):
            element = criteria.find(f"{q}{name}") if criteria is not None else None
            return element is not None and _true(element.text)

        exclude_inactive, exclude_contingent = flag("Exclude_Inactive_Workers"), flag("Exclude_Contingent_Workers")
        with self.lock:
            self.requests.append(
                {
                    "page": page,
                    "count": count,
                    "as_of": filters.findtext(f"{q}As_Of_Entry_DateTime"),
                    "groups": flags,
                    "exclude_inactive": exclude_inactive,
                    "exclude_contingent": exclude_contingent,
                }
            )
            chosen = [
                w
                for w in self.workers
                if (w.active or not exclude_inactive) and not (exclude_contingent and w.contingent)
            ]
        by_wid = {w.wid: w for w in self.workers} if "Include_Management_Chain_Data" in flags else {}
        total_pages = max(1, math.ceil(len(chosen) / count))
        shown = chosen[(page - 1) * count : page * count]
        parts = [
            f'<env:Envelope xmlns:env="{SOAP_NS}"><env:Body>'
            f'<wd:Get_Workers_Response xmlns:wd="{WD}" wd:version="v40.1">'
            f"<wd:Response_Results><wd:Total_Results>{len(chosen)}</wd:Total_Results>"
            f"<wd:Total_Pages>{total_pages}</wd:Total_Pages><wd:Page_Results>{len(shown)}</wd:Page_Results>"
            f"<wd:Page>{page}</wd:Page></wd:Response_Results><wd:Response_Data>"
        ]
        parts += [_worker(w, flags, by_wid) for w in shown]
        parts.append("</wd:Response_Data></wd:Get_Workers_Response></env:Body></env:Envelope>")
        return "".join(parts).encode()


def _true(text) -> bool:
    return (text or "").strip() in ("true", "1")


def _when(text):
    try:
        return datetime.datetime.fromisoformat((text or "").replace("Z", "+00:00"))
    except ValueError:
        return None


def _ref(kind_values) -> str:
    return "".join(f'<wd:ID wd:type="{kind}">{escape(value)}</wd:ID>' for kind, value in kind_values)


def _email(address: str, usage: str, primary: bool) -> str:
    return (
        f"<wd:Email_Address_Data><wd:Email_Address>{escape(address)}</wd:Email_Address>"
        f'<wd:Usage_Data wd:Public="1"><wd:Type_Data wd:Primary="{1 if primary else 0}">'
        f'<wd:Type_Reference wd:Descriptor="{usage.title()}">'
        f"{_ref([('Communication_Usage_Type_ID', usage)])}</wd:Type_Reference></wd:Type_Data>"
        "</wd:Usage_Data></wd:Email_Address_Data>"
    )


def _worker(w: Worker, flags: set[str], by_wid: dict[str, Worker]) -> str:
    out = [
        "<wd:Worker>",
        f"<wd:Worker_Reference>{_ref([('WID', w.wid), ('Employee_ID', w.employee_id)])}</wd:Worker_Reference>",
        f"<wd:Worker_Descriptor>{escape(w.name)}</wd:Worker_Descriptor><wd:Worker_Data>",
        f"<wd:Worker_ID>{escape(w.employee_id)}</wd:Worker_ID><wd:User_ID>{escape(w.email.split('@')[0])}</wd:User_ID>",
    ]
    if "Include_Personal_Information" in flags:
        emails = "".join(_email(a, "HOME", p) for a, p in w.extra_emails)
        if w.email:
            emails += _email(w.email, "WORK", True)
        out.append(
            "<wd:Personal_Data><wd:Name_Data><wd:Legal_Name_Data>"
            f"<wd:Name_Detail_Data wd:Formatted_Name={quoteattr(w.name)}>"
            f"<wd:First_Name>{escape(w.first)}</wd:First_Name><wd:Last_Name>{escape(w.last)}</wd:Last_Name>"
            "</wd:Name_Detail_Data></wd:Legal_Name_Data></wd:Name_Data>"
            f"<wd:Contact_Data>{emails}</wd:Contact_Data></wd:Personal_Data>"
        )
    if "Include_Employment_Information" in flags:
        title = f"<wd:Business_Title>{escape(w.title)}</wd:Business_Title>" if w.title else ""
        out.append(
            f"<wd:Employment_Data><wd:Worker_Job_Data><wd:Position_Data>{title}</wd:Position_Data></wd:Worker_Job_Data>"
            f"<wd:Worker_Status_Data><wd:Active>{1 if w.active else 0}</wd:Active></wd:Worker_Status_Data>"
            "</wd:Employment_Data>"
        )
    if "Include_Organizations" in flags:
        orgs = []
        if w.cost_center:
            orgs.append(
                f"<wd:Worker_Organization_Data><wd:Organization_Data><wd:Organization_Code>{escape(w.cost_center)}"
                f"</wd:Organization_Code><wd:Organization_Name>Cost centre {escape(w.cost_center)}"
                "</wd:Organization_Name><wd:Organization_Type_Reference>"
                f"{_ref([('Organization_Type_ID', 'COST_CENTER')])}"
                "</wd:Organization_Type_Reference></wd:Organization_Data></wd:Worker_Organization_Data>"
            )
        if w.department:
            orgs.append(
                "<wd:Worker_Organization_Data><wd:Organization_Data><wd:Organization_Code>D</wd:Organization_Code>"
                f"<wd:Organization_Name>{escape(w.department)}</wd:Organization_Name>"
                f"<wd:Organization_Type_Reference>{_ref([('Organization_Type_ID', 'SUPERVISORY')])}"
                f"</wd:Organization_Type_Reference><wd:Organization_Subtype_Reference>"
                f"{_ref([('Organization_Subtype_ID', 'Department')])}</wd:Organization_Subtype_Reference>"
                "</wd:Organization_Data></wd:Worker_Organization_Data>"
            )
        out.append(f"<wd:Organization_Data>{''.join(orgs)}</wd:Organization_Data>")
    if "Include_Management_Chain_Data" in flags and w.manager in by_wid:
        chain, seen, boss = [], set(), by_wid.get(w.manager)
        while boss is not None and boss.wid not in seen:
            seen.add(boss.wid)
            chain.insert(0, boss)  # top-down: the direct manager last, as Workday lists the levels
            boss = by_wid.get(boss.manager)
        levels = "".join(
            "<wd:Management_Chain_Data><wd:Manager><wd:Worker_Reference>"
            f"{_ref([('WID', b.wid), ('Employee_ID', b.employee_id)])}</wd:Worker_Reference>"
            f"<wd:Worker_Descriptor>{escape(b.name)}</wd:Worker_Descriptor></wd:Manager></wd:Management_Chain_Data>"
            for b in chain
        )
        out.append(
            "<wd:Management_Chain_Data><wd:Worker_Supervisory_Management_Chain_Data>"
            f"{levels}</wd:Worker_Supervisory_Management_Chain_Data></wd:Management_Chain_Data>"
        )
    out.append("</wd:Worker_Data></wd:Worker>")
    return "".join(out)
