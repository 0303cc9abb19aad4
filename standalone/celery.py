"""The Celery application of the standalone host (configuration from Django's CELERY_* settings)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "standalone.settings")

app = Celery("standalone")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
