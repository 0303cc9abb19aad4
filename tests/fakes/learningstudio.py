"""A fake Pearson LearningStudio Users & Enrollments service on 127.0.0.1, strict about what it receives.

It speaks SOAP 1.1 document/literal like the real service: ``ProcessSingleRequest`` answers the
enterprise back with a ``Result`` (type, Code, Message) in person/extension and
membership/member/role/extension (none on a membership whose role the learner already has);
``ProcessRequest`` queues the batch and answers a job id. Before that it checks:

- the SOAPAction header against the operation in the Body;
- the WS-Security header as the campus's sample shows it: ``wsse:Security`` with
  ``soap:mustUnderstand="1"`` and a ``wsu:Timestamp`` whose Created is not in the future and whose
  Expires has not passed (else ``wsse:InvalidSecurity`` / ``wsse:MessageExpired`` faults); the
  UsernameToken: the username, the PasswordDigest recomputed as Base64(SHA1(nonce + created +
  password)), a Created no older than ``max_age`` seconds (nor in the future), a nonce never seen
  before; otherwise a ``wsse:FailedAuthentication`` fault;
- the ``enterprise`` document: IMS namespace, properties then persons then groups then
  memberships, the required elements of each, the order of a person's elements and of its
  demographics and adr, gender male/female, bday YYYY-MM-DD, known teltypes, personproperty
  elements with a propertytype, memberships naming a group and persons of the document, integer
  role ids, one of each for ProcessSingleRequest; and, when the reference WSDL is
  present, the document against the schema in it. Violations are ``soap:Client`` faults.

Requests are parsed with a hardened lxml parser (no DTD, no entities, no network). Tests can
script Result errors per person id (``refuse_person`` / ``refuse_membership``), server faults
(``fail``) and any raw answer (``answer_raw``), and read what was received (``requests``,
``memberships``, ``jobs``).
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import hashlib
import itertools
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

from lxml import etree

from tests.fakes.vendor import LoopbackFake

SERVICE_NS = "http://CampusApi.eCollege.com/UserManagement/V1_6"
IMS_NS = "http://schemas.ecollege.com/Common/2006/01/ims_epv1p1.xsd"
SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
WSSE_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
DIGEST_TYPE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest"
ACTIONS = {f"{SERVICE_NS}/{name}": name for name in ("ProcessSingleRequest", "ProcessRequest")}
ORDER = ["properties", "person", "group", "membership"]
REFERENCE_WSDL = (
    Path(__file__).resolve().parents[3] / "shared" / "data" / "learningstudio" / "UserManagementServices.wsdl"
)
PATH = "/UserManagement/v1_6/UserManagementServices.asmx"
DROPPED = "5"


class Fault(Exception):
    def __init__(self, code: str, message: str, status: int = 500):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


#: Enrollable nodes (the seed's group table): source ECLG, typevalue "Enrollable Node", the client sort string
#: as id — dot-separated names ending with a dot, e.g. ``strata.business.``.
NODE_SOURCE = "ECLG"
SORT_STRING = re.compile(r"(?:[A-Za-z0-9_-]+\.)+")

#: How an answer's extension carries its Result: as escaped text (a string of XML), a CDATA section, a
#: comment ``<!--[CDATA[ … ]]-->`` (the seed's sample answer, printed so) or a ``Result`` element.
RESULT_FORMS = ("escaped", "cdata", "comment", "element")


def hardened_parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def parse(raw: bytes):
    root = etree.fromstring(raw, hardened_parser())
    if root.getroottree().docinfo.doctype:
        raise Fault("soap:Client", "DTDs are not accepted.")
    return root


def password_digest(nonce: bytes, created: str, password: str) -> str:
    return base64.b64encode(hashlib.sha1(nonce + created.encode() + password.encode()).digest()).decode()  # noqa: S324


def reference_schema() -> etree.XMLSchema | None:
    """The IMS schema of the real service's WSDL, or None when ../shared is not there."""
    if not REFERENCE_WSDL.exists():
        return None
    wsdl = etree.parse(str(REFERENCE_WSDL), hardened_parser())
    for schema in wsdl.iter("{http://www.w3.org/2001/XMLSchema}schema"):
        if schema.get("targetNamespace") == IMS_NS:
            schema = etree.fromstring(etree.tostring(schema))
            # ``extension`` is an ``xsd:any`` of the .NET service (an XmlElement[] it reads as it
            # comes): its documented content, ``personproperty``, is declared nowhere, so a strict
            # wildcard would refuse it. Lax is what the service does: declared elements are checked.
            for wildcard in schema.iter("{http://www.w3.org/2001/XMLSchema}any"):
                wildcard.set("processContents", "lax")
            return etree.XMLSchema(schema)
    return None


