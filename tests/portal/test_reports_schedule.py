"""The periodic refresh of the portal's report figures: ``migrate`` writes the Celery beat task from the
setting, and the task it names refreshes every customer (in-process without a broker)."""

import json

import pytest
from celery import current_app
from django.core.management import call_command
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from enterprise.models import ReportDay, ReportRefresh
from enterprise.portal import schedule
from tests.factories import CourseFactory, CustomerFactory, EnrollmentFactory, LearnerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def worker_tasks():
    """The tasks a worker (or beat's eager host) knows: the apps' ``tasks`` modules, autodiscovered."""
    current_app.loader.import_default_modules()


COURSE = "course-v1:Acme+SAFE101+2027"


def test_migrate_writes_the_periodic_task_every_24_hours_by_default():
    PeriodicTask.objects.filter(name=schedule.PERIODIC_TASK).delete()
    call_command("migrate", "django_celery_beat", verbosity=0)  # post_migrate, as any migrate
    task = PeriodicTask.objects.get(name=schedule.PERIODIC_TASK)
    assert (task.task, task.enabled, json.loads(task.kwargs)) == ("enterprise_portal.refresh_all_reports", True, {})
    assert (task.interval.every, task.interval.period) == (24, IntervalSchedule.HOURS)
    assert task.task in current_app.tasks  # a name Celery knows


def test_the_setting_is_the_source_and_zero_removes_the_task(settings):
    settings.ENTERPRISE = {**getattr(settings, "ENTERPRISE", {}), "PORTAL_REPORTS_REFRESH_HOURS": 6}
    task = schedule.sync_refresh_task()
    assert task.interval.every == 6 and PeriodicTask.objects.filter(name=schedule.PERIODIC_TASK).count() == 1
    settings.ENTERPRISE = {**settings.ENTERPRISE, "PORTAL_REPORTS_REFRESH_HOURS": 0}
    assert schedule.sync_refresh_task() is None
    assert not PeriodicTask.objects.filter(name=schedule.PERIODIC_TASK).exists()
    settings.ENTERPRISE = {**settings.ENTERPRISE, "PORTAL_REPORTS_REFRESH_HOURS": 1.5}
    with pytest.raises(ValueError, match="whole number of hours"):
        schedule.sync_refresh_task()


def test_the_scheduled_task_refreshes_every_customer():
    CourseFactory(course_id=COURSE)
    acme, globex = CustomerFactory(slug="acme"), CustomerFactory(slug="globex")
    EnrollmentFactory(learner=LearnerFactory(customer=acme), course_id=COURSE)
    EnrollmentFactory(learner=LearnerFactory(customer=globex), course_id=COURSE)
    EnrollmentFactory(learner=LearnerFactory(customer=globex), course_id=COURSE)
    task = schedule.sync_refresh_task()
    current_app.tasks[task.task].apply(kwargs=json.loads(task.kwargs))  # what beat sends
    refreshed = dict(ReportRefresh.objects.values_list("customer__slug", "enrollments"))
    assert refreshed == {"acme": 1, "globex": 2}
    assert sum(ReportDay.objects.filter(customer=globex).values_list("enrolled", flat=True)) == 2
