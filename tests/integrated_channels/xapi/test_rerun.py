"""xAPI imports: only the latest run can be re-run (button on the import's page), admin imports queued on Celery."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from integrated_channels.integrated_channel import tasks
from integrated_channels.integrated_channel.exceptions import RunLocked
from integrated_channels.integrated_channel.models import Run
from integrated_channels.xapi.services import ondemand
from integrated_channels.xapi.services.statement_import import import_statements
from tests.factories import StaffFactory
from tests.integrated_channels.sftp.test_rerun_admin import CSRF_INPUT
from tests.integrated_channels.xapi.factories import import_from

pytestmark = pytest.mark.django_db

ROWS = "Learner,Verb,Activity\nnobody@example.com,http://x.example/v,c\n"


def change_url(config):
    """The page of the import's operation (schedule, run now, execution status)."""
    return reverse("admin:integrated_channel_operation", args=[config.pk, "statement_import"])


def rerun_url(config, run):
    return reverse("admin:integrated_channel_operation_rerun", args=[config.pk, "statement_import", run.pk])


def staff_client(*codenames):
    user = StaffFactory(is_superuser=False)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="xapi", codename__in=codenames))
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


@pytest.fixture
def two_runs(sftp_server):
    """An import with two runs (both found no file), then a file to import."""
    config = import_from(sftp_server)
    older = import_statements(configuration=config).run
    newer = import_statements(configuration=config).run
    sftp_server.write("import/xapi.csv", ROWS)
    return config, older, newer


def test_only_the_latest_finished_run_can_be_rerun(two_runs):
    _config, older, newer = two_runs
    with pytest.raises(ondemand.RerunRefused, match=f"run #{newer.pk} is newer than run #{older.pk}"):
        ondemand.rerun(run=older)
    Run.objects.filter(pk=newer.pk).update(status=Run.Status.RUNNING, finished_at=None)
    with pytest.raises(ondemand.RerunRefused, match="still in progress"):
        ondemand.rerun(run=Run.objects.get(pk=newer.pk))
    Run.objects.filter(pk=newer.pk).update(status=Run.Status.COMPLETED, finished_at=timezone.now())

    again = ondemand.rerun(run=newer)

    assert again.pk != newer.pk and (again.status, again.selected, again.failed) == (
        Run.Status.COMPLETED_WITH_ERRORS,
        1,
        1,
    )


def test_the_button_is_on_the_latest_run_only_and_posting_it_reruns(two_runs):
    config, older, newer = two_runs
    client = staff_client("view_xapiimportconfiguration", "change_xapiimportconfiguration")
    page = client.get(change_url(config)).content.decode()
    assert f'action="{rerun_url(config, newer)}"' in page
    assert rerun_url(config, older) not in page and page.count('class="run-rerun"') == 1
    token = CSRF_INPUT.search(page).group(1)

    response = client.post(rerun_url(config, newer), {"csrfmiddlewaretoken": token}, follow=True)

    assert response.redirect_chain == [(change_url(config), 302)]
    again = Run.objects.order_by("-id").first()
    assert (again.trigger, again.status, again.failed) == (Run.Trigger.ADMIN, Run.Status.COMPLETED_WITH_ERRORS, 1)
    assert f"run #{newer.pk} re-run as run #{again.pk} completed with errors" in response.content.decode()


def test_an_older_run_is_refused_with_the_reason(two_runs):
    config, older, newer = two_runs
    client = staff_client("view_xapiimportconfiguration", "change_xapiimportconfiguration")
    token = CSRF_INPUT.search(client.get(change_url(config)).content.decode()).group(1)

    response = client.post(rerun_url(config, older), {"csrfmiddlewaretoken": token}, follow=True)

    assert f"Not re-run: Only the latest run can be re-run: run #{newer.pk} is newer" in response.content.decode()
    assert Run.objects.count() == 2


def test_the_rerun_needs_the_change_permission_before_anything_post_and_csrf(two_runs):
    config, _older, newer = two_runs
    url = rerun_url(config, newer)
    viewer = staff_client("view_xapiimportconfiguration")
    page = viewer.get(change_url(config)).content.decode()
    assert "run-rerun" not in page  # no button without the change permission
    assert viewer.get(url).status_code == 403  # the permission is checked before the method
    token = CSRF_INPUT.search(page).group(1)
    assert viewer.post(url, {"csrfmiddlewaretoken": token}).status_code == 403
    changer = staff_client("view_xapiimportconfiguration", "change_xapiimportconfiguration")
    assert changer.get(url).status_code == 405
    assert changer.post(url).status_code == 403  # no CSRF token
    assert Run.objects.count() == 2


def test_a_run_of_another_import_is_not_found(two_runs, sftp_server, admin_client):
    config, _older, newer = two_runs
    other = import_from(sftp_server)
    assert admin_client.post(rerun_url(other, newer)).status_code == 404
    missing = reverse("admin:integrated_channel_operation_rerun", args=[config.pk, "statement_import", 999999])
    assert admin_client.post(missing).status_code == 404


def test_admin_imports_are_queued_on_celery_with_a_broker(
    sftp_server, settings, monkeypatch, admin_client, django_capture_on_commit_callbacks
):
    settings.INTEGRATED_CHANNELS = {**settings.INTEGRATED_CHANNELS, "USE_CELERY": True}
    sent = []
    monkeypatch.setattr(tasks.run_queued_operation, "apply_async", lambda kwargs, **options: sent.append(kwargs))
    config = import_from(sftp_server)
    sftp_server.write("import/xapi.csv", ROWS)
    changelist = reverse("admin:xapi_xapiimportconfiguration_changelist")

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(changelist, {"action": "import_now", "_selected_action": [config.pk]}, follow=True)

    run = Run.objects.get(configuration_id=config.pk)
    link = reverse("admin:integrated_channel_run_change", args=[run.pk])
    assert (
        run.status == Run.Status.RUNNING and f'run <a href="{link}">#{run.pk}</a> queued' in response.content.decode()
    )
    assert sent == [{"run_id": run.pk}]
    with pytest.raises(RunLocked):
        ondemand.queue(configuration=config)
    page = admin_client.get(change_url(config)).content.decode()
    assert "run-rerun" not in page  # in progress: no button

    assert tasks.run_queued_operation(**sent[0]) == run.pk

    run.refresh_from_db()
    assert (run.status, run.selected, run.failed) == (Run.Status.COMPLETED_WITH_ERRORS, 1, 1)
