"""The FTP and FTPS (explicit TLS, RFC 4217) transports of the file drops, on the standard library's ftplib.

The same calls as ``transports.sftp`` (``read_csv_files``, ``read_file``, ``upload``, ``remove_files``,
``peek_directory``, ``make_folders``), chosen by ``transports.drop`` from the connection's protocol;
``config`` has the fields of ``models.SFTPConnection`` (host, port, username, password, protocol,
tls_certificate_fingerprint).

Every call opens its own connection to an allowed address only: the host is resolved and checked
(``addresses``) and the connection made to the address checked (decision 0151). Transfers are
passive and binary; the data connection always goes to the address of the control connection,
whatever address the server's PASV reply names (ftplib's default: a PASV reply cannot send this
platform to another host).

FTPS: ``AUTH TLS`` before the login, then ``PROT P`` (data connections encrypted too). The
server's certificate is verified as a browser would (a trusted authority, the host name), or, when
the connection pins one (``tls_certificate_fingerprint``, the SHA-256 of the certificate), it must
be exactly that certificate, on the control and on every data connection (a self-signed certificate
can be pinned: decision 0230). Any other certificate fails the call before the password is sent.

Errors are ``drop_errors`` classes whose message names the server and, for a transfer, the file;
secrets never appear in them. Sizes are read with ``SIZE`` (or the ``MLSD`` listing) before a byte of
a file is downloaded: a file over ``SFTP_MAX_FILE_BYTES`` is refused, and a download that grows past
the limit is cut.
"""

from __future__ import annotations

import contextlib
import fnmatch
import ftplib
import hashlib
import hmac
import logging
import posixpath
import socket
import ssl
from collections.abc import Callable, Iterator
from typing import TypeVar

from enterprise import redaction
from integrated_channels.integrated_channel import addresses
from integrated_channels.integrated_channel.app_settings import channel_settings
from integrated_channels.integrated_channel.transports.drop_errors import (
    AddressNotAllowed,
    CertificateRefused,
    DropError,
    FileTooLarge,
    LoginRefused,
    TransferFailed,
    max_file_bytes,
)
from integrated_channels.integrated_channel.transports.sftp import DirectoryPeek

T = TypeVar("T")
logger = logging.getLogger(__name__)


def certificate_fingerprint(der: bytes) -> str:
    """``AB:CD:…`` — the SHA-256 of a DER certificate as ``openssl x509 -noout -fingerprint -sha256`` prints it."""
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[index : index + 2] for index in range(0, len(digest), 2))


def normalise_fingerprint(value: str) -> str:
    """The pinned fingerprint as stored: 64 hex digits, upper case, in colon-separated pairs ("" stays "")."""
    text = (value or "").strip()
    if "=" in text:  # pasted with openssl's "sha256 Fingerprint=" prefix
        text = text.split("=", 1)[1]
    digits = "".join(character for character in text if character not in ": \t").upper()
    if not digits:
        return ""
    return ":".join(digits[index : index + 2] for index in range(0, len(digits), 2))


def is_fingerprint(value: str) -> bool:
    digits = value.replace(":", "")
    return len(digits) == 64 and all(character in "0123456789ABCDEF" for character in digits)


def _where(config) -> str:
    return f"{config.username}@{config.host}:{config.port}"


def _redactor(config) -> redaction.Redactor:
    return redaction.Redactor([config.password], users=[config.username])


