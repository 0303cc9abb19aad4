"""Test settings: the standalone host with fast password hashing and in-memory e-mail."""

from standalone.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
LOGGING = {"version": 1, "disable_existing_loggers": False}

INSTALLED_APPS = [*INSTALLED_APPS, "tests.testapp"]  # noqa: F405
