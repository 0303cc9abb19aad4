"""The SFTP transport (asyncssh), wrapped in plain synchronous calls for the services.

Shared by every channel that reads or writes files on a customer's SFTP server (the SFTP
connector, the xAPI statement import); ``config`` is any object with the fields of
``models.SFTPConnection`` (host, port, username, password, private_key, host_key_fingerprint).

Every call opens its own connection to an allowed address only (the host is resolved and
checked, ``addresses``, and the connection made to the address checked: decision 0151),
verifies the server's host key against the stored fingerprint (no known_hosts file, no trust
on first use: any other key is refused) and authenticates with the private key when one is
stored, otherwise with the password (decision 0061). Errors come out as ``SFTPError``
subclasses with a readable message naming the server; secrets never appear in them (what the
server or the network library says is redacted, ``enterprise.redaction``).

asyncssh is an optional dependency (the ``sftp`` / ``xapi`` extras): it is imported on the first
connection, so the apps load without it and ``manage.py check`` names the extra to install.
"""

from __future__ import annotations

import asyncio
import fnmatch
import logging
import posixpath
import re
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, TypeVar

from enterprise import redaction
from integrated_channels.integrated_channel import addresses
from integrated_channels.integrated_channel.app_settings import channel_settings
from integrated_channels.integrated_channel.extras import require
from integrated_channels.integrated_channel.transports import hostkeys
from integrated_channels.integrated_channel.transports.drop_errors import (
    AddressNotAllowed,
    DropError,
    FileTooLarge,
    HostKeyRefused,
    LoginRefused,
    TransferFailed,
    max_file_bytes,
)

if TYPE_CHECKING:
    import asyncssh

T = TypeVar("T")
logger = logging.getLogger(__name__)


def _asyncssh():
    return require("asyncssh", extra="sftp", app="The SFTP transport")


# The errors are the drops' (one hierarchy for SFTP, FTP and FTPS); ``SFTPError`` is their base.
SFTPError = DropError


@cache
def _verifying_client_class():
    class VerifyingClient(_asyncssh().SSHClient):
        def __init__(self, expected: str, host: str):
            self.expected = expected
            self.host = host
            self.refusal: str = ""

        def validate_host_public_key(self, host, addr, port, key) -> bool:
            try:
                hostkeys.verify(expected=self.expected, public_key_blob=key.public_data, host=f"{self.host}:{port}")
            except hostkeys.HostKeyMismatch as exc:
                self.refusal = str(exc)
                return False
            return True

    return VerifyingClient


def _where(config) -> str:
    return f"{config.username}@{config.host}:{config.port}"


def _redactor(config) -> redaction.Redactor:
    return redaction.Redactor([config.password, config.private_key], users=[config.username])


async def _checked_address(config) -> str:
    """The address to connect to: the first the host resolves to, when all of them are allowed."""
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.run_in_executor(None, addresses.resolve, config.host, config.port)
    except addresses.AddressRefused:
        raise AddressNotAllowed(
            f"Connection to {_where(config)} refused: the address is not allowed (only servers reachable on the "
            "internet)."
        ) from None
    except (socket.gaierror, UnicodeError):
        raise TransferFailed(f"Connection to {_where(config)} failed: the host name does not resolve.") from None
    return infos[0][4][0]


async def _session(config, work: Callable[[asyncssh.SFTPClient], Awaitable[T]]) -> T:
    redact = _redactor(config)
    try:
        return await _connected(config, work)
    except SFTPError as exc:
        raise type(exc)(redact(str(exc))) from None


