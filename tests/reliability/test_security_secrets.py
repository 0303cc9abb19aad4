"""Secrets never in clear: every model with an encrypted field (found by introspection) gets a
known clear value; then the raw database rows, the logs of a transmit run of every channel, the
admin change and list pages (also a change form re-shown with errors), the API's answers and the
run error reports are scanned for it."""

from __future__ import annotations

import base64
import html
import io
import json
import logging
import urllib.parse
from types import SimpleNamespace

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.db import connection
from django.test import Client, RequestFactory
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from enterprise import redaction
from enterprise.fields import encrypted_fields
from integrated_channels.integrated_channel.models import ChannelConfiguration, LearnerDataTransmissionAudit, Run
from integrated_channels.integrated_channel.services.transmission import transmit_learner_data
from tests.factories import StaffFactory
from tests.fakes.echo import EchoServer
from tests.integrated_channels.factories import (
    SAPConfigurationFactory,
    TestChannelConfigurationFactory,
    completed_enrollment,
)
from tests.integrated_channels.xapi.factories import XAPIConfigurationFactory

pytestmark = pytest.mark.django_db

FAST = {"USE_CELERY": False, "MAX_RETRIES": 0, "BACKOFF_SECONDS": 0.01, "CONNECT_TIMEOUT": 1, "READ_TIMEOUT": 1}


def _raw_rows() -> str:
    """Every row of every table as the database holds it (no model field decrypts anything)."""
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            chunks.append(repr(cursor.fetchall()))
    return "\n".join(chunks)


def _leaks(texts: dict[str, str], secrets) -> list[tuple[str, str]]:
    return [(where, secret) for where, text in texts.items() for secret in secrets if secret in text]


def test_every_encrypted_field_has_a_known_secret(world):
    """The scan below covers every encrypted field the apps declare (a new one is covered too)."""
    declared = {(model._meta.label, name) for model, name in encrypted_fields()}
    assert declared <= set(world.secrets), declared - set(world.secrets)


def test_secrets_are_never_in_clear(world, settings, caplog):
    settings.INTEGRATED_CHANNELS = FAST
    caplog.set_level(logging.DEBUG)
    secrets = list(world.secrets.values())
    staff = StaffFactory(username="root")
    with pytest.raises(Exception):  # noqa: B017 - every channel fails against the closed port
        call_command("transmit_learner_data", api_user="root", stdout=io.StringIO(), stderr=io.StringIO())
    assert Run.objects.count() > len(world.runs)  # runs did happen
    texts = {"database": _raw_rows(), "logs": caplog.text}

    client = Client()
    client.force_login(staff)
    encrypted_models = {model for model, _name in encrypted_fields()}
    for model in encrypted_models & set(admin.site._registry):
        opts = model._meta
        request = RequestFactory().get("/")
        request.user = staff
        # the rows its admin lists: LinkedIn Learning's and Lynda's admins share a table, each its channel's rows
        for row in admin.site._registry[model].get_queryset(request):
            url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[row.pk])
            texts[url] = _ok(client.get(url))
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        texts[url] = _ok(client.get(url))
    for run in Run.objects.all():
        texts[f"run {run.pk}"] = _ok(client.get(reverse("admin:integrated_channel_run_change", args=[run.pk])))
        report = client.get(reverse("admin:integrated_channel_run_error_report", args=[run.pk]))
        texts[f"report {run.pk}"] = b"".join(report.streaming_content).decode()

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=staff).key}")
    texts["api configurations"] = _ok(api.get("/integrated_channels/api/v1/configurations/?page_size=100"))
    for configuration in ChannelConfiguration.objects.all():
        base = f"/integrated_channels/api/v1/configurations/{configuration.pk}/"
        texts[base] = _ok(api.get(base))
    texts["api runs"] = _ok(api.get("/integrated_channels/api/v1/runs/"))
    for run in Run.objects.all():
        answer = api.get(f"/integrated_channels/api/v1/runs/{run.pk}/errors/")
        texts[f"api run errors {run.pk}"] = b"".join(answer.streaming_content).decode()

    assert _leaks(texts, secrets) == []


