import os

import pytest

from tests.fakes.lrs import RalphLRS, ralph_python
from tests.fakes.sftp import FakeSFTPServer
from tests.integrated_channels.xapi.factories import LRS_READ_TIMEOUT


@pytest.fixture
def lrs(tmp_path, channel_settings):
    """ralph-malph's LRS on a free port of 127.0.0.1 (installed by `make test` in .venv/ralph)."""
    channel_settings.INTEGRATED_CHANNELS = {**channel_settings.INTEGRATED_CHANNELS, "READ_TIMEOUT": LRS_READ_TIMEOUT}
    python = ralph_python()
    if python is None:
        reason = "ralph-malph is not installed: `make test` installs it in .venv/ralph (or set RALPH_PYTHON)"
        if os.environ.get("REQUIRE_LRS") or os.environ.get("CI") == "true":
            pytest.fail(reason)  # CI must run them
        pytest.skip(reason)
    with RalphLRS(tmp_path / "lrs", python=python) as server:
        yield server


@pytest.fixture
def sftp_server(tmp_path):
    with FakeSFTPServer(tmp_path / "sftp-root") as server:
        yield server
