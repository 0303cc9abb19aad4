"""Factories of the SFTP connector tests."""

from __future__ import annotations

import factory

from integrated_channels.sftp.models import SFTPConfiguration
from tests.factories import CustomerFactory

FINGERPRINT = "SHA256:" + "A" * 43


class SFTPConfigurationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SFTPConfiguration

    customer = factory.SubFactory(CustomerFactory)
    active = True
    host = "127.0.0.1"
    port = 22
    username = "acme"
    password = "s3cret-sftp-password"
    host_key_fingerprint = FINGERPRINT
    base_path = "."
    attribute_mapping = factory.LazyFunction(lambda: {"email": "Email", "manager": "Manager", "department": None})


def connection_to(server, **kwargs) -> SFTPConfiguration:
    """An active connection of a new customer to the fake server ``server`` (password auth)."""
    values = {
        "host": server.host,
        "port": server.port,
        "username": server.username,
        "password": server.password,
        "host_key_fingerprint": server.fingerprint,
        "attribute_mapping": {"email": "Email", "manager": "Manager", "department": "Department"},
    }
    values.update(kwargs)
    return SFTPConfigurationFactory(**values)
