"""Host-key fingerprints: the OpenSSH ``SHA256:<base64>`` form, computed and compared.

The connection stores the fingerprint of the server's host key; at connect time the key the
server presents is fingerprinted and compared, and any other key is refused (decision 0061).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from integrated_channels.integrated_channel.transports.drop_errors import HostKeyRefused

FINGERPRINT_RE = re.compile(r"^SHA256:[A-Za-z0-9+/]{43}$")


class HostKeyMismatch(HostKeyRefused):
    """The server presented a host key whose fingerprint is not the stored one."""


def fingerprint(public_key_blob: bytes) -> str:
    """OpenSSH's fingerprint of a public key in wire format (the base64 part of an ``authorized_keys`` line)."""
    digest = hashlib.sha256(public_key_blob).digest()
    return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")


def fingerprint_of_openssh_line(line: str) -> str:
    """Fingerprint of a public key written as ``ssh-ed25519 AAAA… comment``."""
    parts = line.strip().split()
    if len(parts) < 2:
        raise ValueError("Not an OpenSSH public key line: expected '<type> <base64> [comment]'.")
    try:
        blob = base64.b64decode(parts[1], validate=True)
    except ValueError as exc:
        raise ValueError("Not an OpenSSH public key line: the key is not valid base64.") from exc
    return fingerprint(blob)


def normalise(value: str) -> str:
    value = (value or "").strip()
    if value and not value.startswith("SHA256:"):
        value = "SHA256:" + value
    return value.rstrip("=")


def verify(*, expected: str, public_key_blob: bytes, host: str) -> None:
    """Raise ``HostKeyMismatch`` unless the presented key has the stored fingerprint."""
    expected = normalise(expected)
    presented = fingerprint(public_key_blob)
    if not expected or not hmac.compare_digest(expected, presented):
        raise HostKeyMismatch(
            f"Host key of {host} refused: it has fingerprint {presented}, the connection expects "
            f"{expected or 'a stored fingerprint (none is set)'}."
        )
