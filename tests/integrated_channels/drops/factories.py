"""Connections of the drop tests to the fake FTP / FTPS servers."""

from __future__ import annotations

from integrated_channels.sftp.models import SFTPConfiguration
from tests.integrated_channels.sftp.factories import SFTPConfigurationFactory


def ftp_connection_to(server, **kwargs) -> SFTPConfiguration:
    """An active connection of a new customer to the fake FTP / FTPS server ``server``."""
    values = {
        "protocol": server.protocol,
        "host": server.host,
        "port": server.port,
        "username": server.username,
        "password": server.password,
        "host_key_fingerprint": "",
        "attribute_mapping": {"email": "Email", "manager": "Manager", "department": "Department"},
    }
    values.update(kwargs)
    return SFTPConfigurationFactory(**values)
