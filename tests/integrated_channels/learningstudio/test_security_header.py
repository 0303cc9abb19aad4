"""The SOAP transport: the WS-Security header of the LearningStudio sample (mustUnderstand, Timestamp,
UsernameToken digest), checked by the strict fake campus, and streamed documents."""

from __future__ import annotations

import base64
import datetime

import pytest
from lxml import etree
from zeep.wsse.username import UsernameToken

from integrated_channels.integrated_channel.exceptions import AuthenticationFailed, SoapAuthenticationFailed
from integrated_channels.integrated_channel.exporters.records import Record
from integrated_channels.integrated_channel.models import Run
from integrated_channels.integrated_channel.transports import soap
from integrated_channels.integrated_channel.transports.soap import (
    PASSWORD_DIGEST,
    PASSWORD_TEXT,
    WSSE_NS,
    WSU_NS,
    WSSecurity,
    password_digest,
)
from integrated_channels.learningstudio.client import BATCH, LearningStudioClient
from tests.fakes.learningstudio import SOAP_NS
from tests.integrated_channels.learningstudio.conftest import SIS_PASSWORD

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 12, 7, 9, 30, 0, 250000, tzinfo=datetime.UTC)


def record(person: str, course: str = "Spr14_Math_101") -> Record:
    payload = {
        "person": {"id": person, "userid": f"user{person}", "given": "Arthur", "family": "Dent", "email": "a@x.org"},
        "course": course,
        "role": 2,
    }
    return Record(course_id=course, payload=payload, payload_hash=person, username=f"user{person}")


def security_of(envelope) -> etree._Element:
    return envelope.find(f"{{{SOAP_NS}}}Header/{{{WSSE_NS}}}Security")


def applied(security: WSSecurity) -> etree._Element:
    envelope = etree.fromstring(f'<e:Envelope xmlns:e="{SOAP_NS}"><e:Body/></e:Envelope>'.encode())
    envelope, _ = security.apply(envelope, {})
    return security_of(envelope)


def test_the_header_is_the_samples_timestamp_then_token_with_must_understand():
    security = applied(WSSecurity("sis-user", "pw", timestamp_lifetime=120, now=lambda: NOW, nonce=lambda: b"n" * 16))

    assert security.get(f"{{{SOAP_NS}}}mustUnderstand") == "1"
    timestamp, token = list(security)
    assert etree.QName(timestamp).localname == "Timestamp" and etree.QName(token).localname == "UsernameToken"
    assert timestamp.get(f"{{{WSU_NS}}}Id") and token.get(f"{{{WSU_NS}}}Id")
    assert timestamp.findtext(f"{{{WSU_NS}}}Created") == "2026-12-07T09:30:00.250Z"
    assert timestamp.findtext(f"{{{WSU_NS}}}Expires") == "2026-12-07T09:32:00.250Z"  # the lifetime after Created
    password = token.find(f"{{{WSSE_NS}}}Password")
    assert password.get("Type") == PASSWORD_DIGEST
    assert token.findtext(f"{{{WSSE_NS}}}Nonce") == base64.b64encode(b"n" * 16).decode()
    assert token.findtext(f"{{{WSU_NS}}}Created") == "2026-12-07T09:30:00.250Z"
    assert password.text == password_digest(b"n" * 16, "2026-12-07T09:30:00.250Z", "pw")
    assert "pw" not in repr(WSSecurity("sis-user", "pw"))


def test_password_text_for_workday_sends_the_password_without_nonce():
    token = applied(WSSecurity("ISU@tenant", "secret", digest=False, now=lambda: NOW))[1]

    assert token.find(f"{{{WSSE_NS}}}Password").get("Type") == PASSWORD_TEXT
    assert token.findtext(f"{{{WSSE_NS}}}Password") == "secret"
    assert token.find(f"{{{WSSE_NS}}}Nonce") is None


def test_each_request_gets_a_new_nonce_and_timestamp():
    security = WSSecurity("u", "p")
    first, second = applied(security), applied(security)
    nonce = f"{{{WSSE_NS}}}UsernameToken/{{{WSSE_NS}}}Nonce"
    assert first.findtext(nonce) != second.findtext(nonce)
    assert first[0].get(f"{{{WSU_NS}}}Id") != second[0].get(f"{{{WSU_NS}}}Id")


