"""LearningStudio client: mapping code on the framework's SOAP transport (``transports.soap``).

The transport (zeep, the WSDL, the WS-Security header the campus expects — ``mustUnderstand="1"``,
a ``wsu:Timestamp`` and a UsernameToken with PasswordDigest —, the shared HTTP session, timeouts,
retries and hardened parsing) sends the ``enterprise`` document that ``ims`` streams into the
operation element as typed XML in the IMS namespace. This module only decides what to send and
reads the answers:

- One record: ``ProcessSingleRequest``; the ``Result`` (type, Code, Message) under
  person/extension and membership/member/role/extension decides that learner's outcome. A
  membership without an extension means the learner already had that role: success.
- Several: ``ProcessRequest`` (split at ``memberships_per_request``); the answer is a job id, kept
  on a ``LearningStudioJob`` of the run and in the audit summary of each record it carried.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
import secrets
from pathlib import Path

from django.utils import timezone
from lxml import etree

from integrated_channels.integrated_channel.exceptions import MalformedResponse, TransmissionError
from integrated_channels.integrated_channel.exporters.records import PreviousAttempt
from integrated_channels.integrated_channel.transports.base import Outcome, failed, succeeded
from integrated_channels.integrated_channel.transports.soap import SoapTransport, WSSecurity
from integrated_channels.learningstudio import ims
from integrated_channels.learningstudio.exceptions import InvalidPersonData, ResultFailed, SoapAuthenticationFailed

SERVICE_NS = "http://CampusApi.eCollege.com/UserManagement/V1_6"
BINDING = f"{{{SERVICE_NS}}}UserManagementSoap"
SINGLE, BATCH = "ProcessSingleRequest", "ProcessRequest"
SUMMARY_LIMIT = 500
#: A node's single request sends no password (``passwords`` sends one to learners without a previous attempt).
NODE_CALL = PreviousAttempt("", "node", 0)

#: Where the WSDL this channel ships lives: the only local files the client reads (decision 0151).
WSDL_DIR = Path(__file__).resolve().parent / "wsdl"


#: The seed's sample answer prints each Result as ``<!--[CDATA[ <Result …/> ]]-->``: a comment to an XML
#: parser (which drops comments), read as the CDATA section it stands for.
COMMENTED_CDATA = re.compile(rb"<!--\[CDATA\[(.*?)\]\]-->", re.DOTALL)


def extension_text(extension) -> str:
    """The Result an ``extension`` holds as a string: escaped text, a CDATA section, or a CDATA section
    wrapped once more in its text (``<![CDATA[…]]>`` as characters)."""
    text = "".join(extension.itertext()).strip()
    return text.removeprefix("<![CDATA[").removesuffix("]]>").strip()


class LearningStudioClient(SoapTransport):
    name = "Pearson LearningStudio"
    binding = BINDING

    def __init__(self, configuration, **kwargs):
        super().__init__(configuration, **kwargs)
        self.job_ids: list[str] = []

    def wsdl_location(self) -> str:
        return self.configuration.wsdl

    def wsdl_roots(self) -> tuple[Path, ...]:
        return (WSDL_DIR,)

    def endpoint(self) -> str:
        return self.configuration.endpoint_url

    def parse(self, content: bytes):
        return super().parse(COMMENTED_CDATA.sub(rb"<![CDATA[\1]]>", content))

    def security(self) -> WSSecurity:
        config = self.configuration
        return WSSecurity(
            config.sis_username, config.sis_password, digest=True, timestamp_lifetime=config.timestamp_lifetime
        )

    def learner_batch_size(self) -> int:
        return self.configuration.memberships_per_request

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
        """The learner's enrollable nodes first (one ``ProcessSingleRequest`` each: it takes one group), then
        the course."""
        parts = []
        for sort_string in record.payload.get("nodes", ()):
            payload = {"person": record.payload["person"], "node": sort_string, "role": record.payload["node_role"]}
            # the password, when sent, goes with the course's request
            node = dataclasses.replace(record, payload=payload, previous=record.previous or NODE_CALL)
            outcome, part = self._single_call(node, f"node {sort_string}", already="already in the node")
            if outcome is not None:
                return dataclasses.replace(outcome, record=record)
            parts.append(part)
        course = record
        if "nodes" in record.payload:
            payload = {key: value for key, value in record.payload.items() if key not in ("nodes", "node_role")}
            course = dataclasses.replace(record, payload=payload)
        outcome, part = self._single_call(course, "membership", already="already enrolled")
        if outcome is not None:
            return dataclasses.replace(outcome, record=record)
        parts.append(part)
        return Outcome(record, status_code=200, response_summary="; ".join(parts)[:SUMMARY_LIMIT])

    def _single_call(self, record, what: str, *, already: str) -> tuple[Outcome | None, str]:
        """(a failed outcome, "") or (None, what the answer says: the person's Result, then the membership's)."""
        try:
            body = self.send(SINGLE, [record])
            person, membership = self.single_results(body)
        except SoapAuthenticationFailed:
            raise
        except TransmissionError as exc:
            return failed([record], exc)[0], ""
        if person is not None and person[0] != "Success":
            return failed([record], self._result_error("person", person))[0], ""
        if membership is not None and membership[0] != "Success":
            return failed([record], self._result_error(what, membership))[0], ""
        parts = [f"person: {person[0]} {person[1]} {person[2]}".strip()] if person else []
        parts.append(f"{what}: {membership[0]} {membership[1]} {membership[2]}" if membership else already)
        return None, "; ".join(parts)

    def _send_batch(self, records) -> list[Outcome]:
        try:
            body = self.send(BATCH, records)
            job_id = self.job_id(body)
        except SoapAuthenticationFailed:
            raise
        except TransmissionError as exc:
            return failed(records, exc)
        self.job_ids.append(job_id)
        self.record_job(job_id, len(records))
        return succeeded(records, status_code=200, summary=f"queued as job {job_id}")

    def record_job(self, job_id: str, memberships: int) -> None:
        from integrated_channels.learningstudio.models import LearningStudioJob

        LearningStudioJob.objects.get_or_create(
            configuration_id=self.configuration.pk,
            job_id=job_id,
            defaults={"run": getattr(self, "run", None), "memberships": memberships},
        )

    # The SOAP call

    def send(self, operation: str, records, *, when: datetime.datetime | None = None):
        """Call ``operation`` with the document of ``records``; the parsed SOAP Body, or a typed error."""
        passwords = {} if self.configuration.auto_generated_passwords else self.passwords(records)
        payloads = [record.payload for record in records]
        options = self.document_options(when)
        return self.call(operation, lambda out: ims.write_enterprise(out, payloads, **options, passwords=passwords))

    def document_options(self, when: datetime.datetime | None = None) -> dict:
        config = self.configuration
        return {"source": config.client_string, "datasource": config.datasource, "when": when or timezone.now()}

    @staticmethod
    def passwords(records) -> dict[str, str]:
        """A random initial password for learners created by this request (never stored)."""
        return {
            record.payload["person"]["id"]: secrets.token_urlsafe(12) for record in records if record.previous is None
        }

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
            if not any(isinstance(child.tag, str) for child in extension) and extension_text(extension):
                return extension
        return None

    def result(self, extension) -> tuple[str, str, str] | None:
        if extension is None:
            return None
        element = next((child for child in extension if etree.QName(child).localname == "Result"), None)
        if element is None:
            text = extension_text(extension)
            if not text:
                return None
            try:
                element = self.parse(text.encode())
            except MalformedResponse as exc:
                raise MalformedResponse(exc.message.replace("hostile answer", "hostile Result")) from exc
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
