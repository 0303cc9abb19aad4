"""The LearningStudio client against the fake service: single and batch, Results, faults, hostile answers."""

from __future__ import annotations

import datetime

import pytest

from integrated_channels.integrated_channel.exceptions import AuthenticationFailed, MalformedResponse
from integrated_channels.integrated_channel.exporters.records import PreviousAttempt, Record
from integrated_channels.integrated_channel.transports.soap import WSSecurity
from integrated_channels.learningstudio.client import LearningStudioClient
from integrated_channels.learningstudio.exceptions import (
    ResultFailed,
    SoapAuthenticationFailed,
    SoapClientFault,
    SoapServerFault,
)
from integrated_channels.learningstudio.models import LearningStudioJob
from tests.fakes.learningstudio import REFERENCE_WSDL, SOAP_NS, FakeLearningStudio, password_digest

from .conftest import SIS_PASSWORD

pytestmark = pytest.mark.django_db


def record(person: str, course: str = "Spr14_Math_101", role: int = 2, previous=None) -> Record:
    payload = {
        "person": {"id": person, "userid": f"user{person}", "given": "Arthur", "family": "Dent", "email": "a@x.org"},
        "course": course,
        "role": role,
    }
    return Record(course_id=course, payload=payload, payload_hash=person, previous=previous, username=f"user{person}")


@pytest.fixture
def client(ls_config):
    with LearningStudioClient(ls_config) as client:
        yield client


def test_digest_is_the_documented_formula():
    assert password_digest(b"\x00" * 16, "2026-01-01T00:00:00Z", "pw") == password_digest(
        b"\x00" * 16, "2026-01-01T00:00:00Z", "pw"
    )
    assert password_digest(b"\x00" * 16, "2026-01-01T00:00:00Z", "pw") != password_digest(
        b"\x00" * 16, "2026-01-01T00:00:00Z", "pw2"
    )


def test_single_request_creates_then_reports_already_enrolled(client, fake_ls):
    first = client.send_learner_data([record("7")])
    second = client.send_learner_data([record("7")])

    assert first[0].ok and "User created" in first[0].response_summary
    assert "Course enrollment successful" in first[0].response_summary
    assert second[0].ok and second[0].response_summary.endswith("already enrolled")
    assert fake_ls.operations() == ["ProcessSingleRequest", "ProcessSingleRequest"]
    assert fake_ls.requests[0].persons[0]["password"] is None  # auto-generated passwords by default
    assert client.calls == 2


def test_a_new_learner_gets_a_random_password_when_passwords_are_sent(client, fake_ls, ls_config):
    ls_config.auto_generated_passwords = False
    client.send_learner_data([record("7")])
    client.send_learner_data([record("7", previous=PreviousAttempt("x", "sent", 1))])
    first, second = (received.persons[0]["password"] for received in fake_ls.requests)
    assert first and len(first) >= 12
    assert second is None  # only when the learner is first created


def test_a_drop_is_a_membership_with_the_dropped_role(client, fake_ls):
    client.send_learner_data([record("7")])
    dropped = client.send_learner_data([record("7", role=5)])
    assert dropped[0].ok and "Course drop successful" in dropped[0].response_summary
    assert fake_ls.memberships()[-1] == ("Spr14_Math_101", "7", "5")


def test_negative_error_codes_fail_that_learner(client, fake_ls):
    fake_ls.refuse_person("7", code="-6", message="Invalid e-mail address")
    fake_ls.refuse_membership("8", code="-12", message="Course not found")

    person = client.send_learner_data([record("7")])[0]
    membership = client.send_learner_data([record("8")])[0]

    assert isinstance(person.error, ResultFailed)
    assert person.error.result_code == "-6" and "Invalid e-mail address" in person.error.message
    assert not person.error.transient
    assert isinstance(membership.error, ResultFailed) and membership.error.result_code == "-12"
    assert membership.response_summary == "membership: Error -12 Course not found"


def test_batch_returns_a_job_id_kept_as_a_job(client, fake_ls, ls_config):
    outcomes = client.send_learner_data([record("1"), record("2", course="c2"), record("1", course="c2")])

    assert fake_ls.operations() == ["ProcessRequest"]
    job = next(iter(fake_ls.jobs))
    assert all(outcome.ok and outcome.response_summary == f"queued as job {job}" for outcome in outcomes)
    assert client.job_ids == [job]
    saved = LearningStudioJob.objects.get()
    assert (saved.job_id, saved.memberships, saved.configuration_id, saved.run) == (job, 3, ls_config.pk, None)


