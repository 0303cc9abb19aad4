"""The drop_import benchmark on a tiny size, on FTPS and Box: the import and the per-row baseline agree."""

import tempfile
from pathlib import Path

import pytest

from benchmarks import drop_import, sftp_import
from tests.integrated_channels.sftp.test_benchmark_sftp_import import state

pytestmark = pytest.mark.django_db

ROWS = 40


@pytest.mark.parametrize("transport", ["ftps", "box"])
def test_the_import_and_the_per_row_baseline_agree_on_every_transport(transport, settings):
    settings.INTEGRATED_CHANNELS = {**settings.INTEGRATED_CHANNELS}  # restored after the test
    with (
        tempfile.TemporaryDirectory() as tmp,
        drop_import.drop_server(transport, Path(tmp) / "root") as (server, fields),
    ):
        sftp_import.build_users(ROWS)
        config = drop_import.make_connection(fields, transport)
        sftp_import.write_files(server, ROWS, 4)

        result = sftp_import.run_import(config)
        assert (result.run.status, result.imported, result.errors, result.deleted) == ("completed", ROWS, [], True)
        imported = state(config.customer)
        sftp_import.reset(config.customer)

        sftp_import.write_files(server, ROWS, 4)
        counts = sftp_import.per_row_baseline(configuration=config, limit=ROWS)

        assert (counts["linked"], counts["pending"], counts["failed"]) == (ROWS // 2, ROWS // 2, 0)
        assert state(config.customer) == imported
