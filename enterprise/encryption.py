"""Encryption of secrets at rest (channel passwords, client secrets, SSO keys) with key rotation.

Keys come from ``settings.ENTERPRISE["ENCRYPTION_KEYS"]``: a list of Fernet keys (URL-safe
base64 of 32 bytes, ``Fernet.generate_key()``), newest first. The first key encrypts; every key
decrypts, so a new key can be put in front and ``manage.py rotate_encryption_keys`` re-encrypts
the stored values with it before the old key is dropped. With no keys configured, one key is
derived from ``SECRET_KEY`` (HKDF-SHA256) so the standalone host works out of the box;
production deployments set their own keys.
"""

from __future__ import annotations

import base64
import functools

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed

from enterprise.app_settings import enterprise_settings
from enterprise.exceptions import EnterpriseError

TOKEN_PREFIX = "fernet:"  # noqa: S105 - a marker, not a secret


class DecryptionError(EnterpriseError):
    code = "decryption_failed"
    default_message = "A stored secret cannot be decrypted with the configured ENCRYPTION_KEYS."


def _derived_key() -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"enterprise-field-encryption")
    return base64.urlsafe_b64encode(hkdf.derive(settings.SECRET_KEY.encode()))


@functools.cache
def _fernet() -> MultiFernet:
    keys = enterprise_settings.ENCRYPTION_KEYS or [_derived_key()]
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            f"settings.ENTERPRISE['ENCRYPTION_KEYS'] holds an invalid Fernet key: {exc}"
        ) from exc


def _reset(*, setting, **kwargs):
    if setting in {"ENTERPRISE", "SECRET_KEY"}:
        _fernet.cache_clear()


setting_changed.connect(_reset, weak=False)


def encrypt(plaintext: str) -> str:
    return TOKEN_PREFIX + _fernet().encrypt(plaintext.encode()).decode()


def decrypt(stored: str) -> str:
    if not stored.startswith(TOKEN_PREFIX):
        raise DecryptionError("The stored value is not an encrypted token.")
    try:
        return _fernet().decrypt(stored[len(TOKEN_PREFIX) :].encode()).decode()
    except InvalidToken as exc:
        raise DecryptionError() from exc
