"""LearningStudio client: zeep (WSDL, WS-Security UsernameToken PasswordDigest) and the IMS document.

zeep reads the WSDL (the operation, its SOAPAction and address) and builds the envelope with its
WS-Security header; the ``enterprise`` element, built by ``ims``, is written into the operation
element as typed XML in the IMS namespace (streamed, not as a zeep object tree). Answers are
parsed with zeep's hardened settings (no DTD, no entities, no huge trees).

- One record: ``ProcessSingleRequest``; the ``Result`` (type, Code, Message) under
  person/extension and membership/member/role/extension decides that learner's outcome. A
  membership without an extension means the learner already had that role: success.
- Several: ``ProcessRequest`` (split at ``memberships_per_request``); the answer is a job id, kept
  on a ``LearningStudioJob`` of the run and in the audit summary of each record it carried.
"""

from __future__ import annotations

import datetime
import io
import logging
import secrets
from pathlib import Path

import requests
import zeep
from django.utils import timezone
from lxml import etree
from zeep.exceptions import DTDForbidden, EntitiesForbidden
from zeep.loader import parse_xml
from zeep.wsse.username import UsernameToken

from enterprise import redaction
from integrated_channels.integrated_channel.addresses import AddressRefused
from integrated_channels.integrated_channel.app_settings import channel_settings
from integrated_channels.integrated_channel.exceptions import (
    ChannelConfigurationError,
    MalformedResponse,
    RateLimited,
    RemoteConnectionError,
    RemoteServerError,
    RemoteTimeout,
    TransmissionError,
)
from integrated_channels.integrated_channel.transports.base import ChannelClient, Outcome
from integrated_channels.integrated_channel.transports.guard import GuardedZeepTransport
from integrated_channels.integrated_channel.transports.http import parse_retry_after
from integrated_channels.learningstudio import ims
from integrated_channels.learningstudio.exceptions import (
    InvalidPersonData,
    ResultFailed,
    SoapAuthenticationFailed,
    SoapClientFault,
    SoapFault,
    SoapServerFault,
)

SERVICE_NS = "http://CampusApi.eCollege.com/UserManagement/V1_6"
BINDING = f"{{{SERVICE_NS}}}UserManagementSoap"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SINGLE, BATCH = "ProcessSingleRequest", "ProcessRequest"
MARKER = "\u2063enterprise\u2063"
SUMMARY_LIMIT = 500
DEFAULT_RETRY_AFTER = 60.0  # wait before retrying a 429 that carries no Retry-After (as HttpTransport)

#: Where the WSDL this channel ships lives: the only local files the client reads.
WSDL_DIR = Path(__file__).resolve().parent / "wsdl"

logger = logging.getLogger(__name__)


def hardened_settings() -> zeep.Settings:
    return zeep.Settings(strict=False, forbid_dtd=True, forbid_entities=True, forbid_external=True, xml_huge_tree=False)


