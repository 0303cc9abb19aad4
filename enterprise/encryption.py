"""Encryption of secrets at rest (channel passwords, client secrets, SSO keys) with key rotation.

Keys come from ``settings.ENTERPRISE["ENCRYPTION_KEYS"]``: a list of Fernet keys (URL-safe
base64 of 32 bytes, ``Fernet.generate_key()``), newest first. The first key encrypts; every key
decrypts, so a new key can be put in front and ``manage.py rotate_encryption_keys`` re-encrypts
the stored values with it before the old key is dropped. With no keys configured, one key is
derived from ``SECRET_KEY`` (HKDF-SHA256) so the standalone host works out of the box; the
system check ``enterprise.E003`` refuses a known ``SECRET_KEY`` then (decision 0162).
"""

from __future__ import annotations

import base64
import contextlib
import functools
from collections.abc import Iterator
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed

from enterprise.app_settings import enterprise_settings
from enterprise.exceptions import EnterpriseError

if TYPE_CHECKING:
    from cryptography.fernet import MultiFernet

# cryptography (~6 MB with its Rust extension) is imported by the first encryption or decryption, not
# with the models whose fields use this module: a process that reads no secret never loads it (decision 0575).

TOKEN_PREFIX = "fernet:"  # noqa: S105 - a marker, not a secret


class DecryptionError(EnterpriseError):
    code = "decryption_failed"
    default_message = "A stored secret cannot be decrypted with the configured ENCRYPTION_KEYS."


def derived_key(secret_key: str) -> bytes:
    """The Fernet key derived from ``secret_key`` (what encrypts when ENCRYPTION_KEYS is empty)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"enterprise-field-encryption")
    return base64.urlsafe_b64encode(hkdf.derive(secret_key.encode()))


_old_keys: list[bytes] = []  # decryption-only keys, while ``also_decrypting_with`` is active


@contextlib.contextmanager
def also_decrypting_with(keys: list[bytes]) -> Iterator[None]:
    """Decrypt with ``keys`` too (after the configured ones; never to encrypt) inside the block:
    ``rotate_encryption_keys --old-secret-key-env`` re-encrypts values of a former SECRET_KEY."""
    _old_keys[:] = keys
    _fernet.cache_clear()
    try:
        yield
    finally:
        _old_keys.clear()
        _fernet.cache_clear()


@functools.cache
def _fernet() -> MultiFernet:
    from cryptography.fernet import Fernet, MultiFernet

    keys = [*(enterprise_settings.ENCRYPTION_KEYS or [derived_key(settings.SECRET_KEY)]), *_old_keys]
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
    from cryptography.fernet import InvalidToken

    try:
        return _fernet().decrypt(stored[len(TOKEN_PREFIX) :].encode()).decode()
    except InvalidToken as exc:
        raise DecryptionError() from exc
