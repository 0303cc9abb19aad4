import pytest

from tests.fakes.sftp import FakeSFTPServer


@pytest.fixture
def sftp_server(tmp_path):
    with FakeSFTPServer(tmp_path / "sftp-root") as server:
        yield server
