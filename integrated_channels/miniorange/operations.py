"""The miniOrange connector's operation: import users (and Test connection), on the shared pipeline.

The users are read batch by batch (``batchNo`` from 1, ``batchSize`` users) until a batch comes
back shorter than asked; each goes through the pipeline (mapping, conditions, manager filter,
leavers); the run e-mail and the execution status are the framework's, as the seed's completion
notification and import log.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from integrated_channels.directory.importing import import_source
from integrated_channels.integrated_channel.imports.errors import ImportRefused
from integrated_channels.integrated_channel.imports.sources import Row, _picker
from integrated_channels.integrated_channel.services.connections import ConnectionTest
from integrated_channels.miniorange.client import MiniOrangeClient
from integrated_channels.miniorange.models import ATTRIBUTES, MiniOrangeConfiguration

USER_IMPORT = "user_import"


class MiniOrangeSource:
    def __init__(self, client: MiniOrangeClient, configuration: MiniOrangeConfiguration):
        self.client = client
        self.configuration = configuration
        self.required: Mapping[str, str] = {}
        self.pages = 0

    def columns(self) -> list[str]:
        return list(ATTRIBUTES)

    def rows(self) -> Iterator[Row]:
        pick = _picker(self.required)
        size = self.configuration.batch_size
        batch = 1
        while True:
            users = self.client.users(batch, size)
            self.pages += 1
            for index, user in enumerate(users, start=1):
                if not isinstance(user, dict):
                    raise ImportRefused(f"batch {batch}, user {index}: not an object.", code="malformed_response")
                yield Row(pick(user), f"batch {batch}, user {user.get('username') or index}")
            if len(users) < size:
                return
            batch += 1


def import_users(configuration: MiniOrangeConfiguration, *, trigger, start_date=None, api_user=None, run=None):
    client = MiniOrangeClient(configuration)
    return import_source(
        configuration,
        client,
        lambda: MiniOrangeSource(client, configuration),
        kind=USER_IMPORT,
        trigger=trigger,
        api_user=api_user,
        run=run,
    )


def test_connection(configuration: MiniOrangeConfiguration) -> ConnectionTest:
    client = MiniOrangeClient(configuration)
    try:
        users = client.users(1, 1)
    finally:
        client.close()
    return ConnectionTest(
        ok=True,
        message=f"Connected to miniOrange account {configuration.customer_key}; "
        f"{'users can be read' if users else 'it has no user yet'}.",
        found=list(ATTRIBUTES),
        found_label="attributes",
    )


test_connection.__test__ = False  # not a pytest test