class LearningStudioClient(ChannelClient):
    name = "Pearson LearningStudio"

    def __init__(self, configuration, **kwargs):
        super().__init__(configuration, **kwargs)
        self.settings = hardened_settings()
        self.session = requests.Session()
        timeout = (float(channel_settings.CONNECT_TIMEOUT), float(channel_settings.READ_TIMEOUT))
        # Only allowed addresses, and no local file but the shipped WSDL (decision 0151).
        self.transport = GuardedZeepTransport(
            session=self.session, timeout=timeout[0], operation_timeout=timeout, local_roots=(WSDL_DIR,)
        )
        self.redactor = redaction.for_configuration(configuration)
        self.job_ids: list[str] = []
        self._zeep = None

    @property
    def zeep(self) -> zeep.Client:
        if self._zeep is None:
            config = self.configuration
            try:
                self._zeep = zeep.Client(
                    config.wsdl,
                    transport=self.transport,
                    settings=self.settings,
                    wsse=UsernameToken(config.sis_username, config.sis_password, use_digest=True),
                )
            except AddressRefused:
                raise
            except Exception as exc:  # an unreachable URL, not a WSDL: nothing can be sent
                # The detail (which may name a local path or an internal host) only in the server log.
                logger.warning(
                    "Configuration %s: the WSDL %s could not be loaded: %s",
                    config.pk,
                    config.wsdl,
                    self.redact(f"{type(exc).__name__}: {exc}"),
                )
                raise ChannelConfigurationError(
                    "The WSDL could not be loaded (could not connect, or not a WSDL): check the WSDL location."
                ) from exc
        return self._zeep

    def learner_batch_size(self) -> int:
        return self.configuration.memberships_per_request

    def close(self) -> None:
        self.session.close()

    # Sending

    def send_learner_data(self, records):
        """Records with bad attributes fail here, unsent; the others go one ``ProcessSingleRequest`` each
        (up to ``batch_threshold`` records) or in ``ProcessRequest`` batches."""
        outcomes = [self._invalid(record) for record in records if record.payload.get("errors")]
        records = [record for record in records if not record.payload.get("errors")]
        if records and len(records) <= self.configuration.batch_threshold:
            return [*outcomes, *(self._send_single(record) for record in records)]
        for chunk in ims.split(records, self.configuration.memberships_per_request):
            outcomes += self._send_batch(chunk)
        return outcomes

    @staticmethod
    def _invalid(record) -> Outcome:
        message = f"Not sent: {record.username or record.user_id}: " + " ".join(record.payload["errors"])
        error = InvalidPersonData(message[:SUMMARY_LIMIT], response_summary="not sent")
        return Outcome(record, error=error, response_summary=error.message)

    def _send_single(self, record) -> Outcome:
        try:
            body = self.call(SINGLE, [record])
            person, membership = self.single_results(body)
        except SoapAuthenticationFailed:
            raise
        except TransmissionError as exc:
            return self._failed([record], exc)[0]
        if person is not None and person[0] != "Success":
            return self._failed([record], self._result_error("person", person))[0]
        if membership is not None and membership[0] != "Success":
            return self._failed([record], self._result_error("membership", membership))[0]
        parts = [f"person: {person[0]} {person[1]} {person[2]}".strip()] if person else []
        parts.append(
            f"membership: {membership[0]} {membership[1]} {membership[2]}" if membership else "already enrolled"
        )
        return Outcome(record, status_code=200, response_summary="; ".join(parts)[:SUMMARY_LIMIT])

    def _send_batch(self, records) -> list[Outcome]:
        try:
            body = self.call(BATCH, records)
            job_id = self.job_id(body)
        except SoapAuthenticationFailed:
            raise
        except TransmissionError as exc:
            return self._failed(records, exc)
        self.job_ids.append(job_id)
        self.record_job(job_id, len(records))
        return [Outcome(record, status_code=200, response_summary=f"queued as job {job_id}") for record in records]

    def record_job(self, job_id: str, memberships: int) -> None:
        from integrated_channels.learningstudio.models import LearningStudioJob

        LearningStudioJob.objects.get_or_create(
            configuration_id=self.configuration.pk,
            job_id=job_id,
            defaults={"run": getattr(self, "run", None), "memberships": memberships},
        )

    # The SOAP call

    def envelope(self, operation: str, records, *, when: datetime.datetime | None = None) -> tuple[bytes, str]:
        """The request of ``records`` (zeep's envelope around our enterprise) and its SOAPAction."""
        passwords = {} if self.configuration.auto_generated_passwords else self.passwords(records)
        payloads = [record.payload for record in records]
        return self.message(
            operation,
            lambda out: ims.write_enterprise(out, payloads, **self.document_options(when), passwords=passwords),
        )

    def document_options(self, when: datetime.datetime | None = None) -> dict:
        config = self.configuration
        return {"source": config.client_string, "datasource": config.datasource, "when": when or timezone.now()}

    def message(self, operation: str, write) -> tuple[bytes, str]:
        """zeep builds the envelope (WS-Security header included); ``write(out)`` streams the enterprise into it."""
        client = self.zeep
        service = client.create_service(BINDING, self.configuration.endpoint_url)
        envelope = client.create_message(service, operation)
        operation_element = envelope.find(f"{{{SOAP_ENV}}}Body/{{{SERVICE_NS}}}{operation}")
        operation_element.text = MARKER
        head, tail = etree.tostring(envelope, encoding="unicode").split(MARKER)
        out = io.BytesIO()
        out.write(head.encode())
        write(out)
        out.write(tail.encode())
        action = client.wsdl.bindings[BINDING]._operations[operation].soapaction
        return out.getvalue(), action

    @staticmethod
    def passwords(records) -> dict[str, str]:
        """A random initial password for learners created by this request (never stored)."""
        return {
            record.payload["person"]["id"]: secrets.token_urlsafe(12) for record in records if record.previous is None
        }

    def call(self, operation: str, records):
        """POST one operation with the document of ``records``; the parsed SOAP Body, or a typed error.

        A transient failure (timeout, refused or broken connection, 429, 5xx, ``soap:Server``
        fault) is tried again up to ``MAX_RETRIES`` times, waiting what a ``Retry-After`` asks
        (else ``DEFAULT_RETRY_AFTER`` for a 429, else ``BACKOFF_SECONDS`` doubling); a wait longer
        than ``MAX_RETRY_WAIT`` is not waited for. Each try is a new envelope (a new nonce and
        Created: the service refuses a replayed one).
        """
        retries = max(int(channel_settings.MAX_RETRIES), 0)
        backoff = float(channel_settings.BACKOFF_SECONDS)
        for attempt in range(retries + 1):
            try:
                return self.post(*self.envelope(operation, records))
            except TransmissionError as exc:
                if not exc.transient or isinstance(exc, SoapAuthenticationFailed) or attempt == retries:
                    raise
                delay = getattr(exc, "retry_after", None)
                if delay is None:
                    delay = DEFAULT_RETRY_AFTER if isinstance(exc, RateLimited) else backoff * 2**attempt
                if delay > float(channel_settings.MAX_RETRY_WAIT):
                    raise
                self.wait(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def redact(self, text: str) -> str:
        return self.redactor(text)

    def excerpt(self, response, length: int = 200) -> str:
        return redaction.excerpt(response.text, self.redactor, length)

    def log_failure(self, url: str, exc: Exception) -> None:
        logger.info("%s: %s %s failed: %s", self.name, url, type(exc).__name__, self.redact(str(exc)))

    def post(self, message: bytes, action: str):
        """POST one request; the parsed SOAP Body, or a typed error."""
        headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{action}"'}
        url = self.configuration.endpoint_url
        self.calls += 1
        try:
            response = self.transport.post(url, message, headers)
        # The network library's words (addresses, ports, errno) only in the server log (decision 0151).
        except requests.Timeout as exc:
            self.log_failure(url, exc)
            raise RemoteTimeout(f"{self.name} did not answer in time.", url=url) from exc
        except requests.ConnectionError as exc:
            self.log_failure(url, exc)
            raise RemoteConnectionError(f"{self.name} could not be reached (could not connect).", url=url) from exc
        except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError) as exc:
            self.log_failure(url, exc)
            raise RemoteConnectionError(
                self.redact(f"{self.name} broke the connection while answering: {exc}"), url=url
            ) from exc
        status = response.status_code
        summary = self.redact(response.text)[:SUMMARY_LIMIT]
        http = {"status_code": status, "url": url, "response_summary": summary, "response": response}
        if status == 429:  # a gateway's answer, not the service's: no SOAP in it
            raise RateLimited(
                f"{self.name} answered HTTP 429: {self.excerpt(response)}",
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
                remote_message=self.excerpt(response),
                **http,
            )
        try:
            document = parse_xml(response.content, self.transport, settings=self.settings)
        except (DTDForbidden, EntitiesForbidden) as exc:
            raise MalformedResponse(
                f"Refused a hostile answer ({type(exc).__name__})",
                status_code=status,
                url=url,
            ) from exc
        except Exception as exc:
            raise self._not_soap(response, http) from exc
        body = document.find(f"{{{SOAP_ENV}}}Body")
        if body is None:
            raise self._not_soap(response, http)
        fault = body.find(f"{{{SOAP_ENV}}}Fault")
        if fault is not None:
            raise self.fault(fault, self.redact, status_code=status, url=url, response_summary=summary)
        if status >= 400:
            raise SoapServerFault(f"HTTP {status} without a fault", status_code=status)
        return body

    def _not_soap(self, response, http: dict) -> TransmissionError:
        """An answer that is no SOAP envelope: a server error page (5xx, tried again) or malformed."""
        status, excerpt = response.status_code, self.excerpt(response)
        if status >= 500:
            error = RemoteServerError(f"{self.name} answered HTTP {status}: {excerpt}", remote_message=excerpt, **http)
            error.retry_after = parse_retry_after(response.headers.get("Retry-After"))
            return error
        http.pop("response")
        return MalformedResponse(f"{self.name} answered HTTP {status} without a SOAP envelope: {excerpt}", **http)

    @staticmethod
    def fault(fault, redact, **kwargs) -> SoapFault:
        code = (fault.findtext("faultcode") or "").strip()
        text = redact((fault.findtext("faultstring") or "").strip())
        local = code.rpartition(":")[2]
        if local == "FailedAuthentication" or "authentication" in text.lower():
            error = SoapAuthenticationFailed
        elif local == "Server":
            error = SoapServerFault
        else:
            error = SoapClientFault
        return error(fault_code=code, fault_string=text, **kwargs)

    # Answers

    def job_id(self, body) -> str:
        result = body.find(f"{{{SERVICE_NS}}}ProcessRequestResponse/{{{SERVICE_NS}}}ProcessRequestResult")
        if result is None or not (result.text or "").strip().lstrip("-").isdigit():
            raise MalformedResponse("ProcessRequest answered no job id.")
        return result.text.strip()

    def single_results(self, body):
        """(type, Code, Message) of the person and of the membership; None where there is no extension."""
        enterprise = body.find(f"{{{SERVICE_NS}}}ProcessSingleRequestResponse/{ims.q('ProcessSingleRequestResult')}")
        if enterprise is None:
            raise MalformedResponse("ProcessSingleRequest answered no enterprise.")
        person = self._result_extension(enterprise.findall(f"{ims.q('person')}/{ims.q('extension')}"))
        membership = self._result_extension(
            enterprise.findall("/".join(ims.q(name) for name in ("membership", "member", "role", "extension")))
        )
        return self.result(person), self.result(membership)

    @staticmethod
    def _result_extension(extensions):
        """The extension holding the Result: the person's own (personproperty) extension may be echoed too."""
        for extension in extensions:
            if any(isinstance(child.tag, str) and etree.QName(child).localname == "Result" for child in extension):
                return extension
            if not any(isinstance(child.tag, str) for child in extension) and "".join(extension.itertext()).strip():
                return extension
        return None

    def result(self, extension) -> tuple[str, str, str] | None:
        if extension is None:
            return None
        element = next((child for child in extension if etree.QName(child).localname == "Result"), None)
        if element is None:
            text = "".join(extension.itertext()).strip()
            if not text:
                return None
            text = text.removeprefix("<![CDATA[").removesuffix("]]>").strip()
            try:
                element = parse_xml(text.encode(), self.transport, settings=self.settings)
            except (DTDForbidden, EntitiesForbidden) as exc:
                raise MalformedResponse(f"Refused a hostile Result ({type(exc).__name__})") from exc
            except Exception as exc:
                raise MalformedResponse("An extension holds no readable Result.") from exc
        return (
            element.get("type", ""),
            (element.findtext("Code") or "").strip(),
            (element.findtext("Message") or "").strip(),
        )

    @staticmethod
    def _result_error(what: str, result) -> ResultFailed:
        kind, code, message = result
        return ResultFailed(
            f"LearningStudio refused the {what}: {code} {message}".strip(),
            result_code=code,
            remote_message=message,
            response_summary=f"{what}: {kind} {code} {message}",
            status_code=200,
        )

    @staticmethod
    def _failed(records, error: TransmissionError) -> list[Outcome]:
        return [
            Outcome(record, error=error, status_code=error.status_code, response_summary=error.response_summary)
            for record in records
        ]
