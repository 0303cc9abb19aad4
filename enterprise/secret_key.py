"""Which ``SECRET_KEY`` values are public knowledge (decision 0162).

Secrets at rest are encrypted with a key derived from ``SECRET_KEY`` unless
``ENTERPRISE["ENCRYPTION_KEYS"]`` is set (``enterprise.encryption``): a ``SECRET_KEY`` anyone can
read decrypts every stored channel password from a copy of the database. No Django import here:
the standalone host's settings use it before Django is set up.
"""

from __future__ import annotations

#: Keys published with this project at some time (a deployment may still run with one).
PUBLISHED_SECRET_KEYS = frozenset({"standalone-insecure-development-key-change-me"})

#: Django's ``startproject`` marks its generated development keys with this prefix.
DJANGO_INSECURE_PREFIX = "django-insecure-"


def insecure_reason(key: str | None) -> str | None:
    """Why ``key`` cannot protect anything (empty, a published default, Django's development key), or None."""
    if not key or not key.strip():
        return "it is empty"
    if key in PUBLISHED_SECRET_KEYS:
        return "it is a default published with this project"
    if key.startswith(DJANGO_INSECURE_PREFIX):
        return f"it is a development key (it starts with {DJANGO_INSECURE_PREFIX!r})"
    return None