def q(name: str) -> str:
    return f"{{{IMS_NS}}}{name}"


def text(element, path: str) -> str:
    found = element.find("/".join(q(part) for part in path.split("/")))
    return (found.text or "").strip() if found is not None else ""


PERSON_ORDER = [
    "comments", "sourcedid", "userid", "name", "demographics", "email", "url", "tel", "adr", "photo",
    "systemrole", "institutionrole", "datasource", "extension",
]  # fmt: skip
DEMOGRAPHICS_ORDER = ["gender", "bday", "disability"]
ADR_ORDER = ["pobox", "extadd", "street", "locality", "region", "pcode", "country"]
TEL_TYPES = ("1", "2", "3", "4", "Voice", "Fax", "Mobile", "Pager")


def check_order(element, order: list[str], what: str) -> list[str]:
    """The local names of ``element``'s children, refused unless known and in ``order``."""
    names = [etree.QName(child).localname for child in element if isinstance(child.tag, str)]
    unknown = [name for name in names if name not in order]
    if unknown:
        raise Fault("soap:Client", f"{what}: unexpected element {unknown[0]}.")
    ranks = [order.index(name) for name in names]
    if ranks != sorted(ranks):
        raise Fault("soap:Client", f"{what}: elements out of order: {' '.join(names)}.")
    return names


def check_person_details(person, record: dict) -> None:
    """demographics, tel, adr and extension/personproperty: order and formats, as the service reads them."""
    who = f"person {record['id']!r}"
    check_order(person, PERSON_ORDER, who)
    demographics = person.find(q("demographics"))
    if demographics is not None:
        names = check_order(demographics, DEMOGRAPHICS_ORDER, f"{who} demographics")
        if names.count("gender") > 1 or names.count("bday") > 1:
            raise Fault("soap:Client", f"{who}: one gender and one bday at most.")
        gender, bday = text(demographics, "gender"), text(demographics, "bday")
        if demographics.find(q("gender")) is not None and gender not in ("male", "female"):
            raise Fault("soap:Client", f"{who}: gender {gender!r} is not male or female.")
        if demographics.find(q("bday")) is not None:
            try:
                if len(bday) != 10:
                    raise ValueError
                datetime.date.fromisoformat(bday)
            except ValueError:
                raise Fault("soap:Client", f"{who}: bday {bday!r} is not YYYY-MM-DD.") from None
        record["demographics"] = {name: text(demographics, name) for name in names}
    for tel in person.findall(q("tel")):
        if tel.get("teltype", "1") not in TEL_TYPES:
            raise Fault("soap:Client", f"{who}: teltype {tel.get('teltype')!r} is not a telephone type.")
        record.setdefault("tel", []).append((tel.get("teltype"), (tel.text or "").strip()))
    adr = person.find(q("adr"))
    if adr is not None:
        names = check_order(adr, ADR_ORDER, f"{who} adr")
        if any(names.count(name) > 1 for name in ADR_ORDER if name != "street"):
            raise Fault("soap:Client", f"{who}: adr repeats an element other than street.")
        record["adr"] = [(etree.QName(child).localname, (child.text or "").strip()) for child in adr]
    extension = person.find(q("extension"))
    if extension is not None:
        for child in extension:
            if not isinstance(child.tag, str):
                continue
            if etree.QName(child).localname != "personproperty" or not child.get("propertytype"):
                raise Fault("soap:Client", f"{who}: extension holds personproperty elements with a propertytype.")
            record.setdefault("properties", []).append((child.get("propertytype"), (child.text or "").strip()))


