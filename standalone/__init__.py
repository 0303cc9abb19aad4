"""The host project that runs the apps on their own (embedded defaults, or PostgreSQL + Celery)."""

from standalone.celery import app as celery_app

__all__ = ["celery_app"]
