"""A known secret and the access tokens never appear in logs, admin pages, error reports or stored rows."""

from __future__ import annotations

import io
import logging

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from enterprise.models import AccessToken
from integrated_channels.integrated_channel.models import (
    LearnerDataTransmissionAudit,
    Run,
    RunError,
)
from tests.factories import StaffFactory
from tests.integrated_channels.factories import SECRET, completed_enrollment

pytestmark = pytest.mark.django_db


def test_secret_and_tokens_are_never_shown(sap_config, fake_sap, client, caplog):
    caplog.set_level(logging.DEBUG)
    staff = StaffFactory(username="staff")
    # the tenant echoes the secret in a refusal, a server error, and the token endpoint's answer
    echo = f'{{"error": {{"code": "ECHO", "message": "client_secret={SECRET}"}}}}'
    fake_sap.fail("events", 400, body=echo)
    fake_sap.fail("events", 503, times=3, body=echo)
    for i in range(3):
        completed_enrollment(sap_config.customer, remote_id=f"sap-{i}")
    with pytest.raises(CommandError):
        call_command("transmit_learner_data", api_user="staff", stdout=io.StringIO())
    fake_sap.fail("token", 401, body=echo)
    fake_sap.revoke_tokens()
    completed_enrollment(sap_config.customer, remote_id="sap-late")
    with pytest.raises(CommandError):
        call_command("transmit_learner_data", api_user="staff", stdout=io.StringIO())

    token = AccessToken.objects.get().token
    runs = list(Run.objects.order_by("pk"))
    assert [run.status for run in runs] == ["completed_with_errors", "failed"]
    client.force_login(staff)
    pages = [
        reverse("admin:sap_success_factors_sapsuccessfactorsconfiguration_change", args=[sap_config.pk]),
        reverse("admin:sap_success_factors_sapsuccessfactorsconfiguration_changelist"),
        reverse("admin:integrated_channel_run_changelist"),
        reverse("admin:integrated_channel_learnerdatatransmissionaudit_changelist"),
        *(reverse("admin:integrated_channel_run_change", args=[run.pk]) for run in runs),
        *(
            reverse("admin:integrated_channel_learnerdatatransmissionaudit_change", args=[audit.pk])
            for audit in LearnerDataTransmissionAudit.objects.all()
        ),
    ]
    texts = {"logs": caplog.text}
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        texts[page] = response.content.decode()
    for run in runs:
        report = client.get(reverse("admin:integrated_channel_run_error_report", args=[run.pk]))
        texts[f"report {run.pk}"] = b"".join(report.streaming_content).decode()
    texts["stored"] = repr(
        list(Run.objects.values())
        + list(RunError.objects.values())
        + list(LearnerDataTransmissionAudit.objects.values())
    )

    assert "[redacted]" in texts["stored"]  # the echoes were there, and were redacted
    for where, text in texts.items():
        assert SECRET not in text, where
        assert token not in text, where