def test_batches_above_the_limit_are_split(client, fake_ls, ls_config):
    ls_config.memberships_per_request = 2
    outcomes = client.send_learner_data([record(str(i)) for i in range(5)])
    assert len(outcomes) == 5 and all(outcome.ok for outcome in outcomes)
    assert fake_ls.operations() == ["ProcessRequest"] * 3
    assert [len(members) for members in fake_ls.jobs.values()] == [2, 2, 1]
    assert LearningStudioJob.objects.count() == 3


def test_wrong_password_is_a_typed_authentication_fault(ls_config, fake_ls):
    ls_config.sis_password = "not-the-sis-password"
    with LearningStudioClient(ls_config) as client, pytest.raises(SoapAuthenticationFailed) as info:
        client.send_learner_data([record("7")])
    assert isinstance(info.value, AuthenticationFailed)
    assert info.value.fault_code == "wsse:FailedAuthentication"
    assert "wrong username or password" in info.value.fault_string
    assert "not-the-sis-password" not in str(info.value)


def test_stale_created_and_replayed_nonce_are_refused(client, fake_ls, ls_config):
    old = datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1)
    client.zeep.wsse = WSSecurity("sis-user", SIS_PASSWORD, timestamp_lifetime=7200, now=lambda: old)
    with pytest.raises(SoapAuthenticationFailed, match="stale Created"):
        client.send_learner_data([record("7")])

    client.zeep.wsse = WSSecurity("sis-user", SIS_PASSWORD, nonce=lambda: b"fixed-nonce-1234")
    assert client.send_learner_data([record("7")])[0].ok
    with pytest.raises(SoapAuthenticationFailed, match="replayed Nonce"):
        client.send_learner_data([record("7")])


def test_a_server_fault_is_tried_again_with_a_new_token(client, fake_ls, waits):
    fake_ls.fail("soap:Server", "Server was unable to process request.")
    outcome = client.send_learner_data([record("7")])[0]
    assert outcome.ok
    assert waits == [pytest.approx(0.01, rel=0.1)] and client.calls == 2
    assert len(fake_ls.nonces) == 2  # each try has its own nonce


def test_a_fault_never_shows_the_sis_password(client, fake_ls):
    fake_ls.fail("soap:Client", f"Refused: password={SIS_PASSWORD}")
    outcome = client.send_learner_data([record("7")])[0]
    assert SIS_PASSWORD not in outcome.error.message + outcome.error.fault_string + outcome.response_summary
    assert "[redacted]" in outcome.error.fault_string


def test_server_and_client_faults_fail_the_records_with_the_fault_string(client, fake_ls, waits):
    for _ in range(3):  # the first try and MAX_RETRIES (2) more
        fake_ls.fail("soap:Server", "Server was unable to process request.")
    outcome = client.send_learner_data([record("7")])[0]
    assert isinstance(outcome.error, SoapServerFault) and outcome.error.transient
    assert outcome.error.fault_string == "Server was unable to process request."
    assert outcome.status_code == 500
    assert waits == [pytest.approx(0.01, rel=0.1), pytest.approx(0.02, rel=0.1)]

    fake_ls.fail("soap:Client", "Bad request")
    outcomes = client.send_learner_data([record("1"), record("2")])
    assert all(isinstance(o.error, SoapClientFault) and not o.error.transient for o in outcomes)


def test_a_document_the_fake_refuses_is_a_client_fault(client, fake_ls, monkeypatch):
    from integrated_channels.learningstudio import ims

    monkeypatch.setattr(ims, "COURSE_GROUP_TYPE", "Course")
    outcome = client.send_learner_data([record("7")])[0]
    assert isinstance(outcome.error, SoapClientFault)
    assert "Call Number or Enrollable Node" in outcome.error.fault_string


BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]>'
    b'<soap:Envelope xmlns:soap="' + SOAP_NS.encode() + b'"><soap:Body>&lol2;</soap:Body></soap:Envelope>'
)
EXTERNAL_ENTITY = (
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b'<soap:Envelope xmlns:soap="' + SOAP_NS.encode() + b'"><soap:Body>&xxe;</soap:Body></soap:Envelope>'
)


@pytest.mark.parametrize("answer", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["entity-expansion", "external-entity"])
def test_hostile_answers_are_refused(client, fake_ls, answer):
    fake_ls.answer_raw(answer)
    outcome = client.send_learner_data([record("7")])[0]
    assert isinstance(outcome.error, MalformedResponse)
    assert "hostile" in outcome.error.message
    assert "root:" not in outcome.response_summary


