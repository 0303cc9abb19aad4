"""Test settings: the standalone host with fast password hashing and in-memory e-mail."""

from standalone.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
LOGGING = {"version": 1, "disable_existing_loggers": False}

INSTALLED_APPS = [*INSTALLED_APPS, "tests.testapp"]  # noqa: F405

# The fake remote systems of tests/fakes listen on 127.0.0.1 over http: allowed here explicitly
# (the default allows neither). Tests of the address guard override this setting.
INTEGRATED_CHANNELS_ADDRESSES = {"ALLOW_HTTP": True, "ALLOWED_ADDRESSES": ["127.0.0.1", "::1", "localhost"]}
