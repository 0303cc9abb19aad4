"""The seed's Custom FTP certificate authentication: an SSH key pair generated here (decision 0233).

``generate_ssh_key`` makes an Ed25519 pair: the private key (OpenSSH format) goes to the connection's
encrypted ``private_key`` — it is never shown nor downloadable — and the public key, in the one-line
``authorized_keys`` form, to ``public_key``, which the operator downloads and installs on the server.
A new key replaces the previous one (the previous public key stops working once removed from the server).
"""

from __future__ import annotations

from django.utils import timezone


def key_comment(configuration) -> str:
    return f"enterprise-learners-{configuration.customer.slug}-{configuration.pk}"


def generate_ssh_key(configuration) -> str:
    """Give the connection a new Ed25519 key pair (saved); the public key line."""
    # imported here, not with the admin that imports this module: every process loads the admin (decision 0575)
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
    ).decode()
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    configuration.private_key = private
    configuration.public_key = f"{public} {key_comment(configuration)}"
    configuration.modified = timezone.now()
    configuration.save(update_fields=["private_key", "public_key", "modified"])
    return configuration.public_key


def public_key_filename(configuration) -> str:
    return f"{key_comment(configuration)}.pub"


def export_folder_url(configuration) -> str:
    """Where the exports are, as a link an FTP / SFTP client opens (RFC 1738 ftp URLs: a path relative to
    the login folder, ``%2F`` for an absolute one; sftp URLs: ``/~/`` for the home folder)."""
    from urllib.parse import quote

    scheme = configuration.protocol or "sftp"
    if scheme == "box":  # Box opens folders by id: the connection's folder, which holds export/
        return f"https://app.box.com/folder/{quote(configuration.box_folder_id)}"
    path = configuration.remote_path("export")
    where = f"{scheme}://{quote(configuration.username, safe='')}@{configuration.host}:{configuration.port}"
    if scheme == "sftp":
        return f"{where}{quote(path)}" if path.startswith("/") else f"{where}/~/{quote(path)}"
    return f"{where}/%2F{quote(path.lstrip('/'))}" if path.startswith("/") else f"{where}/{quote(path)}"
