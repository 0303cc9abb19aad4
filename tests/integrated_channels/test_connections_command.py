"""``manage.py connections apply|export``: connections as code, idempotent and all or nothing."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django_celery_beat.models import PeriodicTask

from integrated_channels.integrated_channel.models import ChannelConfiguration, OperationSchedule
from integrated_channels.sftp.models import SFTPConfiguration
from integrated_channels.xapi.models import XAPIImportConfiguration
from tests.factories import CustomerFactory
from tests.integrated_channels.sftp.factories import FINGERPRINT, SFTPConfigurationFactory

pytestmark = pytest.mark.django_db


def sftp_item(owner, **overrides):
    item = {
        "customer": owner.slug,
        "connector": "SFTP",
        "name": "hr-files",
        "active": True,
        "notifications": {"emails": ["ops@example.com"], "when": "errors"},
        "settings": {
            "host": "sftp.example.com",
            "port": 2222,
            "username": "acme",
            "host_key_fingerprint": FINGERPRINT,
            "base_path": "/in",
            "attribute_mapping": {"email": "Email", "manager": "Manager", "department": None},
        },
        "credentials": {"password": "pa55word"},
        "schedules": {
            "user_import": {"enabled": True, "start": "2026-01-05T02:00:00+00:00", "every": 6, "unit": "hours"}
        },
    }
    item.update(overrides)
    return item


def write(tmp_path, items, name="connections.json"):
    path = tmp_path / name
    path.write_text(json.dumps({"connections": items}), encoding="utf-8")
    return str(path)


def run(*args) -> str:
    out = io.StringIO()
    call_command("connections", *args, stdout=out)
    return out.getvalue()


def test_apply_creates_a_connection_with_its_credentials_notifications_and_schedule(tmp_path):
    customer = CustomerFactory()
    output = run("apply", write(tmp_path, [sftp_item(customer)]))
    assert f"created {customer.slug} / SFTP / hr-files" in output
    connection = SFTPConfiguration.objects.get(customer=customer, name="hr-files")
    assert (connection.host, connection.port, connection.password) == ("sftp.example.com", 2222, "pa55word")
    assert connection.notify_emails == "ops@example.com" and connection.notify_when == "errors"
    schedule = OperationSchedule.objects.get(configuration=connection, operation="user_import")
    assert (schedule.enabled, schedule.every, schedule.unit) == (True, 6, "hours")
    assert PeriodicTask.objects.filter(pk=schedule.periodic_task_id, enabled=True).exists()


def test_apply_twice_is_idempotent_and_finds_the_customer_by_uuid(tmp_path):
    customer = CustomerFactory()
    path = write(tmp_path, [sftp_item(customer, customer=str(customer.uuid))])
    run("apply", path)
    output = run("apply", path)
    assert f"unchanged {customer.slug} / SFTP / hr-files" in output
    assert "0 created, 0 updated, 1 unchanged" in output
    assert SFTPConfiguration.objects.filter(customer=customer).count() == 1
    assert OperationSchedule.objects.count() == 1


def test_apply_updates_and_keeps_stored_secrets_when_omitted(tmp_path):
    customer = CustomerFactory()
    run("apply", write(tmp_path, [sftp_item(customer)]))
    item = sftp_item(customer)
    del item["credentials"]
    item["settings"]["base_path"] = "/inbox"
    output = run("apply", write(tmp_path, [item]))
    assert f"updated {customer.slug} / SFTP / hr-files: settings.base_path" in output
    connection = SFTPConfiguration.objects.get(customer=customer)
    assert connection.base_path == "/inbox" and connection.password == "pa55word"


def test_dry_run_shows_the_changes_and_saves_nothing(tmp_path):
    customer = CustomerFactory()
    output = run("apply", write(tmp_path, [sftp_item(customer)]), "--dry-run")
    assert f"would be created {customer.slug} / SFTP / hr-files" in output
    assert "Dry run (nothing saved)" in output
    assert not ChannelConfiguration.objects.exists()
    assert not PeriodicTask.objects.filter(name__startswith="connection-").exists()  # no schedule of a connection


def test_errors_name_the_connection_and_field_and_nothing_is_applied(tmp_path):
    customer = CustomerFactory()
    good = sftp_item(customer, name="good")
    bad_port = sftp_item(customer, name="bad")
    bad_port["settings"]["port"] = 70000
    unknown = sftp_item(customer, name="typo")
    unknown["settings"]["hostname"] = "x"
    with pytest.raises(CommandError) as refused:
        run("apply", write(tmp_path, [good, bad_port, unknown]))
    message = str(refused.value)
    assert f"connections[1]: {customer.slug} / SFTP / bad: settings.port:" in message
    assert f"connections[2]: {customer.slug} / SFTP / typo: settings: Unknown field(s) hostname." in message
    assert not ChannelConfiguration.objects.exists()  # the good one was rolled back too


def test_model_validation_is_the_admins(tmp_path):
    customer = CustomerFactory()
    item = sftp_item(customer)
    item["settings"]["attribute_mapping"] = {"manager": "Manager"}  # e-mail is mandatory for an active one
    item["notifications"]["when"] = "sometimes"
    with pytest.raises(CommandError) as refused:
        run("apply", write(tmp_path, [item]))
    message = str(refused.value)
    assert "hr-files: active: Map the mandatory attributes before activating" in message
    assert "hr-files: notifications.when:" in message


def test_unknown_customer_connector_operation_and_schedule_errors(tmp_path):
    customer = CustomerFactory()
    items = [
        sftp_item(customer, customer="nobody"),
        sftp_item(customer, connector="NOPE"),
        sftp_item(customer, schedules={"teleport": {"start": "2026-01-01T00:00Z", "every": 1, "unit": "days"}}),
        sftp_item(
            customer, name="naive", schedules={"user_import": {"start": "2026-01-01", "every": 1, "unit": "days"}}
        ),
    ]
    with pytest.raises(CommandError) as refused:
        run("apply", write(tmp_path, items))
    message = str(refused.value)
    assert "connections[0]: customer: No customer 'nobody'." in message
    assert "connections[1]: connector: Unknown channel 'NOPE'" in message
    assert "connections[2]" in message and "schedules.teleport: SFTP has no operation 'teleport'" in message
    assert "connections[3]" in message and "schedules.user_import.start: Expected a date-time" in message


def test_a_new_connection_needs_its_credentials(tmp_path):
    customer = CustomerFactory()
    item = sftp_item(customer, connector="XAPI")
    item["settings"] = {"endpoint": "https://lrs.example.com/xapi/", "version": "1.0.3"}
    item["credentials"] = {"key": "k"}
    del item["schedules"]
    with pytest.raises(CommandError, match=r"credentials\.secret: This field cannot be blank"):
        run("apply", write(tmp_path, [item]))


def test_export_writes_the_connections_back_without_secrets_and_applies_unchanged(tmp_path):
    customer, other = CustomerFactory(), CustomerFactory()
    run("apply", write(tmp_path, [sftp_item(customer), sftp_item(other)]))
    text = run("export", "--customer", customer.slug)
    data = json.loads(text)
    (connection,) = data["connections"]
    assert connection["customer"] == customer.slug and connection["connector"] == "SFTP"
    assert connection["settings"]["host"] == "sftp.example.com"
    assert "credentials" not in connection and "pa55word" not in text
    assert connection["schedules"]["user_import"]["every"] == 6
    exported = tmp_path / "exported.json"
    exported.write_text(text, encoding="utf-8")
    assert "1 unchanged" in run("apply", str(exported))


def test_export_by_connector(tmp_path):
    SFTPConfigurationFactory()
    assert json.loads(run("export", "--connector", "xapi")) == {"connections": []}
    assert len(json.loads(run("export", "--connector", "sftp"))["connections"]) == 1


def test_rows_of_a_connector_replace_the_connections_rows(tmp_path):
    customer = CustomerFactory()
    item = {
        "customer": customer.slug,
        "connector": "XAPI_IMPORT",
        "name": "statements",
        "settings": {"host": "h", "username": "u", "host_key_fingerprint": FINGERPRINT, "source_file": "x.csv"},
        "credentials": {"password": "p"},
        "rows": {
            "mappings": [{"path": "actor.mbox", "column": "Email", "value_type": "string"}],
            "filters": [{"name": "only done", "field": "Status", "operator": "equals", "value": "done"}],
        },
    }
    run("apply", write(tmp_path, [item]))
    connection = XAPIImportConfiguration.objects.get(customer=customer)
    assert [(m.path, m.column) for m in connection.mappings.all()] == [("actor.mbox", "Email")]
    assert "unchanged" in run("apply", write(tmp_path, [item]))
    item["rows"]["mappings"].append({"path": "no such path!", "column": "X", "value_type": "string"})
    with pytest.raises(CommandError, match=r"rows\.mappings\[1\]\.path:"):
        run("apply", write(tmp_path, [item]))
    assert connection.mappings.count() == 1
    exported = json.loads(run("export", "--connector", "XAPI_IMPORT"))["connections"][0]
    assert exported["rows"]["filters"][0]["operator"] == "equals"


def test_file_that_is_not_a_connections_file(tmp_path):
    path = tmp_path / "x.json"
    path.write_text("[1, 2", encoding="utf-8")
    with pytest.raises(CommandError, match="Not JSON"):
        run("apply", str(path))
    with pytest.raises(CommandError, match="Cannot read"):
        run("apply", str(tmp_path / "missing.json"))


DOCS = Path(__file__).resolve().parents[2] / "docs" / "connectors"


def test_checked_in_connector_docs_are_current():
    from integrated_channels.integrated_channel.connector_docs import render_all

    pages = render_all()
    assert {"index.md", "sftp.md", "xapi-import.md", "learningstudio.md", "sap.md"} <= set(pages)
    for name, text in pages.items():
        assert (DOCS / name).read_text(encoding="utf-8") == text, f"run `manage.py connections docs` ({name})"
    assert "echo" not in " ".join(pages)  # the tests' own connector is not documented as shipped


@pytest.mark.parametrize("page", ["sftp.md", "xapi-import.md", "learningstudio.md", "sap.md", "xapi.md", "test.md"])
def test_the_example_of_each_connector_page_applies(tmp_path, page):
    CustomerFactory(slug="acme")
    text = (DOCS / page).read_text(encoding="utf-8")
    example = text.split("```json\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "example.json"
    path.write_text(example, encoding="utf-8")
    assert "1 created" in run("apply", str(path))
    assert "1 unchanged" in run("apply", str(path))


def test_export_queries_do_not_grow_with_the_connections(django_assert_max_num_queries):
    from integrated_channels.integrated_channel.services import connection_files

    for _ in range(5):
        connection = SFTPConfigurationFactory()
        OperationSchedule.objects.create(
            configuration=connection, operation="user_import", start="2026-01-01T00:00Z", every=1, unit="days"
        )
    with django_assert_max_num_queries(4):  # the rows, their SFTP models (with customers), the schedules
        data = connection_files.export()
    assert len(data["connections"]) == 5 and all(c["schedules"] for c in data["connections"])
