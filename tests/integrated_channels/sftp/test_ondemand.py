import datetime

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from enterprise.models import PendingEnterpriseCustomerUser
from integrated_channels.integrated_channel.models import Run
from integrated_channels.sftp.services import ondemand
from tests.integrated_channels.factories import completed_enrollment
from tests.integrated_channels.sftp.factories import connection_to

pytestmark = pytest.mark.django_db

DIR = "import/user/internal"


def test_command_imports_for_active_connections(sftp_server, capsys):
    config = connection_to(sftp_server)
    sftp_server.write(f"{DIR}/a.csv", "Email,Manager,Department\nx@example.com,,A\n")

    call_command("sftp_run", "import")

    assert "completed: 1 done, 0 failed" in capsys.readouterr().out
    assert PendingEnterpriseCustomerUser.objects.filter(customer=config.customer, user_email="x@example.com").exists()


def test_command_exports_from_the_start_date_to_today(sftp_server, capsys):
    config = connection_to(sftp_server)
    completed_enrollment(config.customer)
    start = timezone.localdate() - datetime.timedelta(days=5)

    call_command("sftp_run", "export", "--start-date", start.isoformat(), "--customer", str(config.customer.uuid))

    name = f"export/learner_transcript_{start:%Y-%m-%d}_to_{timezone.localdate():%Y-%m-%d}.csv"
    assert sftp_server.path(name).exists()
    run = Run.objects.get(kind="file_export")
    assert timezone.localdate(run.start_date) == start


def test_command_fails_when_a_run_fails(sftp_server):
    connection_to(sftp_server, password="wrong")
    with pytest.raises(CommandError, match="1 of 1 run"):
        call_command("sftp_run", "import")


def test_command_without_connections_says_so(db):
    with pytest.raises(CommandError, match="No active SFTP connection"):
        call_command("sftp_run", "import")


def test_only_the_latest_run_can_be_rerun(sftp_server, capsys):
    config = connection_to(sftp_server)
    sftp_server.drop_on_read = "a.csv"
    sftp_server.write(f"{DIR}/a.csv", "Email,Manager,Department\nx@example.com,,A\n")
    first = ondemand.run_now(configuration=config, operation=ondemand.IMPORT)
    second = ondemand.run_now(configuration=config, operation=ondemand.IMPORT)
    assert first.status == second.status == Run.Status.FAILED

    with pytest.raises(ondemand.RerunRefused, match=f"run #{second.pk} is newer than run #{first.pk}"):
        ondemand.rerun(run=first)
    with pytest.raises(CommandError, match="Only the latest run"):
        call_command("sftp_run", "rerun", "--run", str(first.pk))

    sftp_server.drop_on_read = ""
    call_command("sftp_run", "rerun", "--run", str(second.pk))

    third = Run.objects.order_by("-id").first()
    assert f"Run #{second.pk} re-run as run #{third.pk} completed" in capsys.readouterr().out
    assert third.status == Run.Status.COMPLETED and third.sent == 1


def test_rerun_of_an_export_covers_the_same_range(sftp_server):
    config = connection_to(sftp_server)
    start = timezone.localdate() - datetime.timedelta(days=3)
    first = ondemand.run_now(configuration=config, operation=ondemand.EXPORT, start_date=start)

    again = ondemand.rerun(run=first)

    assert again.kind == "file_export" and timezone.localdate(again.start_date) == start


def test_non_sftp_runs_cannot_be_rerun_here(sftp_server):
    config = connection_to(sftp_server)
    run = Run.objects.create(
        configuration=config,
        customer=config.customer,
        channel="SFTP",
        kind="learner_data",
        started_at=timezone.now(),
        heartbeat_at=timezone.now(),
        status=Run.Status.COMPLETED,
        finished_at=timezone.now(),
    )
    with pytest.raises(ondemand.RerunRefused, match="not an SFTP import or export"):
        ondemand.rerun(run=run)


def test_admin_actions_run_on_demand_and_runs_are_listed_newest_first(sftp_server, admin_client):
    config = connection_to(sftp_server)
    sftp_server.write(f"{DIR}/a.csv", "Email,Manager,Department\nx@example.com,,A\n")
    url = "/admin/sftp/sftpconfiguration/"

    response = admin_client.post(url, {"action": "import_users_now", "_selected_action": [config.pk]}, follow=True)
    assert "completed: 1 done, 0 failed" in response.content.decode()
    response = admin_client.post(
        url, {"action": "export_transcripts_now", "_selected_action": [config.pk]}, follow=True
    )
    assert response.status_code == 200

    runs = list(Run.objects.filter(configuration=config))
    assert [run.kind for run in runs] == ["file_export", "user_import"]  # newest first
    assert all(run.trigger == Run.Trigger.ADMIN for run in runs)
    assert admin_client.get("/admin/integrated_channel/run/?kind=user_import").status_code == 200
