import datetime
import json

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from integrated_channels.integrated_channel.models import Run
from integrated_channels.sftp.schedules import TASK, task_name
from integrated_channels.sftp.tasks import run_scheduled
from tests.factories import CourseFactory
from tests.integrated_channels.factories import completed_enrollment
from tests.integrated_channels.sftp.factories import SFTPConfigurationFactory, connection_to

pytestmark = pytest.mark.django_db

DIR = "import/user/internal"


def test_a_schedule_becomes_a_periodic_task_kept_in_step_with_the_connection():
    start = timezone.now() + datetime.timedelta(hours=2)
    config = SFTPConfigurationFactory(schedule_start=start, schedule_every_days=3)

    task = PeriodicTask.objects.get(name=task_name(config.pk))
    assert (task.task, task.enabled, task.start_time) == (TASK, True, start)
    assert (task.interval.every, task.interval.period) == (3, IntervalSchedule.DAYS)
    assert json.loads(task.kwargs) == {"configuration_id": config.pk}

    config.active = False
    config.schedule_every_days = 7
    config.save()
    task.refresh_from_db()
    assert not task.enabled and task.interval.every == 7

    config.schedule_start = config.schedule_every_days = None
    config.save()
    assert not PeriodicTask.objects.filter(name=task_name(config.pk)).exists()


def test_deleting_the_connection_deletes_its_task():
    config = SFTPConfigurationFactory(schedule_start=timezone.now(), schedule_every_days=1)
    config.delete()
    assert not PeriodicTask.objects.filter(name=task_name(config.pk)).exists()


def test_schedule_needs_start_and_interval_and_an_operation():
    config = SFTPConfigurationFactory.build(schedule_start=timezone.now())
    with pytest.raises(ValidationError, match="both the start and the interval"):
        config.full_clean(exclude=["customer"])
    config = SFTPConfigurationFactory.build(
        schedule_start=timezone.now(), schedule_every_days=1, scheduled_import=False, scheduled_export=False
    )
    with pytest.raises(ValidationError, match="import users, export transcripts or export skills"):
        config.full_clean(exclude=["customer"])


def test_the_scheduled_task_imports_and_exports_with_the_schedule_trigger(sftp_server):
    config = connection_to(
        sftp_server,
        schedule_start=timezone.now(),
        schedule_every_days=7,
        scheduled_import=True,
        scheduled_export=True,
        scheduled_skills_export=True,
    )
    sftp_server.write(f"{DIR}/a.csv", "Email,Manager,Department\nx@example.com,,A\n")
    completed_enrollment(config.customer, course=CourseFactory(skills=["Python"]))

    run_ids = run_scheduled(config.pk)

    runs = list(Run.objects.filter(pk__in=run_ids).order_by("id"))
    assert [(run.kind, run.trigger, run.status) for run in runs] == [
        (Run.Kind.USER_IMPORT, Run.Trigger.SCHEDULE, Run.Status.COMPLETED),
        (Run.Kind.FILE_EXPORT, Run.Trigger.SCHEDULE, Run.Status.COMPLETED),
        (Run.Kind.SKILLS_EXPORT, Run.Trigger.SCHEDULE, Run.Status.COMPLETED),
    ]
    today = timezone.localdate()
    week_ago = today - datetime.timedelta(days=7)
    assert sftp_server.path(f"export/learner_transcript_{week_ago:%Y-%m-%d}_to_{today:%Y-%m-%d}.csv").exists()
    skills = sftp_server.path(f"export/skill_achievements_{week_ago:%Y-%m-%d}_to_{today:%Y-%m-%d}.csv").read_text()
    assert "Python" in skills and runs[2].sent == 1


def test_a_schedule_may_only_export_skills(db):
    config = SFTPConfigurationFactory.build(
        schedule_start=timezone.now(),
        schedule_every_days=1,
        scheduled_import=False,
        scheduled_export=False,
        scheduled_skills_export=True,
    )
    config.full_clean(exclude=["customer"])


def test_the_task_does_nothing_for_inactive_or_unscheduled_connections(sftp_server):
    config = connection_to(sftp_server)
    assert run_scheduled(config.pk) == []
    config.active = False
    config.schedule_start, config.schedule_every_days = timezone.now(), 1
    config.save()
    assert run_scheduled(config.pk) == []
    assert not Run.objects.exists()