def test_a_refused_form_or_request_does_not_echo_a_new_secret(world):
    """A change form re-shown with errors, and an API refusal, never print the secret just typed."""
    staff = StaffFactory(username="root")
    client = Client()
    client.force_login(staff)
    api = APIClient()
    api.force_authenticate(staff)
    typed = "typed-secret-9f1c2e"
    texts = {}
    for model, name in encrypted_fields():
        if model not in admin.site._registry:
            continue
        opts = model._meta
        row = model.objects.first()
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[row.pk])
        response = client.post(url, {name: typed, "customer": ""})  # a required field left blank
        request = RequestFactory().post(url)
        request.user = staff
        if admin.site._registry[model].has_change_permission(request, row):
            assert response.status_code == 200, url  # re-shown with its errors
        else:  # a read-only admin (e.g. Cornerstone's learner sessions) refuses any POST: nothing re-shown
            assert response.status_code == 403, url
        texts[url] = response.content.decode()
        if issubclass(model, ChannelConfiguration):
            body = {name: typed, "customer": "not-a-uuid", "active": "maybe"}
            answer = api.patch(f"/integrated_channels/api/v1/configurations/{row.pk}/", body, format="json")
            assert answer.status_code == 400
            texts[f"api {model._meta.label}"] = answer.content.decode()
    assert _leaks(texts, [typed]) == []


def _ok(response) -> str:
    assert response.status_code == 200, (response.status_code, response.content[:300])
    body = response.content.decode()
    return json.dumps(response.json()) if response.get("Content-Type", "").startswith("application/json") else body


# Credentials echoed by a hostile remote (issue 21, decision 0150): an LRS, a SAP tenant and an Open edX
# LMS that repeat what they received — the Basic credentials, the body — raw, Base64, URL-encoded,
# JSON- and HTML-escaped. Nothing stored or logged may hold any form of the secret.

KEY = "XK/ey+lrs1"
TRICKY = 's3cr/t+"ké y&=%x'  # a character for each encoding to differ: / + " é space & = %


def _forms(secret: str, *, user: str = "") -> dict[str, str]:
    raw = f"{user}:{secret}"
    forms = {
        "raw": secret,
        "url-encoded": urllib.parse.quote(secret, safe=""),
        "form-encoded": urllib.parse.quote_plus(secret),
        "json-escaped": json.dumps(secret)[1:-1],
        "html-escaped": html.escape(secret),
        "base64 user:secret (latin-1)": base64.b64encode(raw.encode("latin-1")).decode(),
        "base64 user:secret (utf-8)": base64.b64encode(raw.encode()).decode(),
    }
    assert len(set(forms.values())) == len(forms)  # each encoding really differs
    return forms


def _stored_texts(run, caplog) -> dict[str, str]:
    from integrated_channels.integrated_channel.services import error_report

    run.refresh_from_db()
    return {
        "run error": run.error_message,
        "error lines": " ".join(run.errors.values_list("message", flat=True)),
        "error report": "".join(error_report.stream_csv(run)),
        "audit": repr(list(LearnerDataTransmissionAudit.objects.values_list("last_error", "remote_response"))),
        "database": _raw_rows(),
        "logs": caplog.text,
    }


def _found(texts: dict[str, str], forms: dict[str, str]) -> list[tuple[str, str]]:
    return [(where, name) for where, text in texts.items() for name, form in forms.items() if form in text]


@pytest.mark.parametrize("status", [400, 401, 500])
def test_an_lrs_echoing_the_credentials_leaves_no_trace_of_them(status, settings, caplog):
    """400: the record fails (error line, audit); 401: the run stops; 500: retried, then the record fails."""
    settings.INTEGRATED_CHANNELS = FAST
    caplog.set_level(logging.DEBUG)
    with EchoServer(status=status) as echo:
        config = XAPIConfigurationFactory(endpoint=f"{echo.url}/xAPI/statements", key=KEY, secret=TRICKY)
        completed_enrollment(config.customer)
        result = transmit_learner_data(configuration=config)
        assert echo.requests  # the echo did answer
    run = Run.objects.get(pk=result.run_id)
    texts = _stored_texts(run, caplog)
    assert "[redacted]" in texts["error report"]  # the echo was stored, redacted
    assert _found(texts, _forms(TRICKY, user=KEY)) + _found(texts, {"key": KEY}) == []


def test_a_sap_token_endpoint_echoing_the_client_secret_leaves_no_trace_of_it(settings, caplog):
    settings.INTEGRATED_CHANNELS = FAST
    caplog.set_level(logging.DEBUG)
    with EchoServer(status=401) as echo:
        config = SAPConfigurationFactory(base_url=f"{echo.url}/", client_id="acme-client", client_secret=TRICKY)
        completed_enrollment(config.customer, remote_id="sap-learner-1")
        result = transmit_learner_data(configuration=config)
        assert echo.requests
    run = Run.objects.get(pk=result.run_id)
    assert run.status == "failed" and run.error_code == "token_request_failed"
    texts = _stored_texts(run, caplog)
    assert "[redacted]" in texts["run error"]
    assert _found(texts, _forms(TRICKY, user="acme-client")) == []


