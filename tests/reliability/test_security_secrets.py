"""Secrets never in clear: every model with an encrypted field (found by introspection) gets a
known clear value; then the raw database rows, the logs of a transmit run of every channel, the
admin change and list pages (also a change form re-shown with errors), the API's answers and the
run error reports are scanned for it."""

from __future__ import annotations

import io
import json
import logging

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from enterprise.fields import encrypted_fields
from integrated_channels.integrated_channel.models import ChannelConfiguration, Run
from tests.factories import StaffFactory

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
        for row in model.objects.all():
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
        assert response.status_code == 200, url  # re-shown with its errors
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
