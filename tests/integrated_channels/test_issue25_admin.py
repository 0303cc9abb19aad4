"""The admin pages of the issue 25 connections (Degreed to Cornerstone) render, and never show their secrets."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.integrated_channels.blackboard.conftest import BlackboardConfigurationFactory
from tests.integrated_channels.canvas.conftest import CanvasConfigurationFactory
from tests.integrated_channels.cornerstone.conftest import CATALOG_PASSWORD, CornerstoneConfigurationFactory
from tests.integrated_channels.degreed.conftest import DegreedConfigurationFactory
from tests.integrated_channels.factories import SECRET
from tests.integrated_channels.moodle.conftest import MoodleConfigurationFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("factory", "extra", "secrets"),
    [
        (DegreedConfigurationFactory, {}, [SECRET]),
        (MoodleConfigurationFactory, {"token": "moodle-token-SECRET"}, ["ws-pass-SECRET", "moodle-token-SECRET"]),
        (CanvasConfigurationFactory, {"refresh_token": "refresh-SECRET"}, [SECRET, "refresh-SECRET"]),
        (BlackboardConfigurationFactory, {"refresh_token": "refresh-SECRET"}, [SECRET, "refresh-SECRET"]),
        (CornerstoneConfigurationFactory, {}, [SECRET, CATALOG_PASSWORD]),
    ],
)
def test_add_and_change_pages_render_without_secrets(admin_client, factory, extra, secrets):
    configuration = factory(**extra)
    opts = configuration._meta
    add = admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
    change = admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[configuration.pk]))
    assert (add.status_code, change.status_code) == (200, 200)
    page = change.content.decode()
    assert "Test connection" in page
    assert not [secret for secret in secrets if secret in page]