def test_the_campus_accepts_the_header_and_the_lifetime_comes_from_the_configuration(ls_config, fake_ls):
    ls_config.timestamp_lifetime = 45
    with LearningStudioClient(ls_config) as client:
        assert client.send_learner_data([record("7")])[0].ok

    envelope = etree.fromstring(fake_ls.requests[0].body)
    timestamp = security_of(envelope).find(f"{{{WSU_NS}}}Timestamp")
    created, expires = (
        datetime.datetime.fromisoformat(timestamp.findtext(f"{{{WSU_NS}}}{name}").replace("Z", "+00:00"))
        for name in ("Created", "Expires")
    )
    assert expires - created == datetime.timedelta(seconds=45)


def test_the_campus_refuses_a_header_without_must_understand_and_timestamp(ls_config, fake_ls):
    """What the client sent before the SOAP transport (zeep's bare UsernameToken) is refused."""
    with LearningStudioClient(ls_config) as client:
        client.zeep.wsse = UsernameToken("sis-user", SIS_PASSWORD, use_digest=True)
        with pytest.raises(SoapAuthenticationFailed, match="mustUnderstand") as info:
            client.send_learner_data([record("7")])
    assert info.value.fault_code == "wsse:InvalidSecurity"
    assert isinstance(info.value, AuthenticationFailed) and not info.value.transient
    assert fake_ls.requests == []


def test_the_campus_refuses_a_header_without_timestamp(ls_config, fake_ls):
    class NoTimestamp(WSSecurity):
        def apply(self, envelope, headers):
            envelope, headers = super().apply(envelope, headers)
            security = security_of(envelope)
            security.remove(security.find(f"{{{WSU_NS}}}Timestamp"))
            return envelope, headers

    with LearningStudioClient(ls_config) as client:
        client.zeep.wsse = NoTimestamp("sis-user", SIS_PASSWORD)
        with pytest.raises(SoapAuthenticationFailed, match="no wsu:Timestamp"):
            client.send_learner_data([record("7")])
    assert fake_ls.requests == []


def test_an_expired_timestamp_is_refused_and_stops_the_run(ls_config, fake_ls, settings, waits):
    """A request whose Timestamp expired before it arrived (a lifetime shorter than the delay)."""
    earlier = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=5)
    with LearningStudioClient(ls_config) as client:
        client.zeep.wsse = WSSecurity("sis-user", SIS_PASSWORD, timestamp_lifetime=2, now=lambda: earlier)
        with pytest.raises(SoapAuthenticationFailed, match="expired") as info:
            client.send_learner_data([record("7")])
    assert info.value.fault_code == "wsse:MessageExpired"
    assert waits == []  # a refused header is not tried again
    assert fake_ls.requests == []


def test_a_wrong_digest_is_recomputed_and_refused_by_the_campus(ls_config, fake_ls):
    ls_config.sis_password = "not-it"
    with LearningStudioClient(ls_config) as client, pytest.raises(SoapAuthenticationFailed, match="wrong username"):
        client.send_learner_data([record("7")])


def test_a_run_against_a_campus_with_a_short_lifetime_sends_everything(ls_config, fake_ls):
    import io

    from django.core.management import call_command

    from tests.factories import StaffFactory
    from tests.integrated_channels.factories import completed_enrollment

    ls_config.timestamp_lifetime = 30
    ls_config.save()
    completed_enrollment(ls_config.customer)
    call_command(
        "transmit_learner_data",
        api_user=StaffFactory(username="staff").username,
        channel=["LEARNINGSTUDIO"],
        stdout=io.StringIO(),
    )
    run = Run.objects.get()
    assert (run.status, run.sent) == ("completed", 1)


def test_a_large_batch_is_streamed_from_a_file(ls_config, fake_ls, monkeypatch):
    monkeypatch.setattr(soap, "SPOOL_BYTES", 2048)  # every document spills to disk
    ls_config.batch_threshold = 1
    sent = []
    with LearningStudioClient(ls_config) as client:
        original = client.attempt

        def attempt(method, url, **kwargs):
            sent.append(kwargs["data"])
            return original(method, url, **kwargs)

        client.attempt = attempt
        outcomes = client.send_learner_data([record(str(i)) for i in range(40)])

    assert all(outcome.ok for outcome in outcomes)
    assert not isinstance(sent[0], bytes) and sent[0].closed  # a file, closed once sent
    assert fake_ls.operations() == [BATCH] and len(fake_ls.memberships()) == 40