def test_a_hostile_result_inside_an_extension_is_refused(client, fake_ls):
    result = (
        '<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><Result type="Success"><Code>&amp;xxe;</Code></Result>'
    )
    body = (
        f'<soap:Envelope xmlns:soap="{SOAP_NS}"><soap:Body>'
        '<ProcessSingleRequestResponse xmlns="http://CampusApi.eCollege.com/UserManagement/V1_6">'
        '<ProcessSingleRequestResult xmlns="http://schemas.ecollege.com/Common/2006/01/ims_epv1p1.xsd">'
        f"<person><extension>{result.replace('<', '&lt;')}</extension></person>"
        "</ProcessSingleRequestResult></ProcessSingleRequestResponse></soap:Body></soap:Envelope>"
    )
    fake_ls.answer_raw(body.encode())
    outcome = client.send_learner_data([record("7")])[0]
    assert isinstance(outcome.error, MalformedResponse) and "hostile Result" in outcome.error.message


def test_an_answer_that_is_not_xml_or_not_soap_is_malformed(client, fake_ls):
    fake_ls.answer_raw(b"<html>gateway</html")
    assert isinstance(client.send_learner_data([record("7")])[0].error, MalformedResponse)
    fake_ls.answer_raw(b"<html>gateway</html>")
    assert isinstance(client.send_learner_data([record("7")])[0].error, MalformedResponse)
    fake_ls.answer_raw(f'<soap:Envelope xmlns:soap="{SOAP_NS}"><soap:Body/></soap:Envelope>'.encode())
    assert isinstance(client.send_learner_data([record("1"), record("2")])[0].error, MalformedResponse)


def test_an_unreachable_service_fails_transiently(ls_config):
    ls_config.endpoint_url = "http://127.0.0.1:9/UserManagement/v1_6/UserManagementServices.asmx"
    with LearningStudioClient(ls_config) as client:
        outcome = client.send_learner_data([record("7")])[0]
    assert outcome.error.code == "connection_error" and outcome.error.transient


def test_the_fake_checks_the_soap_action():
    import requests

    with FakeLearningStudio() as fake:
        response = requests.post(
            fake.url, data=b"<x/>", headers={"Content-Type": "text/xml", "SOAPAction": '"nope"'}, timeout=5
        )
    assert response.status_code == 500 and b"Unknown SOAPAction" in response.content


@pytest.mark.skipif(
    not REFERENCE_WSDL.exists(),
    reason="the reference WSDL (../shared/data/learningstudio/UserManagementServices.wsdl) is absent: "
    "the fake cannot validate against its schema",
)
def test_the_fake_validates_the_document_against_the_reference_schema(client, fake_ls, monkeypatch):
    from lxml import etree

    from integrated_channels.learningstudio import ims

    assert fake_ls.schema is not None

    def middle_name_inside_given(element):  # the seed's sample layout, which the schema refuses
        given = element.find(f"{ims.q('name')}/{ims.q('n')}/{ims.q('given')}")
        etree.SubElement(given, ims.q("partname"), partnametype="Middlename").text = "Percy"

    send_persons_changed(monkeypatch, middle_name_inside_given)
    outcome = client.send_learner_data([record("7")])[0]
    assert isinstance(outcome.error, SoapClientFault)
    assert outcome.error.fault_string.startswith("Schema:")


def send_persons_changed(monkeypatch, change) -> None:
    """Send each person as ``ims.person_element`` builds it, then ``change(element)`` (a document the fake refuses)."""
    from lxml import etree

    from integrated_channels.learningstudio import ims

    def person_xml(person, **options):
        element = ims.person_element(person, **options)
        change(element)
        return etree.tostring(element, encoding="unicode")

    monkeypatch.setattr(ims, "person_xml", person_xml)


def detailed(person: str, **details) -> Record:
    item = record(person)
    item.payload["person"].update(details)
    return item


DETAILS = {
    "demographics": {"gender": "female", "bday": "1980-02-29", "disability": "low vision"},
    "tel": "303-555-1234",
    "adr": {"street": ["10 Hereville Lane", "Apt 2"], "locality": "Denver", "region": "CO", "pcode": "80000"},
    "properties": [["assistiveTechnology", "towel"]],
}


