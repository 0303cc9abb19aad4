"""The operation pages of an SFTP connection (the framework's, decision 0175): on-demand execution, re-run
button (latest run of the operation only), chart, labels."""

import datetime
import re

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from integrated_channels.integrated_channel.models import Run
from integrated_channels.sftp.services import ondemand
from tests.factories import CourseFactory, StaffFactory
from tests.integrated_channels.factories import completed_enrollment
from tests.integrated_channels.sftp.factories import connection_to

pytestmark = pytest.mark.django_db

DIR = "import/user/internal"
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def change_url(config, code="user_import"):
    """The page of one operation of the connection (schedule, run now, execution status)."""
    return reverse("admin:integrated_channel_operation", args=[config.pk, code])


def rerun_url(config, run):
    return reverse("admin:integrated_channel_operation_rerun", args=[config.pk, run.kind, run.pk])


def staff_client(*codenames):
    user = StaffFactory(is_superuser=False)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="sftp", codename__in=codenames))
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


@pytest.fixture
def two_imports(sftp_server):
    """A connection whose two imports failed (the server drops the transfer), then the file is readable."""
    config = connection_to(sftp_server)
    sftp_server.write(f"{DIR}/a.csv", "Email,Manager,Department\nx@example.com,,A\n")
    sftp_server.drop_on_read = "a.csv"
    older = ondemand.run_now(configuration=config, operation=ondemand.IMPORT)
    newer = ondemand.run_now(configuration=config, operation=ondemand.IMPORT)
    sftp_server.drop_on_read = ""
    return config, older, newer


def test_the_button_is_on_the_latest_run_of_each_operation_only(two_imports):
    config, older, newer = two_imports
    export = ondemand.run_now(configuration=config, operation=ondemand.EXPORT)
    client = staff_client("view_sftpconfiguration", "change_sftpconfiguration")

    body = client.get(change_url(config)).content.decode()
    exports = client.get(change_url(config, "file_export")).content.decode()

    assert f'action="{rerun_url(config, newer)}"' in body
    assert f'action="{rerun_url(config, older)}"' not in body
    assert body.count('value="Re-run"') == 1 and f">#{export.pk}<" not in body
    assert f'action="{rerun_url(config, export)}"' in exports and exports.count('value="Re-run"') == 1


def test_posting_the_button_with_its_csrf_token_reruns_the_latest_run(two_imports):
    config, _older, newer = two_imports
    client = staff_client("view_sftpconfiguration", "change_sftpconfiguration")
    page = client.get(change_url(config)).content.decode()
    token = CSRF_INPUT.search(page[page.index('class="run-rerun"') :]).group(1)

    response = client.post(rerun_url(config, newer), {"csrfmiddlewaretoken": token}, follow=True)

    assert response.redirect_chain == [(change_url(config), 302)]
    rerun = Run.objects.order_by("-id").first()
    assert rerun.pk != newer.pk
    assert (rerun.kind, rerun.trigger, rerun.status, rerun.sent) == (
        "user_import",
        Run.Trigger.ADMIN,
        Run.Status.COMPLETED,
        1,
    )
    assert f"run #{newer.pk} re-run as run #{rerun.pk} completed: 1 done, 0 failed" in response.content.decode()


def test_an_older_run_cannot_be_rerun(two_imports):
    config, older, newer = two_imports
    client = staff_client("view_sftpconfiguration", "change_sftpconfiguration")
    page = client.get(change_url(config)).content.decode()
    token = CSRF_INPUT.search(page).group(1)

    response = client.post(rerun_url(config, older), {"csrfmiddlewaretoken": token}, follow=True)

    assert Run.objects.filter(configuration=config).count() == 2
    body = response.content.decode()
    assert f"Not re-run: Only the latest run can be re-run: run #{newer.pk} is newer than run #{older.pk}." in body


def test_the_rerun_needs_post_csrf_and_the_change_permission(two_imports):
    config, _older, newer = two_imports
    url = rerun_url(config, newer)
    changer = staff_client("view_sftpconfiguration", "change_sftpconfiguration")
    viewer = staff_client("view_sftpconfiguration")

    assert changer.get(url).status_code == 405
    assert changer.post(url).status_code == 403  # no CSRF token
    viewer_page = viewer.get(change_url(config)).content.decode()
    assert 'value="Re-run"' not in viewer_page and f">#{newer.pk}<" in viewer_page
    token = CSRF_INPUT.search(viewer_page).group(1)
    assert viewer.post(url, {"csrfmiddlewaretoken": token}).status_code == 403
    assert Client().post(url).status_code in (302, 403)  # anonymous: to the login page
    assert Run.objects.filter(configuration=config).count() == 2