async def _connected(config, work: Callable[[asyncssh.SFTPClient], Awaitable[T]]) -> T:
    if not config.password and not config.private_key:
        raise LoginRefused(
            f"No password and no SSH key for {_where(config)}: generate an SSH key (or give a password)."
        )
    asyncssh = _asyncssh()
    verifier = _verifying_client_class()(config.host_key_fingerprint, config.host)
    options = {
        "username": config.username,
        "known_hosts": ((), (), ()),  # nothing trusted up front: every key goes through the verifier
        "client_keys": None,
        "agent_path": None,
        "preferred_auth": ("publickey", "password", "keyboard-interactive"),
        "connect_timeout": float(channel_settings.SFTP_CONNECT_TIMEOUT),
    }
    if config.private_key:
        options["client_keys"] = [asyncssh.import_private_key(config.private_key)]
        options["preferred_auth"] = ("publickey",)
    else:
        options["password"] = config.password
        options["preferred_auth"] = ("password", "keyboard-interactive")
    try:
        address = await _checked_address(config)
        async with (
            asyncssh.connect(address, config.port, client_factory=lambda: verifier, **options) as connection,
            connection.start_sftp_client() as sftp,
        ):
            return await work(sftp)
    except asyncssh.HostKeyNotVerifiable as exc:
        raise HostKeyRefused(verifier.refusal or f"Host key of {_where(config)} refused: {exc.reason}") from None
    except asyncssh.PermissionDenied:
        method = "SSH key" if config.private_key else "password"
        raise LoginRefused(f"Authentication of {_where(config)} by {method} was refused.") from None
    except asyncssh.SFTPError as exc:
        raise TransferFailed(f"SFTP error on {_where(config)}: {exc.reason}") from None
    except TimeoutError:
        raise TransferFailed(
            f"Connection to {_where(config)} timed out after {options['connect_timeout']:g} s "
            "(no connection, SSH handshake or login in that time)."
        ) from None
    except (asyncssh.Error, EOFError) as exc:  # the SSH session failed: what the server or the protocol said
        reason = getattr(exc, "reason", "") or str(exc) or type(exc).__name__
        raise TransferFailed(f"Connection to {_where(config)} failed: {reason}") from None
    except OSError as exc:
        # No connection: the library's words (resolved address, errno) only in the server log (decision 0151).
        reason = _redactor(config)(str(exc) or type(exc).__name__)
        logger.info("SFTP connection to %s failed: %s: %s", _where(config), type(exc).__name__, reason)
        raise TransferFailed(f"Connection to {_where(config)} failed (could not connect).") from None


def _run(config, work):
    return asyncio.run(_session(config, work))


async def _check_size(sftp: asyncssh.SFTPClient, config, path: str, limit: int) -> None:
    """Refuse ``path`` from its stat, before a byte of it is downloaded."""
    size = (await sftp.stat(path)).size
    if size is not None and size > limit:
        raise FileTooLarge.over_limit(_where(config), path, size, limit)


async def _read_limited(sftp: asyncssh.SFTPClient, config, path: str, limit: int) -> bytes:
    """The content of ``path``, refused if it grew past ``limit`` since its stat (never more is read)."""
    try:
        async with sftp.open(path, "rb") as remote:
            content = await remote.read(limit + 1)
    except _asyncssh().SFTPError as exc:  # refused, vanished since the listing: the file named
        raise TransferFailed(f"Could not read {path} on {_where(config)}: {exc.reason}. Nothing was deleted.") from None
    if len(content) > limit:
        raise FileTooLarge.over_limit(_where(config), path, len(content), limit)
    return content


def read_csv_files(config, directory: str) -> dict[str, bytes]:
    """``{remote path: content}`` of every ``*.csv`` of ``directory`` (sorted by name); {} if it does not exist.

    ``FileTooLarge`` when any of them is over ``SFTP_MAX_FILE_BYTES``: every size is checked
    from the files' stat before the first one is downloaded.
    """
    limit = max_file_bytes()

    async def work(sftp: asyncssh.SFTPClient):
        if not await sftp.isdir(directory):
            return {}
        names = sorted(name for name in await sftp.listdir(directory) if fnmatch.fnmatch(name.lower(), "*.csv"))
        paths = [posixpath.join(directory, name) for name in names]
        paths = [path for path in paths if await sftp.isfile(path)]
        for path in paths:
            await _check_size(sftp, config, path, limit)
        return {path: await _read_limited(sftp, config, path, limit) for path in paths}

    return _run(config, work)


def remove_files(config, paths: list[str]) -> None:
    async def work(sftp: asyncssh.SFTPClient):
        for path in paths:
            await sftp.remove(path)

    _run(config, work)


def remove_processed(config, paths: list[str], *, failure: str) -> tuple[bool, str, str]:
    """Remove the files of an import once it is committed: ``(deleted, error_code, error_message)``.

    No paths: nothing to do. A failure to delete is no failure of the import: it comes back as
    ``"not_deleted"`` with ``failure`` and the reason, for the run's error.
    """
    if not paths:
        return False, "", ""
    try:
        remove_files(config, paths)
    except SFTPError as exc:
        return False, "not_deleted", f"{failure}: {exc}"
    return True, "", ""


def upload(config, path: str, content: bytes) -> None:
    """Write ``content`` to ``path`` (its folder created when missing), through a temporary name."""

    async def work(sftp: asyncssh.SFTPClient):
        await sftp.makedirs(posixpath.dirname(path) or ".", exist_ok=True)
        partial = path + ".part"
        async with sftp.open(partial, "wb") as remote:
            await remote.write(content)
        if await sftp.exists(path):
            await sftp.remove(path)
        await sftp.rename(partial, path)

    _run(config, work)


