"""SSRF and local-file probing by a customer's administrator (issue 21, decision 0151).

A customer administrator (no staff rights) sets the remote addresses of their configurations
through the API. An address must be https, never a file path, and must not name or resolve to a
loopback, link-local, private or otherwise non-public address: refused when it is set, and again
when a connection is made (the host resolved then: DNS rebinding is refused too). What a refused
or failed run says is the same whatever is (or is not) at the address: no oracle of local files
or internal ports.

The test settings allow http and 127.0.0.1 for the fakes; every test here starts from the
production default (``STRICT``) and allows only what it says.
"""

from __future__ import annotations

import logging
import socket

import pytest
from django.core.exceptions import ValidationError

from enterprise.models import EnterpriseCustomerAdmin
from integrated_channels.integrated_channel import addresses
from integrated_channels.integrated_channel.models import Run
from integrated_channels.integrated_channel.services.transmission import transmit_learner_data
from integrated_channels.learningstudio.client import LearningStudioClient
from tests.api.conftest import client_for
from tests.factories import CustomerFactory, UserFactory
from tests.fakes.echo import EchoServer
from tests.fakes.sftp import FakeSFTPServer
from tests.integrated_channels.factories import SAPConfigurationFactory, completed_enrollment
from tests.integrated_channels.learningstudio.conftest import LearningStudioConfigurationFactory
from tests.integrated_channels.xapi.factories import XAPIConfigurationFactory, import_from

pytestmark = pytest.mark.django_db

STRICT = {"ALLOW_HTTP": False, "ALLOWED_ADDRESSES": []}
FAST = {"USE_CELERY": False, "MAX_RETRIES": 0, "BACKOFF_SECONDS": 0.01, "CONNECT_TIMEOUT": 1, "READ_TIMEOUT": 1}
PUBLIC = "93.184.215.14"  # a public address (never connected to: the tests only resolve names to it)

HOSTILE_URLS = [
    "/etc/passwd",
    "file:///etc/passwd",
    "~/.ssh/id_rsa",
    "http://127.0.0.1:6379/",
    "https://127.0.0.1:6379/",
    "https://localhost/",
    "https://[::1]/",
    "https://[::ffff:127.0.0.1]/",
    "https://2130706433/",  # 127.0.0.1 as one number
    "https://0x7f.1/",
    "https://0.0.0.0/",
    "https://169.254.169.254/latest/meta-data/",
    "https://10.1.2.3/service.wsdl",
    "https://192.168.0.10/",
    "https://172.16.5.5/",
    "https://100.64.0.1/",  # carrier-grade NAT
    "https://[fd00::1]/",
    "gopher://example.com/",
    "https://user:password@example.com/",
]
URL_FIELDS = [
    ("LEARNINGSTUDIO", "wsdl_location"),
    ("LEARNINGSTUDIO", "endpoint_url"),
    ("SAP", "base_url"),
    ("XAPI", "endpoint"),
]
HOSTILE_HOSTS = ["127.0.0.1", "localhost", "::1", "10.0.0.7", "169.254.169.254", "192.168.1.1", "0.0.0.0"]  # noqa: S104


@pytest.fixture(autouse=True)
def strict(settings):
    settings.INTEGRATED_CHANNELS_ADDRESSES = STRICT
    settings.INTEGRATED_CHANNELS = FAST


@pytest.fixture
def customer_admin_api():
    customer = CustomerFactory()
    user = UserFactory(username="acme-admin")
    EnterpriseCustomerAdmin.objects.create(customer=customer, user=user)
    assert not user.is_staff
    return customer, client_for(user)


def _configuration(channel: str, customer):
    if channel == "LEARNINGSTUDIO":
        return LearningStudioConfigurationFactory(
            customer=customer, endpoint_url="https://campus.example.com/UserManagementServices.asmx"
        )
    if channel == "SAP":
        return SAPConfigurationFactory(customer=customer, base_url="https://acme.sapsf.example.com/")
    return XAPIConfigurationFactory(customer=customer, endpoint="https://lrs.example.com/xAPI/statements")


def _fields(response) -> set[str]:
    return {entry["field"] for entry in response.json()["errors"]}


# Refused when set


@pytest.mark.parametrize("channel,field", URL_FIELDS)
@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_a_customer_admin_cannot_set_a_local_or_internal_url(customer_admin_api, channel, field, url):
    customer, api = customer_admin_api
    config = _configuration(channel, customer)
    before = getattr(config, field)
    response = api.patch(f"/integrated_channels/api/v1/configurations/{config.pk}/", {field: url}, format="json")
    assert response.status_code == 400, response.content
    assert field in _fields(response)
    messages = " ".join(entry["message"] for entry in response.json()["errors"])
    assert url not in messages and "passwd" not in messages and "127.0.0.1" not in messages
    config.refresh_from_db()
    assert getattr(config, field) == before


