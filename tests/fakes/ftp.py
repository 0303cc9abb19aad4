"""A real FTP / FTPS server (pyftpdlib) on 127.0.0.1, port 0, serving a local folder.

FTPS (``tls=True``) is explicit TLS as RFC 4217 gives it and strict: the login and every data
connection must be encrypted (``tls_control_required``, ``tls_data_required``). Its certificate is
issued for 127.0.0.1 by a certificate authority generated per instance (``ca_file``: the PEM a
client trusts); ``self_signed=True`` serves a self-signed certificate instead (only a pin accepts it).
The server answers PASV with ``masquerade`` when given (an address a client must not follow).

Faults: ``deny_read`` (a name part: RETR refused 550, as a file without read permission),
``vanish_on_read`` (the file is deleted just before its RETR: vanished after the listing),
``drop_on_read`` (the connection is cut at the RETR), ``deny_remove`` (DELE refused 550).
``commands`` records every command received (the password masked).
"""

from __future__ import annotations

import datetime
import ipaddress
import threading
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler, TLS_FTPHandler
from pyftpdlib.servers import ThreadedFTPServer


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(subject, issuer, public_key, signing_key, *, ca: bool, host: str | None = None):
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if host:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host)), x509.DNSName("localhost")]),
            critical=False,
        )
    return builder.sign(signing_key, hashes.SHA256())


def _pem_key(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


class FakeFTPServer:
    def __init__(
        self,
        root: Path,
        *,
        tls: bool = False,
        self_signed: bool = False,
        username: str = "acme",
        password: str = "s3cret-ftp-password",  # noqa: S107 - the fake server's own test password
        masquerade: str = "",
    ):
        self.root = Path(root)
        self.tls = tls
        self.username = username
        self.password = password
        self.host = "127.0.0.1"
        self.port = 0
        self.masquerade = masquerade
        self.deny_read = ""
        self.vanish_on_read = ""
        self.drop_on_read = ""
        self.deny_remove = False
        self.commands: list[str] = []
        self.files_dir = self.root.parent / (self.root.name + "-tls")
        self.ca_file = self.files_dir / "ca.pem"
        self.certificate_der = b""
        self._server = None
        self._thread = None
        self._self_signed = self_signed

    @property
    def protocol(self) -> str:
        return "ftps" if self.tls else "ftp"

    @property
    def fingerprint(self) -> str:
        """The SHA-256 fingerprint of the served certificate, as openssl prints it."""
        from integrated_channels.integrated_channel.transports.ftp import certificate_fingerprint

        return certificate_fingerprint(self.certificate_der)

    def path(self, relative: str) -> Path:
        return self.root / relative

    def write(self, relative: str, text: str) -> Path:
        target = self.path(relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        return target

    def _write_certificates(self) -> tuple[Path, Path]:
        self.files_dir.mkdir(parents=True, exist_ok=True)
        server_key = ec.generate_private_key(ec.SECP256R1())
        if self._self_signed:
            certificate = _certificate(
                _name(self.host), _name(self.host), server_key.public_key(), server_key, ca=False, host=self.host
            )
        else:
            ca_key = ec.generate_private_key(ec.SECP256R1())
            ca = _certificate(_name("Fake FTPS CA"), _name("Fake FTPS CA"), ca_key.public_key(), ca_key, ca=True)
            self.ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
            certificate = _certificate(
                _name(self.host), ca.subject, server_key.public_key(), ca_key, ca=False, host=self.host
            )
        self.certificate_der = certificate.public_bytes(serialization.Encoding.DER)
        cert_file, key_file = self.files_dir / "server.pem", self.files_dir / "server.key"
        cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        key_file.write_bytes(_pem_key(server_key))
        return cert_file, key_file

    def __enter__(self) -> FakeFTPServer:
        self.root.mkdir(parents=True, exist_ok=True)
        fake = self
        authorizer = DummyAuthorizer()
        authorizer.add_user(self.username, self.password, str(self.root), perm="elradfmwMT")
        base = TLS_FTPHandler if self.tls else FTPHandler

        class Handler(base):
            def pre_process_command(self, line, cmd, arg):
                fake.commands.append("PASS ***" if cmd == "PASS" else line)
                return super().pre_process_command(line, cmd, arg)

            def ftp_RETR(self, file):
                name = Path(file).name
                if fake.deny_read and fake.deny_read in name:
                    self.respond("550 Permission denied.")
                    return None
                if fake.vanish_on_read and fake.vanish_on_read in name:
                    Path(file).unlink(missing_ok=True)
                if fake.drop_on_read and fake.drop_on_read in name:
                    self.close()
                    return None
                return super().ftp_RETR(file)

            def ftp_DELE(self, path):
                if fake.deny_remove:
                    self.respond("550 Permission denied.")
                    return None
                return super().ftp_DELE(path)

        Handler.authorizer = authorizer
        Handler.banner = "fake ftp ready"
        Handler.masquerade_address = self.masquerade or None
        if self.tls:
            Handler.certfile, Handler.keyfile = (str(path) for path in self._write_certificates())
            Handler.tls_control_required = True
            Handler.tls_data_required = True
        self._server = ThreadedFTPServer((self.host, 0), Handler)
        self.port = self._server.socket.getsockname()[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"timeout": 0.2}, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._server.close_all()
        self._thread.join(timeout=10)