def require(element, paths: list[str], what: str) -> None:
    for path in paths:
        if element.find("/".join(q(part) for part in path.split("/"))) is None:
            raise Fault("soap:Client", f"{what} lacks {path}.")


@dataclass
class Received:
    action: str
    operation: str
    username: str
    body: bytes
    persons: list[dict] = field(default_factory=list)
    memberships: list[tuple[str, str, str]] = field(default_factory=list)  # (course, person id, role)
    node_memberships: list[tuple[str, str, str]] = field(default_factory=list)  # (sort string, person id, role)


class FakeLearningStudio(LoopbackFake):
    http_methods = ("POST",)
    dispatch = "_handle"
    poll_interval = 0.05

    def __init__(
        self,
        *,
        username: str = "sis-user",
        password: str = "sis-password",  # noqa: S107
        max_age: int = 300,
        result_form: str = "escaped",
    ):
        if result_form not in RESULT_FORMS:
            raise ValueError(f"result_form is one of {RESULT_FORMS}")
        self.result_form = result_form
        self.username = username
        self.password = password
        self.max_age = max_age
        self.schema = reference_schema()
        self.requests: list[Received] = []
        self.jobs: dict[str, list[tuple[str, str, str]]] = {}
        self.roles: dict[tuple[str, str], str] = {}  # (course, person id) -> role
        self.persons: dict[str, dict] = {}
        self.person_errors: dict[str, tuple[str, str]] = {}
        self.membership_errors: dict[str, tuple[str, str]] = {}
        self.faults: list[tuple[str, str]] = []
        self.raw_answers: list[bytes] = []
        self.nonces: set[str] = set()
        self.job_numbers = itertools.count(289460)
        self.lock = threading.Lock()
        self._make_loopback_server()

    # Life cycle (LoopbackFake)

    @property
    def url(self) -> str:
        return super().url + PATH

    # Scripting

    def refuse_person(self, person_id: str, code: str = "-6", message: str = "Invalid e-mail address") -> None:
        self.person_errors[person_id] = (code, message)

    def refuse_membership(self, person_id: str, code: str = "-12", message: str = "Course not found") -> None:
        self.membership_errors[person_id] = (code, message)

    def fail(self, code: str = "soap:Server", message: str = "Server was unable to process request.") -> None:
        self.faults.append((code, message))

    def answer_raw(self, body: bytes) -> None:
        self.raw_answers.append(body)

    # What was received

    def operations(self) -> list[str]:
        return [received.operation for received in self.requests]

    def memberships(self) -> list[tuple[str, str, str]]:
        return [membership for received in self.requests for membership in received.memberships]

    def node_memberships(self) -> list[tuple[str, str, str]]:
        """(client sort string, person id, role id) of every enrollable-node membership received."""
        return [membership for received in self.requests for membership in received.node_memberships]

    def persons_received(self) -> list[dict]:
        """Every person of every request, as read (id, userid, demographics, tel, adr, properties …)."""
        return [person for received in self.requests for person in received.persons]

    # HTTP

    def _reply(self, handler, status: int, body: bytes) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", "text/xml; charset=utf-8")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def _handle(self, handler, _method: str = "") -> None:
        raw = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        with self.lock:
            try:
                if handler.path != PATH:
                    raise Fault("soap:Client", f"No service at {handler.path}.")
                if self.raw_answers:
                    self._reply(handler, 200, self.raw_answers.pop(0))
                    return
                status, body = 200, self._process(handler, raw)
            except Fault as fault:
                status, body = fault.status, self._fault(fault)
            except etree.XMLSyntaxError as exc:
                status, body = 500, self._fault(Fault("soap:Client", f"Malformed XML: {exc}"))
        self._reply(handler, status, body)

    @staticmethod
    def _fault(fault: Fault) -> bytes:
        return (
            f'<soap:Envelope xmlns:soap="{SOAP_NS}" xmlns:wsse="{WSSE_NS}"><soap:Body><soap:Fault>'
            f"<faultcode>{fault.code}</faultcode><faultstring>{escape(fault.message)}</faultstring>"
            "</soap:Fault></soap:Body></soap:Envelope>"
        ).encode()

    # SOAP

    def _process(self, handler, raw: bytes) -> bytes:
        if not (handler.headers.get("Content-Type") or "").startswith("text/xml"):
            raise Fault("soap:Client", "SOAP 1.1 requests are text/xml.")
        action = (handler.headers.get("SOAPAction") or "").strip('"')
        if action not in ACTIONS:
            raise Fault("soap:Client", f"Unknown SOAPAction {action!r}.")
        envelope = parse(raw)
        if envelope.tag != f"{{{SOAP_NS}}}Envelope":
            raise Fault("soap:VersionMismatch", "Not a SOAP 1.1 envelope.")
        username = self._authenticate(envelope.find(f"{{{SOAP_NS}}}Header/{{{WSSE_NS}}}Security"))
        if self.faults:
            code, message = self.faults.pop(0)
            raise Fault(code, message)
        body = envelope.find(f"{{{SOAP_NS}}}Body")
        operation = ACTIONS[action]
        call = body.find(f"{{{SERVICE_NS}}}{operation}") if body is not None else None
        if call is None or len(body) != 1:
            raise Fault("soap:Client", f"The Body does not hold {operation} (SOAPAction {action}).")
        enterprise = call.find(q("enterprise"))
        if enterprise is None or len(call) != 1:
            raise Fault("soap:Client", "The operation holds no IMS enterprise element.")
        received = Received(action=action, operation=operation, username=username, body=raw)
        self._check(enterprise, received, single=operation == "ProcessSingleRequest")
        self.requests.append(received)
        if operation == "ProcessRequest":
            job = str(next(self.job_numbers))
            self.jobs[job] = list(received.memberships)
            for course, person, role in [*received.memberships, *received.node_memberships]:
                self.roles[(course, person)] = role
            return self._envelope(
                f'<ProcessRequestResponse xmlns="{SERVICE_NS}"><ProcessRequestResult>{job}</ProcessRequestResult>'
                "</ProcessRequestResponse>"
            )
        return self._single(enterprise, received)

    def _authenticate(self, security) -> str:
        def refuse(message: str):
            raise Fault("wsse:FailedAuthentication", f"The security token could not be authenticated: {message}")

        if security is None:
            refuse("no wsse:Security header")
        self._check_security_header(security)
        token = security.find(f"{{{WSSE_NS}}}UsernameToken")
        if token is None:
            refuse("no UsernameToken")
        username = token.findtext(f"{{{WSSE_NS}}}Username") or ""
        password = token.find(f"{{{WSSE_NS}}}Password")
        nonce = token.findtext(f"{{{WSSE_NS}}}Nonce") or ""
        created = token.findtext(f"{{{WSU_NS}}}Created") or ""
        if password is None or password.get("Type") != DIGEST_TYPE:
            refuse("a PasswordDigest is required")
        if not nonce or not created:
            refuse("Nonce and Created are required")
        try:
            when = datetime.datetime.fromisoformat(created.replace("Z", "+00:00"))
            nonce_bytes = base64.b64decode(nonce, validate=True)
        except ValueError:
            refuse("unreadable Nonce or Created")
        age = (datetime.datetime.now(datetime.UTC) - when).total_seconds()
        if age > self.max_age or age < -60:
            refuse("stale Created")
        if nonce in self.nonces:
            refuse("replayed Nonce")
        if username != self.username or (password.text or "") != password_digest(nonce_bytes, created, self.password):
            refuse("wrong username or password")
        self.nonces.add(nonce)
        return username

    @staticmethod
    def _check_security_header(security) -> None:
        """mustUnderstand="1" on the Security header and a valid, unexpired wsu:Timestamp beside the token."""
        if security.get(f"{{{SOAP_NS}}}mustUnderstand") not in ("1", "true"):
            raise Fault("wsse:InvalidSecurity", 'The Security header must carry soap:mustUnderstand="1".')
        timestamp = security.find(f"{{{WSU_NS}}}Timestamp")
        if timestamp is None:
            raise Fault("wsse:InvalidSecurity", "The Security header holds no wsu:Timestamp.")
        try:
            created = datetime.datetime.fromisoformat(timestamp.findtext(f"{{{WSU_NS}}}Created").replace("Z", "+00:00"))
            expires = datetime.datetime.fromisoformat(timestamp.findtext(f"{{{WSU_NS}}}Expires").replace("Z", "+00:00"))
        except (AttributeError, ValueError):
            raise Fault("wsse:InvalidSecurity", "The wsu:Timestamp needs a readable Created and Expires.") from None
        if created.tzinfo is None or expires.tzinfo is None:
            raise Fault("wsse:InvalidSecurity", "The wsu:Timestamp's Created and Expires must be in UTC.")
        now = datetime.datetime.now(datetime.UTC)
        if expires <= created:
            raise Fault("wsse:InvalidSecurity", "The wsu:Timestamp expires before it is created.")
        if (created - now).total_seconds() > 60:
            raise Fault("wsse:InvalidSecurity", "The wsu:Timestamp is created in the future.")
        if expires <= now:
            raise Fault("wsse:MessageExpired", "The message has expired (wsu:Timestamp Expires has passed).")

    def _check(self, enterprise, received: Received, *, single: bool) -> None:
        names = []
        for child in enterprise:
            if not isinstance(child.tag, str):
                continue
            qname = etree.QName(child)
            if qname.namespace != IMS_NS or qname.localname not in ORDER:
                raise Fault("soap:Client", f"Unexpected element {child.tag} in enterprise.")
            names.append(qname.localname)
        ranks = [ORDER.index(name) for name in names]
        if ranks != sorted(ranks):
            raise Fault("soap:Client", f"Elements out of order: {' '.join(names)}.")
        if names.count("properties") != 1 or names[0] != "properties":
            raise Fault("soap:Client", "enterprise starts with exactly one properties.")
        require(enterprise.find(q("properties")), ["datasource", "datetime"], "properties")
        persons = {}
        for person in enterprise.findall(q("person")):
            require(
                person,
                ["sourcedid/source", "sourcedid/id", "userid", "name/n/family", "name/n/given", "email"],
                "person",
            )
            persons[text(person, "sourcedid/id")] = person
            record = {
                "id": text(person, "sourcedid/id"),
                "userid": text(person, "userid"),
                "password": person.find(q("userid")).get("password"),
                "middle": text(person, "name/n/partname"),
            }
            check_person_details(person, record)
            received.persons.append(record)
        groups: dict[str, str] = {}  # id -> source
        for group in enterprise.findall(q("group")):
            require(group, ["sourcedid/source", "sourcedid/id", "grouptype/typevalue"], "group")
            kind, source, identifier = (
                text(group, "grouptype/typevalue"),
                text(group, "sourcedid/source"),
                text(group, "sourcedid/id"),
            )
            if kind not in ("Call Number", "Enrollable Node"):
                raise Fault("soap:Client", "grouptype/typevalue is Call Number or Enrollable Node.")
            if (kind == "Enrollable Node") != (source == NODE_SOURCE):
                raise Fault("soap:Client", f"An enrollable node's source is {NODE_SOURCE}; only a node's is.")
            if kind == "Enrollable Node" and not SORT_STRING.fullmatch(identifier):
                raise Fault("soap:Client", f"{identifier!r} is no client sort string (e.g. strata.business.).")
            groups[identifier] = source
        for membership in enterprise.findall(q("membership")):
            require(membership, ["sourcedid/source", "sourcedid/id", "member"], "membership")
            course = text(membership, "sourcedid/id")
            if course not in groups:
                raise Fault("soap:Client", f"membership of {course!r} names no group of the document.")
            if text(membership, "sourcedid/source") != groups[course]:
                raise Fault("soap:Client", f"membership of {course!r} names its group with another source.")
            node = groups[course] == NODE_SOURCE
            for member in membership.findall(q("member")):
                require(member, ["sourcedid/source", "sourcedid/id", "role/subrole"], "member")
                person, role = text(member, "sourcedid/id"), text(member, "role/subrole")
                if person not in persons:
                    raise Fault("soap:Client", f"member {person!r} names no person of the document.")
                if not role.isdigit():
                    raise Fault("soap:Client", f"subrole {role!r} is not a role id.")
                (received.node_memberships if node else received.memberships).append((course, person, role))
        memberships = len(received.memberships) + len(received.node_memberships)
        if single and (len(persons) != 1 or len(groups) != 1 or memberships != 1):
            raise Fault("soap:Client", "ProcessSingleRequest takes one person, one group and one membership.")
        if self.schema is not None and not self.schema.validate(enterprise):
            raise Fault("soap:Client", f"Schema: {self.schema.error_log.last_error}")

    def _single(self, enterprise, received: Received) -> bytes:
        answer = etree.fromstring(etree.tostring(enterprise))
        answer.tag = q("ProcessSingleRequestResult")
        person = answer.find(q("person"))
        person_id = text(person, "sourcedid/id")
        if person_id in self.person_errors:
            code, message = self.person_errors[person_id]
            self._extension(person, "Error", code, message)
        else:
            known = person_id in self.persons
            self.persons[person_id] = received.persons[0]
            self._extension(person, "Success", "0", "User updated" if known else "User created")
            course, _, role = (received.memberships or received.node_memberships)[0]
            member_role = answer.find(f"{q('membership')}/{q('member')}/{q('role')}")
            if person_id in self.membership_errors:
                code, message = self.membership_errors[person_id]
                self._extension(member_role, "Error", code, message)
            elif self.roles.get((course, person_id)) != role:
                self.roles[(course, person_id)] = role
                what = "Node" if received.node_memberships else "Course"
                message = f"{what} drop successful" if role == DROPPED else f"{what} enrollment successful"
                self._extension(member_role, "Success", "0", message)
        wrapped = etree.tostring(answer).decode()
        return self._envelope(
            f'<ProcessSingleRequestResponse xmlns="{SERVICE_NS}">{wrapped}</ProcessSingleRequestResponse>'
        )

    def _extension(self, parent, kind: str, code: str, message: str) -> None:
        """The Result, in the form ``result_form`` says (see ``RESULT_FORMS``)."""
        extension = etree.SubElement(parent, q("extension"))
        result = f'<Result xmlns="" type="{kind}"><Code>{code}</Code><Message>{escape(message)}</Message></Result>'
        if self.result_form == "element":
            extension.append(etree.fromstring(result))
        elif self.result_form == "cdata":
            extension.text = etree.CDATA(f" {result} ")
        elif self.result_form == "comment":
            extension.append(etree.Comment(f"[CDATA[ {result} ]]"))
        else:
            extension.text = result

    @staticmethod
    def _envelope(content: str) -> bytes:
        return (
            f'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="{SOAP_NS}">'
            f"<soap:Body>{content}</soap:Body></soap:Envelope>"
        ).encode()


@contextlib.contextmanager
def fake_learningstudio(**options):
    with FakeLearningStudio(**options) as server:
        yield server
