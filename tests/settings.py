"""Test settings: the standalone host with fast password hashing and in-memory e-mail."""

import os

# A fixed key (not one the checks call insecure): the standalone settings then neither create a
# development key file nor refuse to load when a test process runs with DJANGO_DEBUG=0.
os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-secret-key-4c1d8e0b7f2a49a6b3e5d7c9a1f3e5b7d9c1a3e5f7")

from standalone.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
LOGGING = {"version": 1, "disable_existing_loggers": False}

# tests.testconnector: a connector that exists only here, to show a new one needs no framework edit.
INSTALLED_APPS = [*INSTALLED_APPS, "tests.testapp", "tests.testconnector"]  # noqa: F405

# Login throttling off: many tests log in with wrong passwords on purpose. The throttling tests
# (tests/reliability/test_security_login.py) turn it on.
AXES_ENABLED = False

# The fake remote systems of tests/fakes listen on 127.0.0.1 over http: allowed here explicitly
# (the default allows neither). Tests of the address guard override this setting.
INTEGRATED_CHANNELS_ADDRESSES = {"ALLOW_HTTP": True, "ALLOWED_ADDRESSES": ["127.0.0.1", "::1", "localhost"]}
