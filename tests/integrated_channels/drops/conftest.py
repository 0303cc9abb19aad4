import pytest

from tests.fakes.ftp import FakeFTPServer


@pytest.fixture
def ftp_server(tmp_path):
    with FakeFTPServer(tmp_path / "ftp-root") as server:
        yield server


@pytest.fixture
def ftps_server(tmp_path, settings):
    with FakeFTPServer(tmp_path / "ftps-root", tls=True) as server:
        settings.INTEGRATED_CHANNELS = {**settings.INTEGRATED_CHANNELS, "FTPS_CA_FILE": str(server.ca_file)}
        yield server


@pytest.fixture(params=["ftp", "ftps"])
def drop_server(request):
    """An FTP server, then an FTPS server (trusted through the test CA): the tests every FTP drop passes."""
    return request.getfixturevalue(f"{request.param}_server")


@pytest.fixture
def box(settings):
    from tests.fakes.box import FakeBox

    with FakeBox() as fake:
        settings.INTEGRATED_CHANNELS = {**settings.INTEGRATED_CHANNELS, **fake.settings(), "BACKOFF_SECONDS": 0.01}
        yield fake
