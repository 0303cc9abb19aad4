"""Test settings: the standalone host with fast password hashing and in-memory e-mail."""

from standalone.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
LOGGING = {"version": 1, "disable_existing_loggers": False}

# tests.testconnector: a connector that exists only here, to show a new one needs no framework edit.
INSTALLED_APPS = [*INSTALLED_APPS, "tests.testapp", "tests.testconnector"]  # noqa: F405
