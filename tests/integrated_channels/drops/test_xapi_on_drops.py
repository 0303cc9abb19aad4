"""xAPI on any drop: the statement import from an FTPS server, and the export of the statements the
platform holds (imported and sent) for a date range, plain or zipped."""

import csv
import datetime
import io
import json
import uuid
import zipfile

import pytest
from django.utils import timezone

from integrated_channels.sftp.services.xapi_export import export_xapi_activity
from integrated_channels.xapi import statements, verbs
from integrated_channels.xapi.models import XAPIStatement
from integrated_channels.xapi.services.statement_import import import_statements
from tests.integrated_channels.drops.factories import ftp_connection_to
from tests.integrated_channels.xapi.factories import import_from

pytestmark = pytest.mark.django_db


def test_the_xapi_import_reads_an_ftps_drop(ftps_server):
    config = import_from(ftps_server, protocol="ftps", host_key_fingerprint="")
    ftps_server.write(
        "import/xapi.csv", f"Learner,Verb,Activity\nalice@example.com,{verbs.ADL}experienced,https://v.example.com/1\n"
    )

    result = import_statements(configuration=config)

    assert result.found and result.deleted and not ftps_server.path("import/xapi.csv").exists()
    assert XAPIStatement.objects.filter(customer=config.customer).count() == 1


def statement(when: datetime.datetime, **extra) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "mbox": "mailto:alice@example.com"},
        "verb": {"id": verbs.COMPLETED, "display": {"en-US": "completed"}},
        "object": {"id": "https://lms.example.com/courses/c1", "definition": {"name": {"en-US": "=Course"}}},
        "timestamp": when.isoformat(),
        **extra,
    }


@pytest.mark.parametrize("zipped", [False, True])
def test_statements_of_the_range_are_exported(drop_server, zipped):
    config = ftp_connection_to(drop_server, zip_exports=zipped)
    today = timezone.localdate()
    inside = timezone.now() - datetime.timedelta(days=2)
    kept = statement(inside, result={"completion": True, "success": True, "score": {"scaled": 0.8}})
    statements.store(config.customer_id, [kept], source="imported")
    statements.store(config.customer_id, [statement(inside - datetime.timedelta(days=30))], source="sent")
    statements.store(ftp_connection_to(drop_server).customer_id, [statement(inside)], source="sent")  # not theirs
    date_from = today - datetime.timedelta(days=7)

    result = export_xapi_activity(configuration=config, date_from=date_from, date_to=today)

    stem = f"xapi_activity_{date_from:%Y-%m-%d}_to_{today:%Y-%m-%d}"
    assert result.path == f"export/{stem}.{'zip' if zipped else 'csv'}"
    assert (result.run.status, result.run.kind, result.run.sent) == ("completed", "xapi_export", 1)
    content = drop_server.path(result.path).read_bytes()
    if zipped:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            content = archive.read(f"{stem}.csv")
    [row] = list(csv.DictReader(io.StringIO(content.decode())))
    assert row["statement_id"] == kept["id"] and row["actor"] == "mailto:alice@example.com"
    assert (row["verb"], row["verb_display"], row["object_name"]) == (verbs.COMPLETED, "completed", "'=Course")
    assert (row["result_completion"], row["result_success"], row["result_score_scaled"]) == ("true", "true", "0.8")
    assert row["source"] == "imported" and json.loads(row["statement"])["id"] == kept["id"]


def test_the_xapi_export_runs_by_its_short_name_and_from_the_admin_action(ftp_server, admin_client):
    from django.urls import reverse

    from integrated_channels.integrated_channel.models import Run
    from integrated_channels.sftp.services import ondemand

    config = ftp_connection_to(ftp_server)
    statements.store(config.customer_id, [statement(timezone.now())], source="sent")

    run = ondemand.run_now(configuration=config, operation=ondemand.XAPI)
    assert (run.kind, run.status, run.sent) == ("xapi_export", "completed", 1)

    response = admin_client.post(
        reverse("admin:sftp_sftpconfiguration_changelist"),
        {"action": "export_xapi_now", "_selected_action": [config.pk]},
    )
    assert response.status_code == 302
    assert Run.objects.filter(configuration_id=config.pk, kind="xapi_export", status="completed").count() == 2