@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_a_new_configuration_with_a_local_url_is_refused(customer_admin_api, url):
    customer, api = customer_admin_api
    body = {
        "channel": "XAPI",
        "customer": str(customer.uuid),
        "endpoint": url,
        "key": "k-1234",
        "secret": "s-1234",
        "activity_iri_base": "https://lms.example.com/courses/",
    }
    response = api.post("/integrated_channels/api/v1/configurations/", body, format="json")
    assert response.status_code == 400 and "endpoint" in _fields(response)


@pytest.mark.parametrize("host", HOSTILE_HOSTS)
def test_a_customer_admin_cannot_point_an_sftp_import_at_an_internal_host(customer_admin_api, host, tmp_path):
    customer, api = customer_admin_api
    server = FakeSFTPServer(tmp_path)  # not started: its credentials and host key only
    config = import_from(server, customer=customer, host="sftp.example.com", port=22)
    body = {"host": host, "password": server.password}
    response = api.patch(f"/integrated_channels/api/v1/configurations/{config.pk}/", body, format="json")
    assert response.status_code == 400 and _fields(response) == {"host"}


@pytest.mark.parametrize("url", ["/etc/passwd", "https://169.254.169.254/", "http://lrs.example.com/"])
def test_the_admin_form_refuses_them_too(url):
    config = LearningStudioConfigurationFactory(endpoint_url="https://campus.example.com/ws.asmx")
    config.wsdl_location = url
    with pytest.raises(ValidationError) as info:
        config.full_clean()
    assert "wsdl_location" in info.value.message_dict


def test_an_operator_allows_internal_hosts_and_http_explicitly(settings):
    settings.INTEGRATED_CHANNELS_ADDRESSES = {"ALLOW_HTTP": True, "ALLOWED_ADDRESSES": ["10.20.0.0/16", "lrs.corp"]}
    assert addresses.url_error("http://10.20.3.4:8080/xAPI/statements") is None
    assert addresses.url_error("https://lrs.corp/xAPI/statements") is None
    assert addresses.url_error("https://10.21.0.1/") is not None  # outside the allowed network
    assert addresses.url_error("/etc/passwd") is not None  # never a file
    assert addresses.url_error("https://lrs.example.com/xAPI/statements") is None  # public: always


# Refused when connecting, with the same answer whatever is there


def _run_wsdl(location: str):
    config = LearningStudioConfigurationFactory(wsdl_location=location)  # stored as before the check existed
    completed_enrollment(config.customer)
    result = transmit_learner_data(configuration=config)
    return Run.objects.get(pk=result.run_id)


def test_a_stored_file_wsdl_is_never_read_and_existence_is_not_told(caplog, tmp_path):
    caplog.set_level(logging.WARNING)
    existing, missing = _run_wsdl("/etc/passwd"), _run_wsdl(str(tmp_path / "no-such-file.wsdl"))
    for run in (existing, missing):
        assert (run.status, run.error_code) == ("failed", "address_refused")
        shown = run.error_message + " ".join(run.errors.values_list("message", flat=True))
        assert "passwd" not in shown and "no-such-file" not in shown and "/" not in run.error_message
    assert existing.error_message == missing.error_message  # no oracle of the file's existence
    assert "/etc/passwd" in caplog.text  # the detail, for the operators


def test_an_internal_port_gets_the_same_answer_open_or_closed(settings, caplog):
    settings.INTEGRATED_CHANNELS_ADDRESSES = {"ALLOW_HTTP": True, "ALLOWED_ADDRESSES": []}
    caplog.set_level(logging.WARNING)
    with EchoServer(status=200) as listening:
        opened = _run_wsdl(f"{listening.url}/wsdl")
        closed = _run_wsdl("http://127.0.0.1:9/wsdl")
        assert listening.requests == []  # nothing reached the internal port
    assert (opened.error_code, closed.error_code) == ("address_refused", "address_refused")
    assert opened.error_message == closed.error_message
    assert "127.0.0.1" not in opened.error_message
    assert "resolves to 127.0.0.1" in caplog.text


