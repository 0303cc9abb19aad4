import pytest

from integrated_channels.harvard_managementor.models import HarvardManageMentorConnection
from tests.factories import CustomerFactory
from tests.fakes.sftp import FakeSFTPServer


@pytest.fixture
def sftp_server(tmp_path):
    with FakeSFTPServer(tmp_path / "sftp-root") as server:
        yield server


@pytest.fixture
def connection(sftp_server, db):
    return HarvardManageMentorConnection.objects.create(
        customer=CustomerFactory(name="Acme", enable_data_sharing_consent=False),
        name="HMM",
        active=True,
        host=sftp_server.host,
        port=sftp_server.port,
        username=sftp_server.username,
        password=sftp_server.password,
        host_key_fingerprint=sftp_server.fingerprint,
        directory="hmm",
        catalogs="Leadership, Management",
        custom_tags="Harvard",
    )