def _tls_context(config) -> ssl.SSLContext:
    if config.tls_certificate_fingerprint:
        # The pin is the trust: chain and name are not checked, the exact certificate is (``_check_pin``).
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    else:
        context = ssl.create_default_context(cafile=channel_settings.FTPS_CA_FILE or None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def _check_pin(config, sock: ssl.SSLSocket, what: str) -> None:
    expected = config.tls_certificate_fingerprint
    if not expected:
        return
    der = sock.getpeercert(binary_form=True) or b""
    found = certificate_fingerprint(der)
    if not hmac.compare_digest(found, normalise_fingerprint(expected)):
        raise CertificateRefused(
            f"The TLS certificate of {_where(config)} ({what}) is not the pinned one: expected SHA-256 {expected}, "
            f"the server presented {found}. Nothing was sent."
        )


class _FTPS(ftplib.FTP_TLS):
    """FTP_TLS verifying the pinned certificate on the control and on every data connection."""

    config = None

    def auth(self):
        response = super().auth()
        _check_pin(self.config, self.sock, "control connection")
        return response

    def ntransfercmd(self, cmd, rest=None):
        conn, size = super().ntransfercmd(cmd, rest)
        if isinstance(conn, ssl.SSLSocket):
            try:
                _check_pin(self.config, conn, "data connection")
            except CertificateRefused:
                conn.close()
                raise
        return conn, size


def _checked_address(config) -> str:
    try:
        infos = addresses.resolve(config.host, config.port)
    except addresses.AddressRefused:
        raise AddressNotAllowed(
            f"Connection to {_where(config)} refused: the address is not allowed (only servers reachable on the "
            "internet)."
        ) from None
    except (socket.gaierror, UnicodeError):
        raise TransferFailed(f"Connection to {_where(config)} failed: the host name does not resolve.") from None
    return infos[0][4][0]


def _open(config) -> ftplib.FTP:
    timeout = float(channel_settings.SFTP_CONNECT_TIMEOUT)
    address = _checked_address(config)
    if config.protocol == "ftps":
        ftp = _FTPS(context=_tls_context(config), timeout=timeout)
        ftp.config = config
    else:
        ftp = ftplib.FTP(timeout=timeout)  # noqa: S321 - plain FTP as the customer chose it (decision 0230)
    ftp.connect(address, config.port, timeout=timeout)
    ftp.host = config.host  # the name the certificate must carry (ftplib passes self.host as server_hostname)
    if config.protocol == "ftps":
        ftp.auth()
    try:
        ftp.login(config.username, config.password)
    except ftplib.error_perm:
        ftp.close()
        raise LoginRefused(f"Authentication of {_where(config)} by password was refused.") from None
    if config.protocol == "ftps":
        ftp.prot_p()
    ftp.set_pasv(True)
    ftp.voidcmd("TYPE I")
    return ftp


def _session(config, work: Callable[[ftplib.FTP], T]) -> T:
    redact = _redactor(config)
    try:
        return _connected(config, work)
    except DropError as exc:
        raise type(exc)(redact(str(exc))) from None


def _connected(config, work: Callable[[ftplib.FTP], T]) -> T:
    ftp = None
    try:
        ftp = _open(config)
        result = work(ftp)
        with contextlib.suppress(OSError, EOFError, ftplib.Error):
            ftp.quit()
        return result
    except DropError:
        raise
    except ssl.SSLCertVerificationError as exc:
        raise CertificateRefused(
            f"The TLS certificate of {_where(config)} was refused: {exc.verify_message or exc.reason}. "
            "Nothing was sent."
        ) from None
    except ssl.SSLError as exc:
        raise TransferFailed(f"TLS with {_where(config)} failed: {exc.reason or type(exc).__name__}.") from None
    except ftplib.Error as exc:
        raise TransferFailed(f"FTP error on {_where(config)}: {_reply(exc)}") from None
    except TimeoutError:
        raise TransferFailed(
            f"Connection to {_where(config)} timed out after {float(channel_settings.SFTP_CONNECT_TIMEOUT):g} s."
        ) from None
    except (OSError, EOFError) as exc:
        reason = _redactor(config)(str(exc) or type(exc).__name__)
        logger.info("FTP connection to %s failed: %s: %s", _where(config), type(exc).__name__, reason)
        raise TransferFailed(f"Connection to {_where(config)} failed (could not connect or connection lost).") from None
    finally:
        if ftp is not None:
            ftp.close()


def _reply(exc: BaseException) -> str:
    return str(exc.args[0] if exc.args else exc).strip() or type(exc).__name__


def _file_error(config, path: str, exc: BaseException, doing: str) -> TransferFailed:
    return TransferFailed(f"Could not {doing} {path} on {_where(config)}: {_reply(exc)}. Nothing was deleted.")


# Listing


def _entries(ftp: ftplib.FTP, directory: str) -> dict[str, dict] | None:
    """``{name: facts}`` of ``directory`` (``type``, ``size``, ``modify``); None when it is no folder.

    ``MLSD`` (RFC 3659) when the server has it; otherwise ``NLST`` and a ``SIZE`` per name (a name
    without a size is a folder).
    """
    try:
        return {
            name: facts
            for name, facts in ftp.mlsd(directory, facts=["type", "size", "modify"])
            if facts.get("type", "").lower() not in ("cdir", "pdir") and name not in (".", "..")
        }
    except ftplib.error_perm as exc:
        if _reply(exc).startswith("550"):
            return None
        if not _reply(exc).startswith("50"):  # 500/502: no MLSD
            raise
    try:
        names = ftp.nlst(directory)
    except ftplib.error_perm as exc:
        if _reply(exc).startswith("550"):
            return None
        raise
    found = {}
    for name in names:
        base = posixpath.basename(name)
        try:
            size = ftp.size(posixpath.join(directory, base))
        except ftplib.error_perm:
            found[base] = {"type": "dir"}
            continue
        found[base] = {"type": "file", "size": str(size)}
    return found


def _csv_names(entries: dict[str, dict]) -> list[str]:
    return sorted(
        name
        for name, facts in entries.items()
        if facts.get("type") == "file" and fnmatch.fnmatch(name.lower(), "*.csv")
    )


def _size(ftp: ftplib.FTP, config, path: str, facts: dict | None = None) -> int | None:
    if facts and facts.get("size", "").isdigit():
        return int(facts["size"])
    try:
        return ftp.size(path)
    except ftplib.error_perm as exc:
        raise _file_error(config, path, exc, "read the size of") from None


class _Limit(Exception):
    pass


def _download(ftp: ftplib.FTP, config, path: str, limit: int) -> bytes:
    """The content of ``path``; never more than ``limit`` bytes are read (a file grown past it is refused)."""
    chunks: list[bytes] = []
    total = 0

    def keep(chunk: bytes) -> None:
        nonlocal total
        total += len(chunk)
        if total > limit:
            raise _Limit
        chunks.append(chunk)

    try:
        ftp.retrbinary(f"RETR {path}", keep)
    except _Limit:
        raise FileTooLarge.over_limit(_where(config), path, total, limit) from None
    except ftplib.Error as exc:
        raise _file_error(config, path, exc, "read") from None
    except (OSError, EOFError) as exc:
        if isinstance(exc, ssl.SSLError) and not isinstance(exc, ssl.SSLCertVerificationError):
            raise TransferFailed(
                f"Could not read {path} on {_where(config)}: TLS failed ({exc.reason}). Nothing was deleted."
            ) from None
        if isinstance(exc, ssl.SSLCertVerificationError):
            raise
        raise TransferFailed(
            f"Could not read {path} on {_where(config)}: the connection was lost during the transfer. "
            "Nothing was deleted."
        ) from None
    return b"".join(chunks)


# The transport's calls (``transports.drop``)


def read_csv_files(config, directory: str) -> dict[str, bytes]:
    limit = max_file_bytes()

    def work(ftp: ftplib.FTP) -> dict[str, bytes]:
        entries = _entries(ftp, directory)
        if entries is None:
            return {}
        paths = [(posixpath.join(directory, name), entries[name]) for name in _csv_names(entries)]
        for path, facts in paths:
            size = _size(ftp, config, path, facts)
            if size is not None and size > limit:
                raise FileTooLarge.over_limit(_where(config), path, size, limit)
        return {path: _download(ftp, config, path, limit) for path, _facts in paths}

    return _session(config, work)


def read_file(config, path: str) -> bytes | None:
    limit = max_file_bytes()

    def work(ftp: ftplib.FTP) -> bytes | None:
        entries = _entries(ftp, posixpath.dirname(path) or ".")
        facts = (entries or {}).get(posixpath.basename(path))
        if not facts or facts.get("type") != "file":
            return None
        size = _size(ftp, config, path, facts)
        if size is not None and size > limit:
            raise FileTooLarge.over_limit(_where(config), path, size, limit)
        return _download(ftp, config, path, limit)

    return _session(config, work)


def remove_files(config, paths: list[str]) -> None:
    def work(ftp: ftplib.FTP) -> None:
        for path in paths:
            try:
                ftp.delete(path)
            except ftplib.error_perm as exc:
                raise TransferFailed(f"Could not delete {path} on {_where(config)}: {_reply(exc)}") from None

    _session(config, work)


def _makedirs(ftp: ftplib.FTP, directory: str) -> list[str]:
    """Create ``directory`` and its missing parents; the folders created."""
    created = []
    parts = [part for part in directory.split("/") if part not in ("", ".")]
    current = "/" if directory.startswith("/") else ""
    for part in parts:
        current = posixpath.join(current, part) if current else part
        if _entries(ftp, current) is None:
            ftp.mkd(current)
            created.append(current)
    return created


def make_folders(config, directories: list[str]) -> list[str]:
    """Create the folders missing among ``directories`` (parents too); the ones created."""

    def work(ftp: ftplib.FTP) -> list[str]:
        created = []
        for directory in directories:
            try:
                created += _makedirs(ftp, directory)
            except ftplib.error_perm as exc:
                raise TransferFailed(f"Could not create {directory} on {_where(config)}: {_reply(exc)}") from None
        return created

    return _session(config, work)


def upload(config, path: str, content: bytes) -> None:
    """Write ``content`` to ``path`` (its folder created when missing), through a temporary name."""
    import io

    def work(ftp: ftplib.FTP) -> None:
        directory = posixpath.dirname(path) or "."
        partial = path + ".part"
        try:
            _makedirs(ftp, directory)
            ftp.storbinary(f"STOR {partial}", io.BytesIO(content))
            if posixpath.basename(path) in (_entries(ftp, directory) or {}):
                ftp.delete(path)
            ftp.rename(partial, path)
        except ftplib.error_perm as exc:
            raise TransferFailed(f"Could not write {path} on {_where(config)}: {_reply(exc)}") from None

    _session(config, work)


def list_files(config, directory: str) -> list[tuple[str, float | None]]:
    """``[(path, modified as a UNIX time or None)]`` of the files of ``directory`` ([] when it does not exist)."""
    import calendar
    import time

    def work(ftp: ftplib.FTP):
        entries = _entries(ftp, directory) or {}
        found = []
        for name, facts in sorted(entries.items()):
            if facts.get("type") != "file":
                continue
            modify = facts.get("modify", "")
            moment = None
            if len(modify) >= 14 and modify[:14].isdigit():
                moment = float(calendar.timegm(time.strptime(modify[:14], "%Y%m%d%H%M%S")))
            found.append((posixpath.join(directory, name), moment))
        return found

    return _session(config, work)


def list_folders(config, directory: str) -> list[str]:
    """The paths of the folders in ``directory`` ([] when it does not exist)."""

    def work(ftp: ftplib.FTP) -> list[str]:
        entries = _entries(ftp, directory) or {}
        return sorted(posixpath.join(directory, name) for name, facts in entries.items() if facts.get("type") == "dir")

    return _session(config, work)


def peek_directory(config, directory: str, *, head_bytes: int = 64 * 1024) -> DirectoryPeek:
    def work(ftp: ftplib.FTP) -> DirectoryPeek:
        entries = _entries(ftp, directory)
        if entries is None:
            return DirectoryPeek(exists=False, csv_files=[])
        names = sorted(_csv_names(entries), key=lambda name: (entries[name].get("modify", ""), name), reverse=True)
        if not names:
            return DirectoryPeek(exists=True, csv_files=[])
        head = _head(ftp, config, posixpath.join(directory, names[0]), head_bytes)
        first = head.decode("utf-8-sig", errors="replace").splitlines()[:1]
        return DirectoryPeek(exists=True, csv_files=names, newest=names[0], header=first[0] if first else "")

    return _session(config, work)


def _head(ftp: ftplib.FTP, config, path: str, head_bytes: int) -> bytes:
    with _transfer(ftp, config, path) as conn:
        data = b""
        while len(data) < head_bytes:
            chunk = conn.recv(head_bytes - len(data))
            if not chunk:
                break
            data += chunk
    return data


@contextlib.contextmanager
def _transfer(ftp: ftplib.FTP, config, path: str) -> Iterator[socket.socket]:
    """A data connection reading ``path``, aborted when left early (the control connection is then closed)."""
    try:
        conn = ftp.transfercmd(f"RETR {path}")
    except ftplib.Error as exc:
        raise _file_error(config, path, exc, "read") from None
    try:
        yield conn
    finally:
        with contextlib.suppress(OSError):
            conn.close()
