"""The errors of the file-drop transports (SFTP, FTP, FTPS), one hierarchy for all of them.

The services catch ``DropError`` whatever the connection's protocol (``transports.drop``); each
error's ``code`` is the run error code and its message names the server (and the file when one is
concerned), with the secrets redacted.
"""

from __future__ import annotations


class DropError(Exception):
    code = "sftp_error"


class HostKeyRefused(DropError):
    code = "host_key_refused"


class CertificateRefused(DropError):
    """The FTPS server's TLS certificate did not verify, or is not the pinned one."""

    code = "certificate_refused"


class AuthenticationFailed(DropError):
    code = "auth_failed"


class TransferFailed(DropError):
    code = "transfer_failed"


class FileTooLarge(DropError):
    code = "file_too_large"


class AddressNotAllowed(DropError):
    code = "address_refused"
