"""django-celery-beat's periodic-task admin (the operation schedules live there), with its actions
behind the change permission.

django-celery-beat declares "enable", "disable", "toggle" and "run selected tasks" without
``permissions``, so staff who may only *view* periodic tasks could switch schedules off or run
any task. Importing ``django_celery_beat.admin`` first makes its registration happen before ours
whatever the order of INSTALLED_APPS.
"""

from django.contrib import admin
from django_celery_beat import admin as beat_admin
from django_celery_beat.models import PeriodicTask

GUARDED_ACTIONS = ("enable_tasks", "disable_tasks", "toggle_tasks", "run_tasks")


class PeriodicTaskAdmin(beat_admin.PeriodicTaskAdmin):
    def get_actions(self, request):
        actions = super().get_actions(request)
        if not self.has_change_permission(request):
            for name in GUARDED_ACTIONS:
                actions.pop(name, None)
        return actions


if admin.site.is_registered(PeriodicTask):
    admin.site.unregister(PeriodicTask)
admin.site.register(PeriodicTask, PeriodicTaskAdmin)