def test_a_run_of_another_connection_is_not_found(two_imports, sftp_server, admin_client):
    config, _older, newer = two_imports
    other = connection_to(sftp_server)

    assert admin_client.post(rerun_url(other, newer)).status_code == 404
    assert Run.objects.filter(configuration=config).count() == 2


def test_a_run_in_progress_shows_in_progress_without_button_nor_report(sftp_server, admin_client):
    config = connection_to(sftp_server)
    now = timezone.now()
    running = Run.objects.create(
        configuration=config,
        customer=config.customer,
        channel="SFTP",
        kind="user_import",
        started_at=now,
        heartbeat_at=now,
    )

    body = admin_client.get(change_url(config)).content.decode()

    assert f">#{running.pk}<" in body and "<td>In progress</td>" in body
    assert 'value="Re-run"' not in body
    assert reverse("admin:integrated_channel_run_error_report", args=[running.pk]) not in body


def test_the_chart_draws_records_and_failures_oldest_first_and_links_all_runs(sftp_server, admin_client):
    config = connection_to(sftp_server)
    sftp_server.write(f"{DIR}/a.csv", "Email,Manager,Department\nx@example.com,,A\nbad,,A\n")
    first = ondemand.run_now(configuration=config, operation=ondemand.IMPORT)
    sftp_server.write(f"{DIR}/b.csv", "Email,Manager,Department\ny@example.com,,A\nz@example.com,,A\n")
    second = ondemand.run_now(configuration=config, operation=ondemand.IMPORT)

    body = admin_client.get(change_url(config)).content.decode()

    bars = re.findall(
        r"<title>#(\d+) [^<]+? (?:Completed|Completed with errors|Failed|In progress): "
        r"(\d+) done, (\d+) skipped, (\d+) failed</title>",
        body,
    )
    assert bars == [(str(first.pk), "1", "0", "1"), (str(second.pk), "2", "0", "0")]
    assert 'class="chart-done" x="30" y="0" width="8" height="100"' in body  # the largest bar is full height
    assert 'class="chart-failed" x="16" y="50" width="8" height="50"' in body
    all_runs = reverse("admin:integrated_channel_run_changelist") + (
        f"?customer={config.customer_id}&amp;channel=SFTP&amp;connection_name=default&amp;kind=user_import"
    )
    assert f'href="{all_runs}"' in body
    listing = admin_client.get(all_runs.replace("&amp;", "&")).content.decode()
    assert f">{first.pk}<" in listing and f">{second.pk}<" in listing


def run_now_url(config, code="user_import"):
    return change_url(config, code)  # the operation's page takes the on-demand form (action=run)


def test_on_demand_execution_exports_from_the_start_date_given(sftp_server):
    config = connection_to(sftp_server)
    completed_enrollment(config.customer, course=CourseFactory(skills=["Python"]))
    client = staff_client("view_sftpconfiguration", "change_sftpconfiguration")
    page = client.get(change_url(config, "skills_export")).content.decode()
    assert 'name="start_date"' in page
    token = CSRF_INPUT.search(page[page.index('class="operation-run-now"') :]).group(1)
    start = timezone.localdate() - datetime.timedelta(days=4)

    response = client.post(
        run_now_url(config, "skills_export"),
        {"csrfmiddlewaretoken": token, "action": "run", "start_date": start.isoformat()},
        follow=True,
    )

    run = Run.objects.get(configuration=config)
    assert (run.kind, run.trigger, timezone.localdate(run.start_date), run.sent) == (
        "skills_export",
        Run.Trigger.ADMIN,
        start,
        1,
    )
    assert f"run #{run.pk} completed: 1 done, 0 failed" in response.content.decode()
    assert sftp_server.path(
        f"export/skill_achievements_{start:%Y-%m-%d}_to_{timezone.localdate():%Y-%m-%d}.csv"
    ).exists()


def test_on_demand_execution_refuses_bad_input_and_needs_the_change_permission(sftp_server, admin_client):
    config = connection_to(sftp_server)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)

    future = admin_client.post(run_now_url(config, "file_export"), {"action": "run", "start_date": tomorrow})
    unknown = admin_client.post(reverse("admin:integrated_channel_operation", args=[config.pk, "delete-everything"]))

    assert future.status_code == 200 and "The start date cannot be in the future." in future.content.decode()
    assert unknown.status_code == 404
    assert admin_client.post(run_now_url(config), {"action": "delete"}).status_code == 405
    viewer = staff_client("view_sftpconfiguration")
    page = viewer.get(change_url(config)).content.decode()
    assert "operation-run-now" not in page and "operation-schedule" not in page
    token = CSRF_INPUT.search(viewer.get(reverse("admin:index")).content.decode() + page)
    data = {"csrfmiddlewaretoken": token.group(1) if token else "", "action": "run"}
    assert viewer.post(run_now_url(config), data).status_code == 403
    assert not Run.objects.exists()