def test_an_lms_echoing_the_oauth_client_secret_leaves_no_trace_of_it(settings, caplog):
    from enterprise.lms.openedx.client import OpenEdXClient
    from enterprise.lms.openedx.exceptions import OpenEdXAuthError

    caplog.set_level(logging.DEBUG)
    with EchoServer(status=400) as echo:
        settings.ENTERPRISE_OPENEDX = {"LMS_URL": echo.url, "CLIENT_ID": "lms-client", "CLIENT_SECRET": TRICKY}
        with pytest.raises(OpenEdXAuthError) as info:
            OpenEdXClient(sleep=lambda seconds: None).token()
    text = str(info.value) + caplog.text
    assert "[redacted]" in text
    assert _found({"error": text}, _forms(TRICKY, user="lms-client")) == []


def test_tokens_in_use_are_redacted_as_well():
    redactor = redaction.Redactor(["configured-secret"])
    redactor.add("eyJhbGciOiJIUzI1NiJ9.token-value.signature")
    text = redactor('{"echo": "Bearer eyJhbGciOiJIUzI1NiJ9.token-value.signature", "q": "token-value"}')
    assert "eyJhbGciOiJIUzI1NiJ9" not in text
    # Any credential in Authorization form is replaced even when it is no known secret.
    assert redaction.redact("got Authorization: Basic Zm9vOmJhcg== and JWT eyJhbGciOi.eyJzdWIi.c2ln") == (
        "got Authorization: Basic [redacted] and JWT [redacted]"
    )


def test_an_sftp_server_message_holding_the_password_is_redacted(monkeypatch):
    """Whatever asyncssh or the server says is redacted before it becomes an ``SFTPError``."""
    from integrated_channels.integrated_channel.transports import sftp

    config = SimpleNamespace(host="sftp.example.com", port=22, username="acme", password=TRICKY, private_key="")

    async def refuses(config, work):
        raise sftp.TransferFailed(f"server said: bad login {TRICKY} / {urllib.parse.quote(TRICKY)}")

    monkeypatch.setattr(sftp, "_connected", refuses)
    with pytest.raises(sftp.TransferFailed) as info:
        sftp.read_file(config, "x.csv")
    assert _found({"error": str(info.value)}, _forms(TRICKY, user="acme")) == []


def test_a_client_that_forgets_to_redact_is_caught_where_run_errors_and_audits_are_written(settings, caplog):
    """The last line of defence: a channel client whose errors hold the secret (here a stand-in for a
    client that forgot to redact) still stores and logs none of it."""
    from integrated_channels.integrated_channel.exceptions import RemoteRejected
    from integrated_channels.integrated_channel.transports.base import ChannelClient, Outcome

    secret = "api-key-9c1e/x+y"
    config = TestChannelConfigurationFactory(api_key=secret)
    completed_enrollment(config.customer)
    leaked = f"echo {secret} {base64.b64encode(secret.encode()).decode()} {urllib.parse.quote(secret, safe='')}"

    class Careless(ChannelClient):
        def send_learner_data(self, records):
            error = RemoteRejected(leaked, status_code=400, response_summary=leaked)
            return [Outcome(record, error=error, status_code=400, response_summary=leaked) for record in records]

    caplog.set_level(logging.DEBUG)
    result = transmit_learner_data(configuration=config, client=Careless(config))
    texts = _stored_texts(Run.objects.get(pk=result.run_id), caplog)
    assert "[redacted]" in texts["error lines"]
    assert [where for where, text in texts.items() if secret in text or "YXBpLWtleS05YzFlL3greQ" in text] == []


# A changed host never receives the stored secrets (issue 21, decision 0152)


def _customer_admin_api(customer):
    from enterprise.models import EnterpriseCustomerAdmin
    from tests.api.conftest import client_for
    from tests.factories import UserFactory

    user = UserFactory()
    EnterpriseCustomerAdmin.objects.create(customer=customer, user=user)
    return client_for(user)


