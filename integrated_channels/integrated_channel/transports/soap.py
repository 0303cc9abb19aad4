"""The SOAP transport (zeep) every SOAP channel and connector shares (LearningStudio, Workday).

zeep reads the WSDL (operations, SOAPActions, addresses) and builds each envelope, with the
WS-Security header of ``WSSecurity`` (a zeep ``wsse`` plugin: ``apply`` / ``verify``); the
channel streams its own document into the operation element (``call(operation, write)``), so a
batch of thousands of records is written once, into a file that spills to disk past
``SPOOL_BYTES``, and sent from it. Underneath is the HTTP transport: the same session (zeep's
``Transport`` uses it to load the WSDL), timeouts, rate limit and retry policy — a transient
failure (timeout, broken connection, 429, 5xx, ``soap:Server`` fault) is tried again with a new
envelope (new nonce, Created and Timestamp: services refuse a replayed one).

Answers and WSDLs are parsed with zeep's hardened settings: no DTD, no entity expansion, no
network access, no huge trees; a hostile answer is a ``MalformedResponse`` (decision 0045).

The WSDL, the schemas it imports and every call go only to allowed addresses, through the
guarded session (``GuardedZeepTransport`` below), and no local file is read but those under the
channel's ``wsdl_roots()`` (the WSDL it ships), never a path a configuration names (decision
0151). Faults and answers are redacted with the client's redactor, which the run shares (0150).

zeep itself is imported when a transport is first built (``guarded_zeep_transport``), not with this
module: the system checks import every channel's client to see what it supports, and no process but
the one that calls a SOAP service needs zeep (~4 MB, decision 0575).
"""

from __future__ import annotations

import base64
import datetime
import functools
import hashlib
import logging
import os
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING

import requests
from lxml import etree

from integrated_channels.integrated_channel import addresses
from integrated_channels.integrated_channel.exceptions import (
    ChannelConfigurationError,
    MalformedResponse,
    RemoteServerError,
    SoapAuthenticationFailed,
    SoapClientFault,
    SoapFault,
    SoapServerFault,
    TransmissionError,
)
from integrated_channels.integrated_channel.transports.guard import guard
from integrated_channels.integrated_channel.transports.http import HttpTransport, parse_retry_after

if TYPE_CHECKING:
    import zeep

logger = logging.getLogger(__name__)


@functools.cache
def guarded_zeep_transport() -> type:
    """``GuardedZeepTransport``: zeep's transport on a guarded session, the class made (and zeep
    imported) the first time a SOAP transport is built."""
    from zeep.transports import Transport as ZeepTransport

    class GuardedZeepTransport(ZeepTransport):
        """zeep's transport on a guarded session: the WSDL, the schemas it imports and every call go only to
        allowed URLs; local files only from ``local_roots`` (the WSDL a channel ships), never a path a
        configuration names."""

        def __init__(
            self, *args, local_roots: tuple[Path, ...] = (), session: requests.Session | None = None, **kwargs
        ):
            super().__init__(*args, session=guard(session or requests.Session()), **kwargs)
            self.local_roots = tuple(Path(root).resolve() for root in local_roots)

        def load(self, url):
            if url and "://" not in str(url):
                path = Path(str(url)).resolve()
                if any(path.is_relative_to(root) for root in self.local_roots):
                    return super().load(str(path))
            elif addresses.scheme_allowed(url):
                return super().load(url)
            logger.warning("Refused to load %r: only the shipped WSDL or an allowed URL is read", url)
            raise addresses.AddressRefused()

    return GuardedZeepTransport