@pytest.mark.parametrize("count", [1, 3], ids=["single", "batch"])
def test_person_details_are_accepted_and_read_by_the_fake(client, fake_ls, count):
    outcomes = client.send_learner_data([detailed(str(i), **DETAILS) for i in range(count)])

    assert all(outcome.ok for outcome in outcomes), [o.error for o in outcomes]
    person = fake_ls.persons_received()[0]
    assert person["demographics"] == {"gender": "female", "bday": "1980-02-29", "disability": "low vision"}
    assert person["tel"] == [("Voice", "303-555-1234")]
    assert person["adr"] == [
        ("street", "10 Hereville Lane"),
        ("street", "Apt 2"),
        ("locality", "Denver"),
        ("region", "CO"),
        ("pcode", "80000"),
    ]
    assert person["properties"] == [("assistiveTechnology", "towel")]
    if count == 1:  # the person's own extension is echoed next to the Result: the Result is still read
        assert "User created" in outcomes[0].response_summary


@pytest.mark.parametrize(
    ("details", "fault"),
    [
        ({"demographics": {"gender": "Male"}}, "gender 'Male' is not male or female"),
        ({"demographics": {"bday": "12/10/1979"}}, "bday '12/10/1979' is not YYYY-MM-DD"),
        ({"demographics": {"bday": "1979-02-30"}}, "bday '1979-02-30' is not YYYY-MM-DD"),
    ],
)
def test_the_fake_refuses_bad_demographics(client, fake_ls, details, fault):
    outcome = client.send_learner_data([detailed("7", **details)])[0]
    assert isinstance(outcome.error, SoapClientFault) and fault in outcome.error.fault_string


def test_the_fake_refuses_person_elements_out_of_order(client, fake_ls, monkeypatch):
    from lxml import etree

    from integrated_channels.learningstudio import ims

    def tel_before_email(element):
        tel = element.find(ims.q("tel"))
        element.remove(tel)
        element.find(ims.q("email")).addprevious(tel)

    send_persons_changed(monkeypatch, tel_before_email)
    outcome = client.send_learner_data([detailed("7", tel="555")])[0]
    assert isinstance(outcome.error, SoapClientFault)
    assert "elements out of order: sourcedid userid name tel email" in outcome.error.fault_string

    def locality_before_street(element):
        adr = element.find(ims.q("adr"))
        adr.insert(0, adr.find(ims.q("locality")))

    send_persons_changed(monkeypatch, locality_before_street)
    outcome = client.send_learner_data([detailed("7", adr={"street": ["1 Main St"], "locality": "Denver"})])[0]
    assert "adr: elements out of order: locality street" in outcome.error.fault_string

    def property_without_type(element):
        etree.strip_attributes(element.find(f"{ims.q('extension')}/{ims.q('personproperty')}"), "propertytype")

    send_persons_changed(monkeypatch, property_without_type)
    outcome = client.send_learner_data([detailed("7", properties=[["x", "1"]])])[0]
    assert "personproperty elements with a propertytype" in outcome.error.fault_string


def test_records_with_bad_attributes_fail_unsent_and_the_others_go(client, fake_ls):
    from integrated_channels.learningstudio.exceptions import InvalidPersonData

    bad = record("8")
    bad.payload["errors"] = ["gender: 'm' is not male or female."]
    outcomes = client.send_learner_data([bad, record("9")])

    assert isinstance(outcomes[0].error, InvalidPersonData) and not outcomes[0].error.transient
    assert outcomes[0].error.message == "Not sent: user8: gender: 'm' is not male or female."
    assert outcomes[1].ok
    assert fake_ls.operations() == ["ProcessSingleRequest"]  # only the good one, as a single request
    assert [p["id"] for p in fake_ls.persons_received()] == ["9"]


@pytest.mark.parametrize("form", ["escaped", "cdata", "comment", "element"])
def test_results_are_read_in_every_form_the_answers_take(ls_config, form):
    """Issue 22 item 2: the seed shows each Result as a string of XML in ``extension`` (CDATA, printed as
    ``<!--[CDATA[ … ]]-->``); campuses also answer escaped text or a Result element. No membership
    extension beside a person's means the learner already had that role."""
    with FakeLearningStudio(username="sis-user", password=SIS_PASSWORD, result_form=form) as fake:
        ls_config.endpoint_url = fake.url
        fake.refuse_membership("8", code="-12", message="Course not found")
        with LearningStudioClient(ls_config) as client:
            created, refused = client.send_learner_data([record("7")]), client.send_learner_data([record("8")])
            again = client.send_learner_data([record("7")])

    assert created[0].response_summary == (
        "person: Success 0 User created; membership: Success 0 Course enrollment successful"
    )
    assert (
        not refused[0].ok and refused[0].error.message == "LearningStudio refused the membership: -12 Course not found"
    )
    assert again[0].ok and again[0].response_summary == "person: Success 0 User updated; already enrolled"