def read_file(config, path: str) -> bytes | None:
    """The content of the file at ``path``; None when there is no such file.

    ``FileTooLarge`` when it is over ``SFTP_MAX_FILE_BYTES`` (checked from its stat, before downloading).
    """
    limit = max_file_bytes()

    async def work(sftp: asyncssh.SFTPClient):
        if not await sftp.isfile(path):
            return None
        await _check_size(sftp, config, path, limit)
        return await _read_limited(sftp, config, path, limit)

    return _run(config, work)


@dataclass(frozen=True)
class DirectoryPeek:
    """What ``peek_directory`` saw: whether the folder exists, its CSV files (newest first), the first
    line of the newest one."""

    exists: bool
    csv_files: list[str]
    newest: str = ""
    header: str = ""


def peek_directory(config, directory: str, *, head_bytes: int = 64 * 1024) -> DirectoryPeek:
    """Log in, list ``directory`` and read the header line of its newest ``*.csv`` (one connection, read-only)."""

    async def work(sftp: asyncssh.SFTPClient) -> DirectoryPeek:
        if not await sftp.isdir(directory):
            return DirectoryPeek(exists=False, csv_files=[])
        found = []
        regular = _asyncssh().FILEXFER_TYPE_REGULAR
        for entry in await sftp.readdir(directory):
            if fnmatch.fnmatch(entry.filename.lower(), "*.csv") and entry.attrs.type == regular:
                found.append((entry.attrs.mtime or 0, entry.filename))
        found.sort(reverse=True)
        names = [name for _mtime, name in found]
        if not names:
            return DirectoryPeek(exists=True, csv_files=[])
        async with sftp.open(posixpath.join(directory, names[0]), "rb") as remote:
            head = await remote.read(head_bytes)
        first = head.decode("utf-8-sig", errors="replace").splitlines()[:1]
        return DirectoryPeek(exists=True, csv_files=names, newest=names[0], header=first[0] if first else "")

    return _run(config, work)


def read_matching_files(config, directory: str, *, pattern: str) -> dict[str, bytes]:
    """``{remote path: content}`` of the files of ``directory`` whose name matches ``pattern`` (a regular
    expression matched whole, case-insensitively), sorted by name; {} when the folder does not exist.

    ``FileTooLarge`` as ``read_csv_files``: every size is checked before the first download.
    """
    limit = max_file_bytes()
    wanted = re.compile(pattern, re.IGNORECASE)

    async def work(sftp: asyncssh.SFTPClient):
        if not await sftp.isdir(directory):
            return {}
        names = sorted(name for name in await sftp.listdir(directory) if wanted.fullmatch(name))
        paths = [posixpath.join(directory, name) for name in names]
        paths = [path for path in paths if await sftp.isfile(path)]
        for path in paths:
            await _check_size(sftp, config, path, limit)
        return {path: await _read_limited(sftp, config, path, limit) for path in paths}

    return _run(config, work)


def make_folders(config, directories: list[str]) -> list[str]:
    """Create the folders missing among ``directories`` (parents too); the ones created."""

    async def work(sftp: asyncssh.SFTPClient) -> list[str]:
        created = []
        for directory in directories:
            parts = [part for part in directory.split("/") if part not in ("", ".")]
            current = "/" if directory.startswith("/") else ""
            for part in parts:
                current = posixpath.join(current, part) if current else part
                if not await sftp.isdir(current):
                    await sftp.mkdir(current)
                    created.append(current)
        return created

    return _run(config, work)


def list_files(config, directory: str) -> list[tuple[str, float | None]]:
    """``[(path, modified as a UNIX time or None)]`` of the regular files of ``directory`` ([] when missing)."""

    async def work(sftp: asyncssh.SFTPClient):
        if not await sftp.isdir(directory):
            return []
        regular = _asyncssh().FILEXFER_TYPE_REGULAR
        return sorted(
            (posixpath.join(directory, entry.filename), entry.attrs.mtime)
            for entry in await sftp.readdir(directory)
            if entry.attrs.type == regular
        )

    return _run(config, work)


def list_folders(config, directory: str) -> list[str]:
    """The paths of the folders in ``directory`` ([] when it does not exist)."""

    async def work(sftp: asyncssh.SFTPClient):
        if not await sftp.isdir(directory):
            return []
        folder = _asyncssh().FILEXFER_TYPE_DIRECTORY
        return sorted(
            posixpath.join(directory, entry.filename)
            for entry in await sftp.readdir(directory)
            if entry.attrs.type == folder and entry.filename not in (".", "..")
        )

    return _run(config, work)
