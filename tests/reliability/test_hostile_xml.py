"""XML with external entities, entity expansion or a DTD, on every XML the apps read: the SOAP
answers of LearningStudio (through a whole transmit run), an operator's WSDL, SAML IdP metadata
pasted in the admin, Adobe Connect's XML API answers (through an attendance-sync run). Each is
refused without resolving anything: a canary file named by an external entity is never read into the
database or a page."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from integrated_channels.integrated_channel.models import Run
from tests.factories import IdentityProviderFactory, StaffFactory
from tests.fakes.echo import EchoServer
from tests.fakes.learningstudio import FakeLearningStudio
from tests.integrated_channels.factories import completed_enrollment
from tests.integrated_channels.learningstudio.conftest import SIS_PASSWORD, LearningStudioConfigurationFactory
from tests.reliability.walk import database_state

pytestmark = pytest.mark.django_db

CANARY = "canary-7f3e9a-never-read"
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
FAST = {"USE_CELERY": False, "MAX_RETRIES": 0, "BACKOFF_SECONDS": 0.01, "CONNECT_TIMEOUT": 2, "READ_TIMEOUT": 5}


@pytest.fixture
def canary(tmp_path):
    path = tmp_path / "canary.txt"
    path.write_text(CANARY)
    return path


def _hostile(canary) -> dict[str, bytes]:
    expansion = '<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {c} "{("&" + p + ";") * 10}">' for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
    body = f'<soap:Envelope xmlns:soap="{SOAP}"><soap:Body>&x;</soap:Body></soap:Envelope>'
    return {
        "external entity": f'<?xml version="1.0"?><!DOCTYPE e [<!ENTITY x SYSTEM "file://{canary}">]>{body}'.encode(),
        "entity expansion": f'<?xml version="1.0"?><!DOCTYPE e [{expansion}<!ENTITY x "&i;">]>{body}'.encode(),
        "external dtd": f'<?xml version="1.0"?><!DOCTYPE e SYSTEM "file://{canary}">{body.replace("&x;", "")}'.encode(),
    }


@pytest.mark.parametrize("kind", ["external entity", "entity expansion", "external dtd"])
def test_a_hostile_soap_answer_fails_the_records_of_the_call_and_resolves_nothing(kind, canary, settings):
    settings.INTEGRATED_CHANNELS = FAST
    StaffFactory(username="staff")
    with FakeLearningStudio(username="sis-user", password=SIS_PASSWORD) as fake:
        config = LearningStudioConfigurationFactory(endpoint_url=fake.url)
        completed_enrollment(config.customer)
        fake.answer_raw(_hostile(canary)[kind])
        with pytest.raises(CommandError):
            call_command("transmit_learner_data", api_user="staff", channel=["LEARNINGSTUDIO"], stdout=io.StringIO())
    run = Run.objects.get()
    assert (run.status, run.failed) in {("completed_with_errors", 1), ("failed", 0)}
    messages = " ".join(run.errors.values_list("message", flat=True)) + run.error_message
    assert "hostile" in messages.lower() or "dtd" in messages.lower() or "entit" in messages.lower(), messages
    assert CANARY not in repr(database_state())


def test_an_operators_wsdl_with_an_external_entity_is_not_resolved(canary, settings):
    """A WSDL location is a URL (never a file, decision 0151): a hostile WSDL served over http."""
    settings.INTEGRATED_CHANNELS = FAST
    StaffFactory(username="staff")
    wsdl = (
        f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file://{canary}">]>'
        '<definitions xmlns="http://schemas.xmlsoap.org/wsdl/" name="&x;"/>'.encode()
    )
    with EchoServer(files={"/hostile.wsdl": wsdl}) as server:
        config = LearningStudioConfigurationFactory(wsdl_location=f"{server.url}/hostile.wsdl")
        completed_enrollment(config.customer)
        with pytest.raises(CommandError):
            call_command("transmit_learner_data", api_user="staff", channel=["LEARNINGSTUDIO"], stdout=io.StringIO())
        assert server.requests == [("GET", "/hostile.wsdl")]  # read, not refused as an address
    run = Run.objects.get()
    assert (run.status, run.error_code) == ("failed", "configuration_error")
    assert CANARY not in repr(database_state())


@pytest.mark.parametrize("kind", ["external entity", "entity expansion", "external dtd"])
def test_saml_metadata_pasted_in_the_admin_is_refused(kind, canary):
    client = Client()
    client.force_login(StaffFactory(username="root"))
    idp = IdentityProviderFactory()
    xml = (
        _hostile(canary)[kind]
        .decode()
        .replace("soap:Envelope", "md:EntityDescriptor")
        .replace(f'xmlns:soap="{SOAP}"', 'xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"')
        .replace("<soap:Body>", "")
        .replace("</soap:Body>", "")
    )
    before = database_state()
    response = client.post(
        reverse("admin:enterprise_sso_samlidentityproviderconfig_add"),
        {
            "identity_provider": idp.pk,
            "enabled": "on",
            "metadata_xml": xml,
            "email_attribute": "mail",
            "remote_id_attribute": "uid",
            "require_signed_response": "on",
            "require_signed_assertion": "on",
        },
    )
    assert response.status_code == 200  # the form again, with the error
    page = response.content.decode()
    assert "errorlist" in page
    assert CANARY not in page
    assert database_state() == before


@pytest.mark.parametrize("kind", ["external entity", "entity expansion", "external dtd"])
@pytest.mark.parametrize("action", ["login", "report-meeting-attendance"])
def test_a_hostile_adobe_connect_answer_fails_the_session_and_resolves_nothing(kind, action, canary, settings):
    import datetime

    from django.utils import timezone

    from integrated_channels.classroom.adobe_connect_operations import sync_attendance
    from integrated_channels.classroom.models import AdobeConnectConnection, Session
    from tests.factories import CustomerFactory
    from tests.fakes.adobe_connect import FakeAdobeConnect

    settings.INTEGRATED_CHANNELS = FAST
    xml = (
        _hostile(canary)[kind]
        .decode()
        .replace(f'<soap:Envelope xmlns:soap="{SOAP}"><soap:Body>', '<results><status code="ok"/><x>')
        .replace("</soap:Body></soap:Envelope>", "</x></results>")
    )
    with FakeAdobeConnect() as fake:
        connection = AdobeConnectConnection.objects.create(
            customer=CustomerFactory(), domain="acme.adobeconnect.com", login=fake.admin_login,
            password=fake.admin_password, api_url=fake.base_url,
        )  # fmt: skip
        room = fake.add_room()
        start = timezone.now() - datetime.timedelta(hours=2)
        Session.objects.create(
            customer=connection.customer, course_id="course-v1:O+H+1", title="Hostile", start=start,
            end=start + datetime.timedelta(hours=1), connection=connection, room_id=room.sco_id,
            min_attendance_percent=50,
        )  # fmt: skip
        fake.script(action, xml)
        run = sync_attendance(connection, trigger=Run.Trigger.ADMIN)
    assert run.status in {"failed", "completed_with_errors"} and run.sent == 0
    messages = " ".join(run.errors.values_list("message", flat=True)) + run.error_message
    assert "DTD or entities" in messages, messages
    assert CANARY not in repr(database_state())
