"""Hostile CSV input on every path that reads one (Manage Learners upload, the API's bulk link
with a CSV file or JSON e-mails, the link_learners command, the SFTP user import and sample file,
the xAPI import and sample file): invalid UTF-8, a NUL byte, a field over the CSV field size
limit, formula cells; each refused or reported with a clear message naming the line, and nothing
partially applied."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from enterprise.models import EnterpriseCustomerUser, PendingEnterpriseCustomerUser
from integrated_channels.integrated_channel.models import Run
from integrated_channels.sftp.services import user_import
from tests.factories import CustomerFactory, StaffFactory, UserFactory
from tests.integrated_channels.sftp.factories import FINGERPRINT, SFTPConfigurationFactory
from tests.reliability.walk import database_state

pytestmark = pytest.mark.django_db

GOOD = b"email\nada@example.com\nbob@example.com\n"
# Python's csv refuses a field over csv.field_size_limit() (131,072 characters): once a bare
# ``_csv.Error`` and an HTTP 500 or an internal_error run (issue 21, item 7).
LONG_FIELD = b"x" * (130 * 1024)
HOSTILE = {
    "invalid utf-8": GOOD + b"caf\xe9@example.com\n",
    "nul byte": GOOD + b"nul\x00byte@example.com\n",
    "nul byte alone": GOOD + b"\x00\n",
    "field over the size limit": GOOD + b"eve@example.com," + LONG_FIELD + b"\n",
    "quoted field over the size limit": GOOD + b'"' + LONG_FIELD + b'@example.com",x\n',
}


@pytest.fixture
def customer(db):
    UserFactory(username="ada", email="ada@example.com")
    return CustomerFactory(name="Acme", slug="acme")


def _learners(customer):
    return (
        sorted(EnterpriseCustomerUser.objects.filter(customer=customer).values_list("user__email", flat=True)),
        sorted(PendingEnterpriseCustomerUser.objects.filter(customer=customer).values_list("user_email", flat=True)),
    )


@pytest.fixture
def staff(db):
    return StaffFactory(username="root")


def _admin_upload(customer, content: bytes):
    client = Client()
    client.force_login(StaffFactory(username="root"))
    url = reverse("admin:enterprise_enterprisecustomer_manage_learners", args=[customer.pk])
    preview = client.post(url, {"action": "link", "bulk_upload_csv": SimpleUploadedFile("l.csv", content)})
    assert preview.status_code == 200
    page = preview.content.decode()
    token = preview.context["confirm"]["token"].value() if preview.context.get("confirm") else ""
    if token:
        done = client.post(url, {"action": "confirm", "token": token})
        page += done.content.decode()
    return page


@pytest.mark.parametrize("name", list(HOSTILE))
def test_manage_learners_upload(customer, staff, name):
    page = _admin_upload(customer, HOSTILE[name])
    assert "line 4" in page.lower()
    assert _learners(customer) == ([], [])  # refused whole (decision 0120): nothing linked


@pytest.mark.parametrize("name", list(HOSTILE))
def test_api_bulk_link_with_a_csv_file(customer, name):
    api = APIClient()
    api.force_authenticate(StaffFactory(username="root"))
    before = database_state()
    url = f"/enterprise/api/v1/customers/{customer.uuid}/learners/link/"
    response = api.post(url, {"file": SimpleUploadedFile("l.csv", HOSTILE[name]), "dry_run": "false"})
    assert response.status_code in (200, 400), response.content
    body = response.json()
    assert database_state() == before
    if response.status_code == 400:
        assert [e for e in body["errors"] if e["row"] == 4 or "line 4" in e["message"].lower()], body
    else:  # the per-row results name the row; nothing was applied
        assert [row["row"] for row in body["rows"] if row["status"] == "invalid"] == [4]


@pytest.mark.parametrize("value", ["nul\x00byte@example.com", "\x00", "ok@example.com\x00"])
def test_api_bulk_link_with_json_emails(customer, value):
    api = APIClient()
    api.force_authenticate(StaffFactory(username="root"))
    url = f"/enterprise/api/v1/customers/{customer.uuid}/learners/link/"
    response = api.post(url, {"emails": ["bob@example.com", value], "dry_run": False}, format="json")
    assert response.status_code in (200, 400), response.content
    if response.status_code == 200:
        rows = response.json()["rows"]
        assert [row["status"] for row in rows][1] == "invalid"
    assert "\x00" not in "".join(PendingEnterpriseCustomerUser.objects.values_list("user_email", flat=True))


@pytest.mark.parametrize("name", list(HOSTILE))
def test_link_learners_command(customer, name, tmp_path):
    path = tmp_path / "l.csv"
    path.write_bytes(HOSTILE[name])
    before = database_state()
    out = io.StringIO()
    with pytest.raises(CommandError) as refused:
        call_command("link_learners", "acme", str(path), stdout=out, stderr=out)
    assert "line 4" in (str(refused.value) + out.getvalue()).lower()
    assert database_state() == before


@pytest.mark.parametrize(
    "content",
    [
        b"Email,Manager\nada@example.com,boss@example.com\ncaf\xe9@example.com,x@example.com\n",
        b"Email,Manager\nada@example.com,boss@example.com\nnul\x00@example.com,x@example.com\n",
        b"Email,Manager\nada@example.com,bo\x00ss@example.com\n",
        b'Email,Manager\nada@example.com,boss@example.com\nbob@example.com,=HYPERLINK("x")\x00\n',
    ],
    ids=["invalid-utf8", "nul-in-email", "nul-in-attribute", "nul-after-formula"],
)
def test_sftp_user_import(customer, content, monkeypatch):
    config = SFTPConfigurationFactory(
        customer=customer, attribute_mapping={"email": "Email", "manager": "Manager", "department": None}
    )
    monkeypatch.setattr(user_import.client, "read_csv_files", lambda configuration, directory: {"in/a.csv": content})
    monkeypatch.setattr(user_import.client, "remove_files", lambda configuration, files: None)
    result = user_import.import_users(configuration=config)
    run = Run.objects.get(pk=result.run.pk)
    assert run.status in (Run.Status.COMPLETED_WITH_ERRORS, Run.Status.FAILED)
    messages = list(run.errors.values_list("message", flat=True))
    assert messages and all("a.csv" in message for message in messages), messages


def test_an_error_line_with_a_nul_character_is_stored(customer):
    """A remote message or an imported cell holding NUL (PostgreSQL text cannot) is kept, visibly."""
    from tests.reliability.builders import build

    run = build(Run, customer=customer, status=Run.Status.RUNNING)
    RunError = type(run.errors.model())
    RunError.objects.create(run=run, outcome="failed", message="remote said \x00 then", email="a\x00@example.com")
    RunError.objects.bulk_create([RunError(run=run, outcome="failed", username="x\x00y", message="\x00")])
    stored = sorted(RunError.objects.filter(run=run).values_list("message", "email", "username"))
    assert stored == [("\\x00", "", "x\\x00y"), ("remote said \\x00 then", "a\\x00@example.com", "")]


# -- a field over the CSV field size limit on the connectors' readers ----------------------------

LONG = LONG_FIELD.decode()


def test_sftp_user_import_fails_the_file_naming_the_line_of_a_long_field(customer, monkeypatch):
    config = SFTPConfigurationFactory(customer=customer, attribute_mapping={"email": "Email", "manager": "Manager"})
    content = f"Email,Manager\nada@example.com,boss@example.com\nbob@example.com,{LONG}\n".encode()
    monkeypatch.setattr(user_import.client, "read_csv_files", lambda configuration, directory: {"in/a.csv": content})
    monkeypatch.setattr(user_import.client, "remove_files", lambda configuration, files: None)
    before = database_state()
    run = Run.objects.get(pk=user_import.import_users(configuration=config).run.pk)
    assert run.status == Run.Status.FAILED
    assert run.error_code != "internal_error"
    messages = " ".join(run.errors.values_list("message", flat=True)) + run.error_message
    assert "in/a.csv, line 3" in messages and "131,072 characters" in messages, messages
    assert _learners(customer) == ([], [])
    assert database_state().keys() == before.keys()


@pytest.mark.parametrize("where", ["header", "row"])
def test_xapi_import_fails_the_file_naming_the_line_of_a_long_field(customer, monkeypatch, where):
    from types import SimpleNamespace

    from integrated_channels.xapi.services import statement_import
    from tests.integrated_channels.xapi.factories import import_from

    server = SimpleNamespace(
        host="sftp.example.com", port=22, username="acme", password="pw-123", fingerprint=FINGERPRINT
    )
    config = import_from(server, customer=customer)
    header = "Learner,Verb,Activity" + (f",{LONG}" if where == "header" else "")
    row = "ada@example.com,http://adlnet.gov/expapi/verbs/completed,course-v1:A+B+C" + (
        f",{LONG}" if where == "row" else ""
    )
    content = f"{header}\n{row}\n".encode()
    monkeypatch.setattr(statement_import.drop, "read_file", lambda configuration, path: content)
    run = Run.objects.get(pk=statement_import.import_statements(configuration=config).run.pk)
    assert run.status == Run.Status.FAILED
    assert run.error_code != "internal_error"
    line = 1 if where == "header" else 2
    assert f"line {line}: a field is longer than 131,072 characters" in run.error_message, run.error_message


def test_sftp_sample_file_with_a_long_field_is_a_form_error(customer):
    client = Client()
    client.force_login(StaffFactory(username="root"))
    sample = f"Email,Manager\nada@example.com,{LONG}\n".encode()
    data = {
        "customer": str(customer.pk),
        "active": "on",
        "host": "sftp.example.com",
        "port": "22",
        "username": "acme",
        "password": "pw-123",
        "host_key_fingerprint": FINGERPRINT,
        "base_path": ".",
        "attribute_mapping": '{"email": "Email", "manager": "Manager"}',
        "sample_file": SimpleUploadedFile("sample.csv", sample, content_type="text/csv"),
    }
    response = client.post("/admin/sftp/sftpconfiguration/add/", data)
    assert response.status_code == 200
    assert "sample.csv, line 2: a field is longer than 131,072 characters" in response.content.decode()
