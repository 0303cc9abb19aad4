"""Admin of the xAPI configurations, the import schedule, the registry."""

from __future__ import annotations

import datetime
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from integrated_channels.integrated_channel.registry import registry
from integrated_channels.integrated_channel.schedules import save_schedule, task_name
from integrated_channels.integrated_channel.tasks import run_scheduled_operation
from integrated_channels.xapi import paths
from integrated_channels.xapi.models import XAPIConfiguration, XAPIImportConfiguration, XAPIImportMapping
from tests.factories import CustomerFactory
from tests.integrated_channels.xapi.factories import XAPIConfigurationFactory

pytestmark = pytest.mark.django_db


def test_both_channels_are_registered():
    assert registry.get("XAPI").exports_learner_data
    assert not registry.get("XAPI_IMPORT").exports_learner_data


def test_lrs_key_and_secret_are_encrypted_and_never_shown(admin_client):
    config = XAPIConfigurationFactory(secret="very-secret-lrs-value")
    body = admin_client.get(f"/admin/xapi/xapiconfiguration/{config.pk}/change/").content.decode()
    assert "very-secret-lrs-value" not in body and "lrs-key" not in body
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM xapi_xapiconfiguration")
        assert "very-secret-lrs-value" not in cursor.fetchone()[0]
    assert XAPIConfiguration.objects.get().secret == "very-secret-lrs-value"


def test_new_import_page_proposes_the_mandatory_paths(admin_client):
    body = admin_client.get("/admin/xapi/xapiimportconfiguration/add/").content.decode()
    for path in paths.MANDATORY:
        assert f'value="{path}"' in body
    assert "result.score.scaled" in body  # listed among the expected paths


def test_sample_file_columns_become_the_mapping_choices(admin_client, rf):
    from integrated_channels.xapi.admin import MappingForm, XAPIImportForm

    form = XAPIImportForm(
        data={},
        files={"sample_file": SimpleUploadedFile("s.csv", b"Email,Verb IRI,Course,Score\nx@example.com,a,b,1\n")},
    )
    form.is_valid()
    assert form.sample_columns == ["Email", "Verb IRI", "Course", "Score"]
    config = XAPIImportConfiguration.objects.create(
        customer=CustomerFactory(),
        name="n",
        host="h",
        username="u",
        password="p",
        host_key_fingerprint="SHA256:" + "A" * 43,
        source_file="x.csv",
        sample_columns=form.sample_columns,
    )
    XAPIImportMapping.objects.create(configuration=config, path="verb.id", column="Verb IRI")
    body = admin_client.get(f"/admin/xapi/xapiimportconfiguration/{config.pk}/change/").content.decode()
    assert '<option value="Verb IRI" selected>Verb IRI</option>' in body
    assert '<option value="Score">Score</option>' in body
    assert MappingForm(columns=("A",)).fields["column"].choices == [("", "---------"), ("A", "A")]


def test_a_mapping_of_an_unknown_path_or_wrong_type_is_refused():
    mapping = XAPIImportMapping(path="result.success", column="S", value_type=paths.STRING)
    with pytest.raises(Exception, match="boolean"):
        mapping.clean()
    with pytest.raises(Exception, match="not an xAPI statement path"):
        XAPIImportMapping(path="foo.bar", column="S").clean()


def test_schedule_is_a_periodic_task_and_runs_the_import(monkeypatch):
    config = XAPIImportConfiguration.objects.create(
        customer=CustomerFactory(),
        name="n",
        active=True,
        host="h",
        username="u",
        password="p",
        host_key_fingerprint="SHA256:" + "A" * 43,
        source_file="x.csv",
    )
    start = timezone.now() + datetime.timedelta(hours=1)
    save_schedule(config, "statement_import", enabled=True, start=start, every=3, unit="days")
    task = PeriodicTask.objects.get(name=task_name(config.pk, "statement_import"))
    assert task.interval.every == 3
    assert json.loads(task.kwargs) == {"configuration_id": config.pk, "operation": "statement_import"}
    from integrated_channels.xapi.services import statement_import

    seen = []
    monkeypatch.setattr(
        statement_import,
        "import_statements",
        lambda **kwargs: seen.append(kwargs) or type("R", (), {"run": type("X", (), {"pk": 9})})(),
    )
    assert run_scheduled_operation(configuration_id=config.pk, operation="statement_import") == 9
    assert seen[0]["trigger"] == "schedule"
    save_schedule(config, "statement_import", enabled=False, start=start, every=3, unit="days")
    task.refresh_from_db()
    assert not task.enabled
    assert run_scheduled_operation(configuration_id=config.pk, operation="statement_import") is None
