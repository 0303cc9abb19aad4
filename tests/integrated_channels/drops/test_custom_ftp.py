"""The seed's Custom FTP: Generate SSH key (Ed25519, private key encrypted at rest, public key download),
the layout's folders created on Test connection, the export-folder link on the connection page."""

import asyncssh
import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse

from integrated_channels.integrated_channel.services.connections import test_connection as check
from integrated_channels.sftp import keys, layout
from integrated_channels.sftp.services.user_import import import_users
from tests.fakes.sftp import FakeSFTPServer
from tests.integrated_channels.drops.factories import ftp_connection_to
from tests.integrated_channels.sftp.factories import SFTPConfigurationFactory, connection_to

pytestmark = pytest.mark.django_db


def stored_private_key(config) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT private_key FROM sftp_sftpconfiguration WHERE channelconfiguration_ptr_id = %s", [config.pk]
        )
        return cursor.fetchone()[0]


def test_generate_ssh_key_keeps_the_private_key_encrypted_and_the_server_accepts_it(admin_client, tmp_path):
    config = SFTPConfigurationFactory(base_path=".")
    generate = reverse("admin:sftp_sftpconfiguration_generate_ssh_key", args=[config.pk])

    assert admin_client.get(generate).status_code == 405  # a change: POST only
    response = admin_client.post(generate)

    assert response.status_code == 302
    config.refresh_from_db()
    assert config.public_key.startswith("ssh-ed25519 ") and config.public_key.endswith(keys.key_comment(config))
    assert "PRIVATE KEY" not in stored_private_key(config) and "PRIVATE KEY" in config.private_key
    download = admin_client.get(reverse("admin:sftp_sftpconfiguration_public_key", args=[config.pk]))
    assert download["Content-Disposition"] == f'attachment; filename="{keys.public_key_filename(config)}"'
    assert download.content.decode() == config.public_key + "\n" and b"PRIVATE" not in download.content
    page = admin_client.get(reverse("admin:sftp_sftpconfiguration_change", args=[config.pk])).content.decode()
    assert config.public_key in page and config.private_key not in page

    # The server with the public key installed lets the connection in by key.
    with FakeSFTPServer(tmp_path / "root", client_key=asyncssh.import_private_key(config.private_key)) as server:
        server.write(f"{layout.USER_IMPORT_DIR}/a.csv", "Email,Manager\nann@example.com,boss@example.com\n")
        config.host, config.port, config.host_key_fingerprint, config.password = (
            server.host,
            server.port,
            server.fingerprint,
            "",
        )
        config.attribute_mapping = {"email": "Email", "manager": "Manager", "department": None}
        config.save()

        result = import_users(configuration=config)

        assert result.run.status == "completed" and set(server.logins) == {"publickey:acme"}


def test_a_second_key_replaces_the_first():
    config = SFTPConfigurationFactory()
    first = keys.generate_ssh_key(config)
    second = keys.generate_ssh_key(config)
    config.refresh_from_db()
    assert first != second and config.public_key == second


def test_no_key_for_an_ftp_connection(admin_client, ftp_server):
    config = ftp_connection_to(ftp_server)
    page = admin_client.get(reverse("admin:sftp_sftpconfiguration_change", args=[config.pk])).content.decode()
    assert "Generate SSH key" not in page

    admin_client.post(reverse("admin:sftp_sftpconfiguration_generate_ssh_key", args=[config.pk]))

    config.refresh_from_db()
    assert config.public_key == "" and config.private_key == ""


@pytest.mark.parametrize("protocol", ["sftp", "ftp"])
def test_test_connection_creates_the_import_and_export_folders(protocol, sftp_server_or_ftp):
    server = sftp_server_or_ftp(protocol)
    config = (
        connection_to(server, base_path="drop") if protocol == "sftp" else ftp_connection_to(server, base_path="drop")
    )

    result = check(config)

    assert result.ok, result.message
    for name in layout.FOLDERS:
        assert server.path(f"drop/{name}").is_dir()
    assert "Created the folder(s)" in result.message and "Created" not in check(config).message


@pytest.fixture
def sftp_server_or_ftp(request):
    return lambda protocol: request.getfixturevalue(f"{protocol}_server")


@pytest.fixture
def sftp_server(tmp_path):
    with FakeSFTPServer(tmp_path / "sftp-root") as server:
        yield server


@pytest.mark.parametrize(
    ("values", "url"),
    [
        ({"protocol": "sftp", "base_path": "."}, "sftp://acme@drop.example.com:22/~/export"),
        ({"protocol": "sftp", "base_path": "/srv/lms"}, "sftp://acme@drop.example.com:22/srv/lms/export"),
        ({"protocol": "ftps", "port": 21, "base_path": "lms"}, "ftps://acme@drop.example.com:21/lms/export"),
        ({"protocol": "ftp", "port": 21, "base_path": "/srv"}, "ftp://acme@drop.example.com:21/%2Fsrv/export"),
    ],
)
def test_the_export_folder_link(values, url, admin_client):
    config = SFTPConfigurationFactory(host="drop.example.com", **values)

    assert keys.export_folder_url(config) == url
    page = admin_client.get(reverse("admin:sftp_sftpconfiguration_change", args=[config.pk])).content.decode()
    assert f'href="{url}" class="export-folder-link"' in page


def test_an_inactive_connection_may_wait_for_its_generated_key(sftp_server):
    config = connection_to(sftp_server, password="", active=False)
    config.full_clean()  # saved without a password, to generate its key on its page

    result = check(config)

    assert not result.ok and "generate an SSH key" in result.message
    config.active = True
    with pytest.raises(ValidationError) as caught:
        config.full_clean()
    assert "password" in caught.value.message_dict
