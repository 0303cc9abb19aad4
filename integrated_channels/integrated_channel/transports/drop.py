"""One file drop, whatever carries it: the calls the drop services make, sent to the transport of the
connection's protocol (``config.protocol``: ``sftp`` — ``transports.sftp``; ``ftp`` and ``ftps`` —
``transports.ftp``).

Every transport has the same calls and raises the same errors (``drop_errors``), so the user
import, the exports and the xAPI statement import work on any drop, in the same folder layout
(decision 0231).
"""

from __future__ import annotations

import posixpath
import re
from types import ModuleType

from integrated_channels.integrated_channel.transports import box, ftp, sftp
from integrated_channels.integrated_channel.transports.drop_errors import (  # noqa: F401 - the drops' errors
    AddressNotAllowed,
    CertificateRefused,
    DropError,
    FileTooLarge,
    HostKeyRefused,
    LoginRefused,
    TransferFailed,
)
from integrated_channels.integrated_channel.transports.sftp import DirectoryPeek

__all__ = [
    "DirectoryPeek",
    "DropError",
    "list_files",
    "list_folders",
    "make_folders",
    "peek_directory",
    "read_csv_files",
    "read_file",
    "read_matching_files",
    "remove_files",
    "remove_processed",
    "upload",
    "where",
]

PROTOCOLS = {"sftp": sftp, "ftp": ftp, "ftps": ftp, "box": box}


def transport(config) -> ModuleType:
    protocol = getattr(config, "protocol", "sftp") or "sftp"
    try:
        return PROTOCOLS[protocol]
    except KeyError:
        raise DropError(f"Unknown file-drop protocol {protocol!r}.") from None


def where(config) -> str:
    """How the messages name the connection's drop: ``user@host:port``, or its Box folder (each transport's
    own ``_where``, the one its errors use)."""
    return transport(config)._where(config)


def read_csv_files(config, directory: str) -> dict[str, bytes]:
    """``{remote path: content}`` of every ``*.csv`` of ``directory`` (sorted by name); {} if it does not exist.

    ``FileTooLarge`` when any of them is over ``SFTP_MAX_FILE_BYTES``: every size is checked from the
    remote before the first one is downloaded.
    """
    return transport(config).read_csv_files(config, directory)


def read_file(config, path: str) -> bytes | None:
    """The content of the file at ``path``; None when there is no such file (size checked first)."""
    return transport(config).read_file(config, path)


def read_matching_files(config, directory: str, *, pattern: str) -> dict[str, bytes]:
    """``{remote path: content}`` of the files of ``directory`` whose name matches ``pattern`` (a regular
    expression matched whole, case-insensitively), sorted by name; {} when the folder does not exist.

    A file over ``SFTP_MAX_FILE_BYTES`` is refused from its remote size before it is downloaded
    (``FileTooLarge``; on SFTP every size is checked before the first download). Content providers'
    feeds (getAbstract's xlsx, Harvard ManageMentor's CSVs) are read this way on any drop.
    """
    wanted = re.compile(pattern, re.IGNORECASE)
    chosen = transport(config)
    if chosen is sftp:
        return sftp.read_matching_files(config, directory, pattern=pattern)  # sizes checked in one session
    paths = [path for path, _ in list_files(config, directory) if wanted.fullmatch(posixpath.basename(path))]
    files = {}
    for path in sorted(paths):
        content = chosen.read_file(config, path)
        if content is not None:  # vanished since the listing: left for the next run
            files[path] = content
    return files


def upload(config, path: str, content: bytes) -> None:
    """Write ``content`` to ``path`` (its folder created when missing), through a temporary name."""
    transport(config).upload(config, path, content)


def remove_files(config, paths: list[str]) -> None:
    transport(config).remove_files(config, paths)


def make_folders(config, directories: list[str]) -> list[str]:
    """Create the folders missing among ``directories`` (parents too); the ones created."""
    return transport(config).make_folders(config, directories)


def list_files(config, directory: str) -> list[tuple[str, float | None]]:
    """``[(path, modified as a UNIX time or None)]`` of the files of ``directory`` ([] when it does not exist)."""
    return transport(config).list_files(config, directory)


def list_folders(config, directory: str) -> list[str]:
    """The paths of the folders in ``directory`` ([] when it does not exist)."""
    return transport(config).list_folders(config, directory)


def peek_directory(config, directory: str, *, head_bytes: int = 64 * 1024) -> DirectoryPeek:
    """List ``directory`` and read the header line of its newest ``*.csv`` (one connection, read-only)."""
    return transport(config).peek_directory(config, directory, head_bytes=head_bytes)


def remove_processed(config, paths: list[str], *, failure: str) -> tuple[bool, str, str]:
    """Remove the files of an import once it is committed: ``(deleted, error_code, error_message)``.

    No paths: nothing to do. A failure to delete is no failure of the import: it comes back as
    ``"not_deleted"`` with ``failure`` and the reason, for the run's error.
    """
    if not paths:
        return False, "", ""
    try:
        remove_files(config, paths)
    except DropError as exc:
        return False, "not_deleted", f"{failure}: {exc}"
    return True, "", ""