WSSE_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
TOKEN_PROFILE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0"  # noqa: S105
PASSWORD_DIGEST = f"{TOKEN_PROFILE}#PasswordDigest"
PASSWORD_TEXT = f"{TOKEN_PROFILE}#PasswordText"
BASE64_BINARY = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"
SOAP11_NS = "http://schemas.xmlsoap.org/soap/envelope/"
#: Fault codes of WS-Security (OASIS WSS 1.0 §12) and of .NET's WSE: the header was refused.
SECURITY_FAULTS = frozenset(
    {
        "FailedAuthentication",
        "InvalidSecurity",
        "InvalidSecurityToken",
        "UnsupportedSecurityToken",
        "SecurityTokenUnavailable",
        "MessageExpired",
        "FailedCheck",
    }
)
MARKER = "\u2063document\u2063"
SPOOL_BYTES = 1024 * 1024
SUMMARY_LIMIT = 500


def hardened_settings() -> zeep.Settings:
    import zeep

    return zeep.Settings(strict=False, forbid_dtd=True, forbid_entities=True, forbid_external=True, xml_huge_tree=False)


def utc_timestamp(moment: datetime.datetime) -> str:
    """xsd:dateTime in UTC with milliseconds and a Z, as WS-Security writes it."""
    moment = moment.astimezone(datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def password_digest(nonce: bytes, created: str, password: str) -> str:
    """Base64(SHA-1(nonce + created + password)), the UsernameToken profile's PasswordDigest."""
    return base64.b64encode(hashlib.sha1(nonce + created.encode() + password.encode()).digest()).decode()  # noqa: S324


class WSSecurity:
    """The ``wsse:Security`` header: a ``wsu:Timestamp`` then a ``UsernameToken``, ``mustUnderstand="1"``.

    A zeep ``wsse`` plugin (zeep calls ``apply`` on every envelope it creates). ``digest=True``:
    PasswordDigest with a fresh random Nonce and Created (LearningStudio); ``False``: PasswordText
    (Workday's integration users). The Timestamp's Expires is ``timestamp_lifetime`` seconds after
    its Created. ``now`` and ``nonce`` can be replaced (tests).
    """

    def __init__(
        self,
        username: str,
        password: str,
        *,
        digest: bool = True,
        timestamp_lifetime: float = 300,
        now: Callable[[], datetime.datetime] = lambda: datetime.datetime.now(datetime.UTC),
        nonce: Callable[[], bytes] = lambda: os.urandom(16),
    ):
        if timestamp_lifetime <= 0:
            raise ChannelConfigurationError("The WS-Security Timestamp lifetime must be positive.")
        self.username = username
        self.password = password
        self.digest = digest
        self.timestamp_lifetime = float(timestamp_lifetime)
        self.now = now
        self.nonce = nonce

    def __repr__(self):  # never the password
        return f"<WSSecurity {self.username!r} {'digest' if self.digest else 'text'}>"

    def apply(self, envelope, headers):
        soap_ns = etree.QName(envelope).namespace
        header = envelope.find(f"{{{soap_ns}}}Header")
        if header is None:
            header = etree.Element(f"{{{soap_ns}}}Header")
            envelope.insert(0, header)
        for old in header.findall(f"{{{WSSE_NS}}}Security"):
            header.remove(old)
        security = etree.SubElement(header, f"{{{WSSE_NS}}}Security", nsmap={"wsse": WSSE_NS, "wsu": WSU_NS})
        security.set(f"{{{soap_ns}}}mustUnderstand", "1")
        created = self.now()
        created_text = utc_timestamp(created)
        timestamp = etree.SubElement(security, f"{{{WSU_NS}}}Timestamp", {f"{{{WSU_NS}}}Id": f"TS-{uuid.uuid4().hex}"})
        etree.SubElement(timestamp, f"{{{WSU_NS}}}Created").text = created_text
        expires = created + datetime.timedelta(seconds=self.timestamp_lifetime)
        etree.SubElement(timestamp, f"{{{WSU_NS}}}Expires").text = utc_timestamp(expires)
        token = etree.SubElement(
            security, f"{{{WSSE_NS}}}UsernameToken", {f"{{{WSU_NS}}}Id": f"UsernameToken-{uuid.uuid4().hex}"}
        )
        etree.SubElement(token, f"{{{WSSE_NS}}}Username").text = self.username
        password = etree.SubElement(token, f"{{{WSSE_NS}}}Password")
        if self.digest:
            nonce = self.nonce()
            password.set("Type", PASSWORD_DIGEST)
            password.text = password_digest(nonce, created_text, self.password)
            etree.SubElement(token, f"{{{WSSE_NS}}}Nonce", {"EncodingType": BASE64_BINARY}).text = base64.b64encode(
                nonce
            ).decode()
            etree.SubElement(token, f"{{{WSU_NS}}}Created").text = created_text
        else:
            password.set("Type", PASSWORD_TEXT)
            password.text = self.password
        return envelope, headers

    def verify(self, envelope):
        """Answers carry no security header to check (the services sign nothing)."""
        return envelope


class SoapTransport(HttpTransport):
    """A SOAP 1.1 service described by a WSDL. Subclasses say where, and map records to documents."""

    accept = "text/xml"
    #: The ``{namespace}Name`` of the WSDL binding the channel calls.
    binding = ""

    def __init__(self, configuration, **kwargs):
        super().__init__(configuration, **kwargs)
        self.settings = hardened_settings()
        # Only allowed addresses, and no local file but the channel's own WSDL (decision 0151).
        self.zeep_transport = guarded_zeep_transport()(
            session=self.session,
            timeout=self.timeout[0],
            operation_timeout=self.timeout,
            local_roots=self.wsdl_roots(),
        )
        self._zeep = None

    # Hooks

    def wsdl_location(self) -> str:
        raise NotImplementedError

    def wsdl_roots(self) -> tuple[Path, ...]:
        """The folders of the WSDL files the channel ships: the only local files read (none by default)."""
        return ()

    def endpoint(self) -> str:
        raise NotImplementedError

    def security(self) -> WSSecurity | None:
        """The WS-Security header of every request (None: none)."""
        return None

    # zeep

    @property
    def zeep(self) -> zeep.Client:
        if self._zeep is None:
            import zeep

            location = self.wsdl_location()
            try:
                self._zeep = zeep.Client(
                    location, transport=self.zeep_transport, settings=self.settings, wsse=self.security()
                )
            except ChannelConfigurationError:  # an address or a file that is not allowed (AddressRefused)
                raise
            except Exception as exc:  # an unreachable URL, not a WSDL: nothing can be sent
                # The detail (which may name a local path or an internal host) only in the server log.
                logger.warning(
                    "Configuration %s: the WSDL %s could not be loaded: %s",
                    self.configuration.pk,
                    self.redact(str(location)),
                    self.redact(f"{type(exc).__name__}: {exc}"),
                )
                raise ChannelConfigurationError(
                    "The WSDL could not be loaded (could not connect, or not a WSDL): check the WSDL location."
                ) from exc
        return self._zeep

    def soap_action(self, operation: str) -> str:
        return self.zeep.wsdl.bindings[self.binding]._operations[operation].soapaction

    def message(self, operation: str, write: Callable[[IO[bytes]], None]) -> tuple[bytes | IO[bytes], str]:
        """zeep's envelope of ``operation`` (security header included) with ``write(out)`` streamed into it.

        The request is written to a file that stays in memory up to ``SPOOL_BYTES`` (then returned
        as bytes) and spills to disk past it (then returned as that file, rewound, for the caller to
        send from and close).
        """
        client = self.zeep
        service = client.create_service(self.binding, self.endpoint())
        envelope = client.create_message(service, operation)
        body = envelope.find(f"{{{etree.QName(envelope).namespace}}}Body")
        operation_element = body[0] if body is not None and len(body) else None
        if operation_element is None:
            raise ChannelConfigurationError(f"The WSDL's {operation} has no request element.")
        operation_element.text = MARKER
        head, tail = etree.tostring(envelope, encoding="unicode").split(MARKER)
        out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 (closed by ``call``)
        out.write(head.encode())
        write(out)
        out.write(tail.encode())
        size = out.tell()
        out.seek(0)
        if size <= SPOOL_BYTES:
            with out:
                return out.read(), self.soap_action(operation)
        return out, self.soap_action(operation)

    # Calls

    def call(self, operation: str, write: Callable[[IO[bytes]], None]):
        """POST one operation with the document ``write`` streams; the parsed SOAP Body, or a typed error.

        Each try builds a new envelope (a new nonce, Created and Timestamp).
        """

        def attempt():
            message, action = self.message(operation, write)
            try:
                return self.post(message, action)
            finally:
                if not isinstance(message, bytes):
                    message.close()

        return self.retrying(attempt)

    def post(self, message: IO[bytes] | bytes, action: str):
        """One try: the parsed SOAP Body of a 2xx answer, or a typed error."""
        headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{action}"'}
        response = self.attempt("POST", self.endpoint(), data=message, headers=headers)
        body = self.soap_body(response)
        if body is None:
            raise self._not_soap(response)
        fault = body.find(f"{{{SOAP11_NS}}}Fault")
        if fault is not None:
            raise self.fault(fault, **self._http(response))
        return body

    def error_for(self, response: requests.Response) -> TransmissionError:
        """An error status: a SOAP fault when the answer holds one, else what the HTTP status says."""
        if response.status_code == 429:  # a gateway's answer, not the service's: no SOAP in it
            return super().error_for(response)
        body = self.soap_body(response)
        if body is None:
            return self._not_soap(response)
        fault = body.find(f"{{{SOAP11_NS}}}Fault")
        if fault is None:
            return SoapServerFault(f"HTTP {response.status_code} without a fault", **self._http(response))
        return self.fault(fault, **self._http(response))

    def _http(self, response: requests.Response) -> dict:
        return {
            "status_code": response.status_code,
            "url": response.url,
            "response_summary": self.redact(response.text)[:SUMMARY_LIMIT],
            "response": response,
        }

    def parse(self, content: bytes):
        """An XML document parsed with the hardened settings; a hostile one is a ``MalformedResponse``."""
        from zeep.exceptions import DTDForbidden, EntitiesForbidden
        from zeep.loader import parse_xml

        try:
            return parse_xml(content, self.zeep_transport, settings=self.settings)
        except (DTDForbidden, EntitiesForbidden) as exc:
            raise MalformedResponse(f"Refused a hostile answer ({type(exc).__name__})") from exc

    def soap_body(self, response: requests.Response):
        """The answer's SOAP Body, None when the answer is no SOAP envelope; hostile XML is refused."""
        try:
            document = self.parse(response.content)
        except MalformedResponse as exc:
            exc.status_code, exc.url = response.status_code, response.url
            raise
        except Exception:  # not XML at all: the caller says what the answer was
            return None
        return document.find(f"{{{SOAP11_NS}}}Body")

    def _not_soap(self, response: requests.Response) -> TransmissionError:
        """An answer that is no SOAP envelope: a server error page (5xx, tried again) or malformed."""
        status, excerpt = response.status_code, self.excerpt(response)
        http = self._http(response)
        if status >= 500:
            return RemoteServerError(
                f"{self.name} answered HTTP {status}: {excerpt}",
                remote_message=excerpt,
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
                **http,
            )
        http.pop("response")
        return MalformedResponse(f"{self.name} answered HTTP {status} without a SOAP envelope: {excerpt}", **http)

    def fault(self, fault, **kwargs) -> SoapFault:
        code = (fault.findtext("faultcode") or "").strip()
        text = self.redact((fault.findtext("faultstring") or "").strip())
        local = code.rpartition(":")[2]
        if local in SECURITY_FAULTS or "authentication" in text.lower():
            error = SoapAuthenticationFailed
        elif local in ("Server", "Receiver"):
            error = SoapServerFault
        else:
            error = SoapClientFault
        return error(fault_code=code, fault_string=text, **kwargs)