@pytest.mark.parametrize("channel", ["SAP", "XAPI", "LEARNINGSTUDIO"])
def test_a_stored_internal_endpoint_receives_nothing(settings, channel):
    settings.INTEGRATED_CHANNELS_ADDRESSES = {"ALLOW_HTTP": True, "ALLOWED_ADDRESSES": []}
    with EchoServer(status=200) as internal:
        if channel == "SAP":
            config = SAPConfigurationFactory(base_url=f"{internal.url}/")
            completed_enrollment(config.customer, remote_id="sap-1")
        elif channel == "XAPI":
            config = XAPIConfigurationFactory(endpoint=f"{internal.url}/xAPI/statements")
            completed_enrollment(config.customer)
        else:
            config = LearningStudioConfigurationFactory(endpoint_url=f"{internal.url}/ws.asmx")
            completed_enrollment(config.customer)
        result = transmit_learner_data(configuration=config)
        assert internal.requests == []
    run = Run.objects.get(pk=result.run_id)
    assert (run.status, run.error_code) == ("failed", "address_refused")
    assert "127.0.0.1" not in run.error_message


def test_http_is_refused_at_connect_time_unless_allowed(settings):
    settings.INTEGRATED_CHANNELS_ADDRESSES = {"ALLOW_HTTP": False, "ALLOWED_ADDRESSES": ["127.0.0.1"]}
    with EchoServer(status=200) as lrs:
        config = XAPIConfigurationFactory(endpoint=f"{lrs.url}/xAPI/statements")
        completed_enrollment(config.customer)
        result = transmit_learner_data(configuration=config)
        assert lrs.requests == []
    assert Run.objects.get(pk=result.run_id).error_code == "address_refused"


def test_dns_rebinding_to_an_internal_address_is_refused_when_connecting(customer_admin_api, settings, monkeypatch):
    """The name resolves to a public address when the configuration is saved, to 127.0.0.1 afterwards."""
    settings.INTEGRATED_CHANNELS_ADDRESSES = {"ALLOW_HTTP": True, "ALLOWED_ADDRESSES": []}
    real = socket.getaddrinfo
    answers = iter([PUBLIC])

    def rebinding(host, port, *args, **kwargs):
        if host != "lrs.rebind.test":
            return real(host, port, *args, **kwargs)
        address = next(answers, "127.0.0.1")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port or 0))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    customer, api = customer_admin_api
    config = XAPIConfigurationFactory(customer=customer, endpoint="https://lrs.example.com/xAPI/statements")
    completed_enrollment(customer)
    with EchoServer(status=200) as internal:
        port = internal.url.rsplit(":", 1)[1]
        body = {"endpoint": f"http://lrs.rebind.test:{port}/xAPI/statements", "key": "k-1234", "secret": "s-1234"}
        answer = api.patch(f"/integrated_channels/api/v1/configurations/{config.pk}/", body, format="json")
        assert answer.status_code == 200, answer.content  # public when checked
        config.refresh_from_db()
        result = transmit_learner_data(configuration=config)
        assert internal.requests == []  # 127.0.0.1 when connecting: refused
    assert Run.objects.get(pk=result.run_id).error_code == "address_refused"


def test_an_sftp_import_never_connects_to_an_internal_host(tmp_path):
    from integrated_channels.xapi.services.statement_import import import_statements

    with FakeSFTPServer(tmp_path) as server:
        server.write("import/xapi.csv", "Learner,Verb,Activity\n")
        config = import_from(server)  # 127.0.0.1, stored before the check existed
        result = import_statements(configuration=config)
        assert server.logins == []  # not even a login attempt
    run = result.run
    assert (run.status, run.error_code) == ("failed", "address_refused")
    assert "the address is not allowed" in run.error_message


def test_the_shipped_wsdl_still_loads_under_the_strict_default():
    config = LearningStudioConfigurationFactory(wsdl_location="")
    client = LearningStudioClient(config)
    assert client.zeep.wsdl.bindings  # read from the package, no network


def test_a_failed_connection_says_no_more_than_could_not_connect(settings, caplog):
    """Even to an address the operator allowed, a run's error gives no errno, address or port state."""
    settings.INTEGRATED_CHANNELS_ADDRESSES = {"ALLOW_HTTP": True, "ALLOWED_ADDRESSES": ["127.0.0.1"]}
    caplog.set_level(logging.INFO)
    config = XAPIConfigurationFactory(endpoint="http://127.0.0.1:9/xAPI/statements")  # nothing listens there
    completed_enrollment(config.customer)
    result = transmit_learner_data(configuration=config)
    line = Run.objects.get(pk=result.run_id).errors.get()
    assert line.message == "xAPI LRS could not be reached (could not connect)."
    assert "Connection refused" in caplog.text  # the detail, for the operators
