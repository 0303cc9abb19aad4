"""The errors of the file-drop transports (SFTP, FTP, FTPS, Box), one hierarchy for all of them.

``DropError`` is a ``ChannelError``: the services catch it whatever the connection's protocol
(``transports.drop``); each error's ``code`` is the run error code and its message names the server
(and the file when one is concerned), with the secrets redacted. ``LoginRefused`` is the drops' own
(not the HTTP transports' ``AuthenticationFailed``, which carries an HTTP answer).
"""

from __future__ import annotations

from integrated_channels.integrated_channel.app_settings import channel_settings
from integrated_channels.integrated_channel.exceptions import ChannelError


class DropError(ChannelError):
    code = "sftp_error"


class HostKeyRefused(DropError):
    code = "host_key_refused"


class CertificateRefused(DropError):
    """The FTPS server's TLS certificate did not verify, or is not the pinned one."""

    code = "certificate_refused"


class LoginRefused(DropError):
    """The server refused the connection's login (password, key or token)."""

    code = "auth_failed"


class TransferFailed(DropError):
    code = "transfer_failed"


class FileTooLarge(DropError):
    code = "file_too_large"

    @classmethod
    def over_limit(cls, where: str, path: str, size: int, limit: int) -> FileTooLarge:
        return cls(
            f"{path} on {where} is {size} bytes, over the limit of {limit} bytes per file "
            "(setting SFTP_MAX_FILE_BYTES): nothing was imported or deleted."
        )


class AddressNotAllowed(DropError):
    code = "address_refused"


def max_file_bytes() -> int:
    """The largest file a drop reads (``SFTP_MAX_FILE_BYTES``, whatever the protocol)."""
    return int(channel_settings.SFTP_MAX_FILE_BYTES)
