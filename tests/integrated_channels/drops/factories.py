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


def box_connection_to(fake, **kwargs) -> SFTPConfiguration:
    """An active connection of a new customer to the fake Box's root folder (client credentials grant)."""
    from tests.fakes.box import ROOT

    values = {
        "protocol": "box",
        "host": "api.box.com",
        "port": 443,
        "username": "",
        "password": "",
        "host_key_fingerprint": "",
        "box_client_id": fake.client_id,
        "box_client_secret": fake.client_secret,
        "box_subject_type": "enterprise",
        "box_subject_id": fake.enterprise_id,
        "box_folder_id": ROOT,
        "attribute_mapping": {"email": "Email", "manager": "Manager", "department": "Department"},
    }
    values.update(kwargs)
    return SFTPConfigurationFactory(**values)
