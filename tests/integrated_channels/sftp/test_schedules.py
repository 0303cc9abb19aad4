"""SFTP operations on their own schedules (one per operation, decision 0173)."""

import datetime
import json

import pytest
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from integrated_channels.integrated_channel.exceptions import OperationRefused
from integrated_channels.integrated_channel.models import OperationSchedule, Run
from integrated_channels.integrated_channel.schedules import TASK, save_schedule, task_name
from integrated_channels.integrated_channel.tasks import run_scheduled_operation
from tests.factories import CourseFactory
from tests.integrated_channels.factories import completed_enrollment
from tests.integrated_channels.sftp.factories import SFTPConfigurationFactory, connection_to

pytestmark = pytest.mark.django_db

DIR = "import/user/internal"


def schedule(config, code, *, every=1, unit="days", enabled=True, start=None):
    return save_schedule(config, code, enabled=enabled, start=start or timezone.now(), every=every, unit=unit)


def test_each_operation_has_its_own_periodic_task_kept_in_step_with_the_connection():
    start = timezone.now() + datetime.timedelta(hours=2)
    config = SFTPConfigurationFactory()
    schedule(config, "user_import", every=6, unit="hours", start=start)
    schedule(config, "file_export", every=3, start=start)

    imports = PeriodicTask.objects.get(name=task_name(config.pk, "user_import"))
    exports = PeriodicTask.objects.get(name=task_name(config.pk, "file_export"))
    assert (imports.task, imports.enabled, imports.start_time) == (TASK, True, start)
    assert (imports.interval.every, imports.interval.period) == (6, IntervalSchedule.HOURS)
    assert (exports.interval.every, exports.interval.period) == (3, IntervalSchedule.DAYS)
    assert json.loads(exports.kwargs) == {"configuration_id": config.pk, "operation": "file_export"}
    assert OperationSchedule.objects.get(configuration=config, operation="user_import").periodic_task == imports

    config.active = False
    config.save()
    imports.refresh_from_db()
    exports.refresh_from_db()
    assert not imports.enabled and not exports.enabled

    config.active = True
    config.save()
    schedule(config, "file_export", every=7, enabled=False)
    imports.refresh_from_db()
    exports.refresh_from_db()
    assert imports.enabled and not exports.enabled and exports.interval.every == 7


def test_deleting_the_connection_deletes_its_schedules_and_their_tasks():
    config = SFTPConfigurationFactory()
    schedule(config, "user_import")
    schedule(config, "skills_export")
    config.delete()
    assert not OperationSchedule.objects.exists()
    assert not PeriodicTask.objects.filter(name__startswith=f"connection-{config.pk}-").exists()


def test_an_operation_the_connector_does_not_offer_cannot_be_scheduled():
    config = SFTPConfigurationFactory()
    with pytest.raises(OperationRefused, match="SFTP has no operation 'learner_data'"):
        schedule(config, "learner_data")


def test_scheduled_tasks_import_and_export_with_the_schedule_trigger_and_the_previous_interval(sftp_server):
    config = connection_to(sftp_server)
    for code in ("user_import", "file_export", "skills_export"):
        schedule(config, code, every=7)
    sftp_server.write(f"{DIR}/a.csv", "Email,Manager,Department\nx@example.com,,A\n")
    completed_enrollment(config.customer, course=CourseFactory(skills=["Python"]))

    run_ids = [
        run_scheduled_operation(configuration_id=config.pk, operation=code)
        for code in ("user_import", "file_export", "skills_export")
    ]

    runs = list(Run.objects.filter(pk__in=run_ids).order_by("id"))
    assert [(run.kind, run.trigger, run.status) for run in runs] == [
        ("user_import", Run.Trigger.SCHEDULE, Run.Status.COMPLETED),
        ("file_export", Run.Trigger.SCHEDULE, Run.Status.COMPLETED),
        ("skills_export", Run.Trigger.SCHEDULE, Run.Status.COMPLETED),
    ]
    today = timezone.localdate()
    week_ago = today - datetime.timedelta(days=7)
    assert sftp_server.path(f"export/learner_transcript_{week_ago:%Y-%m-%d}_to_{today:%Y-%m-%d}.csv").exists()
    skills = sftp_server.path(f"export/skill_achievements_{week_ago:%Y-%m-%d}_to_{today:%Y-%m-%d}.csv").read_text()
    assert "Python" in skills and runs[2].sent == 1


def test_the_task_does_nothing_for_disabled_schedules_or_connections(sftp_server):
    config = connection_to(sftp_server)
    assert run_scheduled_operation(configuration_id=config.pk, operation="user_import") is None
    schedule(config, "user_import", enabled=False)
    assert run_scheduled_operation(configuration_id=config.pk, operation="user_import") is None
    schedule(config, "user_import", enabled=True)
    config.active = False
    config.save()
    assert run_scheduled_operation(configuration_id=config.pk, operation="user_import") is None
    assert not Run.objects.exists()