def test_the_api_asks_the_secrets_again_when_the_lrs_host_changes():
    config = XAPIConfigurationFactory(endpoint="https://lrs.example.com/xAPI/statements", key=KEY, secret=TRICKY)
    api = _customer_admin_api(config.customer)
    url = f"/integrated_channels/api/v1/configurations/{config.pk}/"

    moved = api.patch(url, {"endpoint": "https://attacker.example.net/xAPI/statements"}, format="json")
    assert moved.status_code == 400
    errors = {entry["field"]: entry["message"] for entry in moved.json()["errors"]}
    assert set(errors) == {"key", "secret"} and "enter this secret again" in errors["secret"]
    config.refresh_from_db()
    assert config.endpoint == "https://lrs.example.com/xAPI/statements"

    half = api.patch(url, {"endpoint": "https://attacker.example.net/x", "secret": "new-secret"}, format="json")
    assert half.status_code == 400 and {entry["field"] for entry in half.json()["errors"]} == {"key"}
    other_port = api.patch(url, {"endpoint": "https://lrs.example.com:8443/xAPI/statements"}, format="json")
    assert other_port.status_code == 400  # another port is another server

    same_host = api.patch(url, {"endpoint": "https://LRS.example.com/other/statements"}, format="json")
    assert same_host.status_code == 200  # same host and port: the secrets stay
    body = {"endpoint": "https://lrs2.example.com/xAPI/statements", "key": "new-key", "secret": "new-secret"}
    assert api.patch(url, body, format="json").status_code == 200
    config.refresh_from_db()
    assert (config.endpoint, config.key, config.secret) == (body["endpoint"], "new-key", "new-secret")


def test_the_api_asks_the_sftp_password_again_when_the_server_changes(tmp_path):
    from tests.fakes.sftp import FakeSFTPServer
    from tests.integrated_channels.xapi.factories import import_from

    config = import_from(FakeSFTPServer(tmp_path), host="sftp.example.com", port=22)
    api = _customer_admin_api(config.customer)
    url = f"/integrated_channels/api/v1/configurations/{config.pk}/"
    for change in ({"host": "sftp.attacker.example.net"}, {"port": 2222}):
        answer = api.patch(url, change, format="json")
        assert answer.status_code == 400 and {entry["field"] for entry in answer.json()["errors"]} == {"password"}
    assert api.patch(url, {"host": "sftp2.example.com", "password": "typed-again"}, format="json").status_code == 200


def test_the_admin_form_asks_the_secret_again_when_the_sap_host_changes(rf):
    from django.forms.models import model_to_dict

    from integrated_channels.sap_success_factors.models import SAPSuccessFactorsConfiguration

    config = SAPConfigurationFactory(base_url="https://acme.sapsf.example.com/", client_secret=TRICKY)
    model_admin = admin.site._registry[SAPSuccessFactorsConfiguration]
    request = rf.get("/")
    request.user = StaffFactory(is_superuser=True)
    form_class = model_admin.get_form(request, config)
    data = {key: value for key, value in model_to_dict(config).items() if value is not None}
    data.update(client_secret="", base_url="https://attacker.example.net/")
    form = form_class(data=data, instance=config)
    assert not form.is_valid()
    assert "enter this secret again" in " ".join(form.errors["client_secret"])
    config.refresh_from_db()
    assert config.base_url == "https://acme.sapsf.example.com/" and config.client_secret == TRICKY

    stored = SAPSuccessFactorsConfiguration.objects.get
    data.update(client_secret="typed-again")
    form = form_class(data=data, instance=stored(pk=config.pk))
    assert form.is_valid(), form.errors
    data.update(client_secret="", base_url="https://acme.sapsf.example.com/api/")
    form = form_class(data=data, instance=stored(pk=config.pk))
    assert form.is_valid(), form.errors  # same host: a blank secret keeps the stored one


@pytest.mark.parametrize("body", ["text", "json"])
def test_a_secret_straddling_the_summary_cut_leaves_no_fragment(body):
    """The remote's message is redacted first and cut after: a cut never keeps half a secret."""
    import requests

    from integrated_channels.xapi.client import XAPIClient

    config = XAPIConfigurationFactory(key=KEY, secret="straddling-secret-value-42")
    message = "x" * 490 + "straddling-secret-value-42 and more"
    response = requests.Response()
    response.status_code = 400
    response._content = (json.dumps({"message": message}) if body == "json" else message).encode()
    error = XAPIClient(config).error_for(response)
    assert "straddling" not in error.remote_message and "[redacted]" in error.remote_message
