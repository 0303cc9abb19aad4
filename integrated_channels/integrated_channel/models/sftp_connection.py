"""The fields of a connection to a customer's SFTP server, shared by the channels that use one.

An abstract model: each channel's configuration inherits the fields (server, login, password
and/or SSH key encrypted at rest, the pinned host-key fingerprint) and ``connection_errors``
validates them the same way everywhere (decision 0061). ``transports.sftp`` reads them.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from enterprise.fields import EncryptedTextField
from integrated_channels.integrated_channel.transports import hostkeys


class SFTPConnection(models.Model):
    #: Blank for Box, required by ``connection_errors`` for a server: the documented example gives them.
    EXAMPLE_FIELDS = ("host", "username")
    #: The fields of an SFTP server alone, as the admin forms of the connectors that only read SFTP show them.
    SSH_FIELDS = ("host", "port", "username", "password", "private_key", "host_key_fingerprint")
    #: The drop's fields as the admin forms of the connectors reading or writing a drop show them.
    SERVER_FIELDS = (
        "protocol",
        *SSH_FIELDS,
        "tls_certificate_fingerprint",
        "box_auth",
        "box_client_id",
        "box_client_secret",
        "box_subject_type",
        "box_subject_id",
        "box_folder_id",
        "box_public_key_id",
        "box_jwt_private_key",
    )

    class Protocol(models.TextChoices):
        SFTP = "sftp", _("SFTP (SSH)")
        FTPS = "ftps", _("FTPS (FTP with explicit TLS)")
        FTP = "ftp", _("FTP (not encrypted)")
        BOX = "box", _("Box (box.com account)")

    protocol = models.CharField(
        max_length=8,
        choices=Protocol.choices,
        default=Protocol.SFTP,
        help_text=_(
            "How the drop is reached. SFTP: host key pinned. FTPS: AUTH TLS, certificate verified (or pinned). "
            "FTP sends the password and the files unencrypted: use it only where nothing else is offered."
        ),
    )
    host = models.CharField(
        max_length=255, blank=True, help_text=_("Host name or address of the server (not for Box).")
    )
    port = models.PositiveIntegerField(
        default=22,
        validators=[MinValueValidator(1), MaxValueValidator(65535)],
        help_text=_("22 for SFTP, 21 for FTP and FTPS as a rule."),
    )
    username = models.CharField(max_length=255, blank=True, help_text=_("The login (not for Box)."))
    password = EncryptedTextField(blank=True, verbose_name=_("password"))
    private_key = EncryptedTextField(
        blank=True,
        verbose_name=_("SSH private key"),
        help_text=_("OpenSSH or PEM private key (unencrypted). Used instead of the password when set."),
    )
    box_auth = models.CharField(
        max_length=8,
        choices=[("ccg", _("Client credentials grant")), ("jwt", _("JWT (server authentication)"))],
        default="ccg",
        verbose_name=_("Box authentication"),
        help_text=_("Box: how the app authenticates, as its Box Developer Console configuration says."),
    )
    box_client_id = models.CharField(max_length=255, blank=True, verbose_name=_("Box client id"))
    box_client_secret = EncryptedTextField(blank=True, verbose_name=_("Box client secret"))
    box_subject_type = models.CharField(
        max_length=10,
        choices=[("enterprise", _("enterprise (the app's service account)")), ("user", _("user"))],
        default="enterprise",
        verbose_name=_("Box subject type"),
    )
    box_subject_id = models.CharField(
        max_length=64, blank=True, verbose_name=_("Box subject id"), help_text=_("The enterprise id or the user id.")
    )
    box_folder_id = models.CharField(
        max_length=32,
        blank=True,
        verbose_name=_("Box folder id"),
        help_text=_("Box: the id of the folder holding import/ and export/ (its URL ends with it); 0 is All Files."),
    )
    box_public_key_id = models.CharField(max_length=64, blank=True, verbose_name=_("Box JWT public key id"))
    box_jwt_private_key = EncryptedTextField(
        blank=True,
        verbose_name=_("Box JWT private key"),
        help_text=_("Box JWT: the app's RSA private key (PEM, unencrypted), whose public key is registered with Box."),
    )
    public_key = models.TextField(
        blank=True,
        editable=False,
        verbose_name=_("SSH public key"),
        help_text=_("The public half of a key generated here (Generate SSH key): install it on the server."),
    )
    host_key_fingerprint = models.CharField(
        max_length=64,
        blank=True,
        help_text=_(
            "SFTP: SHA256 fingerprint of the server's host key, as `ssh-keygen -lf` prints it "
            "(SHA256:…). Any other key is refused."
        ),
    )
    tls_certificate_fingerprint = models.CharField(
        max_length=100,
        blank=True,
        verbose_name=_("pinned TLS certificate"),
        help_text=_(
            "FTPS, optional: the SHA-256 fingerprint of the server's certificate, as `openssl x509 -noout "
            "-fingerprint -sha256` prints it. Set: only that certificate is accepted (a self-signed one too). "
            "Empty: the certificate must be issued by a trusted authority for the host name."
        ),
    )

    class Meta:
        abstract = True

    def connection_errors(self) -> dict[str, str]:
        """``{field: message}`` of what is wrong with the connection fields (normalises the fingerprint)."""
        errors = {}
        missing = self._missing_library()
        if missing:
            return {"protocol": missing}
        if self.protocol == self.Protocol.BOX:
            return self._box_errors()
        for name in ("host", "username"):
            if not getattr(self, name):
                errors[name] = _("This field is required.")
        if self.protocol in (self.Protocol.FTP, self.Protocol.FTPS):
            return {**errors, **self._ftp_errors()}
        if not self.password and not self.private_key and getattr(self, "active", True):
            # An inactive connection may wait for its key: Generate SSH key on its page (decision 0233).
            errors["password"] = _("Give a password or an SSH private key (or save inactive and generate a key).")
        if self.private_key:
            try:
                load_private_key(self.private_key)
            except ValueError as exc:
                errors["private_key"] = str(exc)
        self.host_key_fingerprint = hostkeys.normalise(self.host_key_fingerprint)
        if not hostkeys.FINGERPRINT_RE.match(self.host_key_fingerprint):
            errors["host_key_fingerprint"] = _(
                "Expected a SHA256 fingerprint: SHA256: followed by 43 base64 characters."
            )
        return errors

    def _missing_library(self) -> str:
        """What to install when this protocol's library (an extra of the package) is missing, or ""."""
        from integrated_channels.integrated_channel import extras

        get_channel = getattr(self, "get_channel", None)
        return extras.missing_for_protocol(get_channel(), self.protocol) if get_channel else ""

    def _ftp_errors(self) -> dict[str, str]:
        from integrated_channels.integrated_channel.transports import ftp

        errors = {}
        if not self.password:
            errors["password"] = _("Give the password: FTP and FTPS log in with one.")
        if self.private_key:
            errors["private_key"] = _("An SSH key is for SFTP only: clear it, or choose SFTP.")
        self.tls_certificate_fingerprint = ftp.normalise_fingerprint(self.tls_certificate_fingerprint)
        if self.tls_certificate_fingerprint:
            if self.protocol != self.Protocol.FTPS:
                errors["tls_certificate_fingerprint"] = _("A certificate is pinned for FTPS only.")
            elif not ftp.is_fingerprint(self.tls_certificate_fingerprint):
                errors["tls_certificate_fingerprint"] = _("Expected a SHA-256 fingerprint: 64 hexadecimal digits.")
        return errors

    def _box_errors(self) -> dict[str, str]:
        errors = {}
        required = ["box_client_id", "box_client_secret", "box_subject_id", "box_folder_id"]
        if self.box_auth == "jwt":
            required += ["box_public_key_id", "box_jwt_private_key"]
        for name in required:
            if not (getattr(self, name) or "").strip():
                errors[name] = _("Required for a Box connection.")
        if self.box_folder_id and not self.box_folder_id.strip().isdigit():
            errors["box_folder_id"] = _("A Box folder id is a number (the end of the folder's URL).")
        if self.box_auth == "jwt" and self.box_jwt_private_key:
            try:
                load_private_key(self.box_jwt_private_key)
            except ValueError as exc:
                errors["box_jwt_private_key"] = str(exc)
        if self.password or self.private_key:
            errors["password"] = _("Box connections use the Box app's credentials, not a password or SSH key.")
        self.host = self.host or "api.box.com"
        return errors

    def connection_secrets(self) -> list[str]:
        return [
            secret
            for secret in (self.password, self.private_key, self.box_client_secret, self.box_jwt_private_key)
            if secret
        ]


def load_private_key(text: str):
    """The key object of an OpenSSH or PEM private key; ``ValueError`` with a readable message otherwise."""
    from cryptography.hazmat.primitives import serialization

    data = text.strip().encode() + b"\n"
    try:
        if b"OPENSSH PRIVATE KEY" in data:
            return serialization.load_ssh_private_key(data, password=None)
        return serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"Not a readable unencrypted private key: {exc}") from exc
