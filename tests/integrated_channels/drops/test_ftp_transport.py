"""FTP and FTPS drops against a real pyftpdlib server on 127.0.0.1: the SFTP connector's operations
(user import, exports, Test connection) on the other transports, and what a bad drop does."""

import csv
import datetime
import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from enterprise.models import EnterpriseCustomerUser
from integrated_channels.integrated_channel.transports import drop
from integrated_channels.sftp.connection_test import test_connection
from integrated_channels.sftp.services.export import export_transcripts
from integrated_channels.sftp.services.user_import import import_users
from tests.fakes.ftp import FakeFTPServer
from tests.integrated_channels.drops.factories import ftp_connection_to
from tests.integrated_channels.factories import completed_enrollment

pytestmark = pytest.mark.django_db

DIR = "import/user/internal"
PEOPLE = "Email,Manager,Department\nann@example.com,boss@example.com,Sales\n"


def remaining(server):
    folder = server.path(DIR)
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


def sent(server, verb: str) -> list[str]:
    return [command for command in server.commands if command.split(" ", 1)[0].upper() == verb]


def test_user_files_are_imported_and_deleted_once_committed(drop_server):
    drop_server.write(f"{DIR}/a.csv", PEOPLE)
    drop_server.write(f"{DIR}/b.csv", "Email,Manager,Department\nbob@example.com,boss@example.com,Ops\n")
    drop_server.write(f"{DIR}/notes.txt", "not a csv")
    config = ftp_connection_to(drop_server)

    result = import_users(configuration=config)

    run = result.run
    assert (run.status, run.selected, run.sent, run.failed) == ("completed", 2, 2, 0)
    assert result.files == [f"{DIR}/a.csv", f"{DIR}/b.csv"] and result.deleted
    assert remaining(drop_server) == ["notes.txt"]
    assert sent(drop_server, "PASV") or sent(drop_server, "EPSV")  # passive transfers only
    assert not sent(drop_server, "PORT") and not sent(drop_server, "EPRT")


def test_ftps_logs_in_and_transfers_over_tls_only(ftps_server):
    ftps_server.write(f"{DIR}/a.csv", PEOPLE)
    config = ftp_connection_to(ftps_server)

    import_users(configuration=config)

    verbs = [command.split(" ", 1)[0].upper() for command in ftps_server.commands]
    assert verbs.index("AUTH") < verbs.index("USER") < verbs.index("PASS") < verbs.index("PROT")
    assert "PROT P" in ftps_server.commands


def test_an_untrusted_certificate_fails_before_the_password_is_sent(ftps_server, settings):
    settings.INTEGRATED_CHANNELS = {**settings.INTEGRATED_CHANNELS, "FTPS_CA_FILE": ""}  # the system's CAs only
    ftps_server.write(f"{DIR}/a.csv", PEOPLE)
    config = ftp_connection_to(ftps_server)

    result = import_users(configuration=config)

    assert (result.run.status, result.run.error_code) == ("failed", "certificate_refused")
    assert "TLS certificate" in result.run.error_message and ftps_server.password not in result.run.error_message
    assert not sent(ftps_server, "PASS") and remaining(ftps_server) == ["a.csv"]


def test_a_pinned_self_signed_certificate_is_accepted(tmp_path, settings):
    settings.INTEGRATED_CHANNELS = {**settings.INTEGRATED_CHANNELS, "FTPS_CA_FILE": ""}
    with FakeFTPServer(tmp_path / "root", tls=True, self_signed=True) as server:
        server.write(f"{DIR}/a.csv", PEOPLE)
        config = ftp_connection_to(server, tls_certificate_fingerprint=server.fingerprint.lower().replace(":", ""))
        config.full_clean()  # normalised to openssl's form
        assert config.tls_certificate_fingerprint == server.fingerprint

        result = import_users(configuration=config)

        assert result.run.status == "completed" and remaining(server) == []


def test_a_certificate_other_than_the_pinned_one_is_refused(ftps_server):
    ftps_server.write(f"{DIR}/a.csv", PEOPLE)
    config = ftp_connection_to(ftps_server, tls_certificate_fingerprint=":".join(["AB"] * 32))

    result = import_users(configuration=config)

    assert (result.run.status, result.run.error_code) == ("failed", "certificate_refused")
    assert "not the pinned one" in result.run.error_message and ftps_server.fingerprint in result.run.error_message
    assert not sent(ftps_server, "PASS") and remaining(ftps_server) == ["a.csv"]


def test_plain_ftp_to_an_ftps_only_server_fails_without_deleting(ftps_server):
    ftps_server.write(f"{DIR}/a.csv", PEOPLE)
    config = ftp_connection_to(ftps_server, protocol="ftp")

    result = import_users(configuration=config)

    assert result.run.status == "failed" and remaining(ftps_server) == ["a.csv"]
    assert ftps_server.password not in result.run.error_message


@pytest.mark.parametrize("fault", ["deny_read", "vanish_on_read", "drop_on_read"])
def test_a_file_that_cannot_be_read_fails_the_run_naming_it_and_nothing_is_deleted(drop_server, fault):
    drop_server.write(f"{DIR}/a.csv", PEOPLE)
    drop_server.write(f"{DIR}/b.csv", "Email,Manager,Department\nbob@example.com,boss@example.com,Ops\n")
    setattr(drop_server, fault, "b.csv")
    config = ftp_connection_to(drop_server)

    result = import_users(configuration=config)

    run = result.run
    assert (run.status, run.error_code, run.sent) == ("failed", "transfer_failed", 0)
    assert f"{DIR}/b.csv" in run.error_message
    assert not sent(drop_server, "DELE")
    assert "a.csv" in remaining(drop_server)
    assert not EnterpriseCustomerUser.objects.filter(customer=config.customer).exists()


def test_a_file_over_the_limit_is_refused_from_its_size_before_any_download(drop_server, settings):
    settings.INTEGRATED_CHANNELS = {**settings.INTEGRATED_CHANNELS, "SFTP_MAX_FILE_BYTES": 100}
    drop_server.write(f"{DIR}/a.csv", PEOPLE)
    drop_server.write(f"{DIR}/b.csv", PEOPLE + "x@example.com,boss@example.com,Sales\n" * 3)
    config = ftp_connection_to(drop_server)

    result = import_users(configuration=config)

    assert (result.run.status, result.run.error_code) == ("failed", "file_too_large")
    assert f"{DIR}/b.csv" in result.run.error_message
    assert not sent(drop_server, "RETR") and not sent(drop_server, "DELE")
    assert remaining(drop_server) == ["a.csv", "b.csv"]


def test_a_wrong_password_fails_the_run_without_echoing_it(drop_server):
    config = ftp_connection_to(drop_server, password="not-the-password")

    result = import_users(configuration=config)

    assert (result.run.status, result.run.error_code) == ("failed", "auth_failed")
    assert "not-the-password" not in result.run.error_message


def test_a_pasv_reply_naming_another_host_is_not_followed(tmp_path):
    with FakeFTPServer(tmp_path / "root", masquerade="203.0.113.9") as server:
        server.write(f"{DIR}/a.csv", PEOPLE)
        config = ftp_connection_to(server)

        result = import_users(configuration=config)

        assert result.run.status == "completed"  # data connections went to 127.0.0.1, the checked address


def test_transcripts_are_exported_zipped_to_the_export_folder(drop_server):
    config = ftp_connection_to(drop_server, zip_exports=True)
    completed_enrollment(config.customer)
    drop_server.write("export/old.txt", "left alone")
    today = timezone.localdate()
    date_from = today - datetime.timedelta(days=7)

    result = export_transcripts(configuration=config, date_from=date_from, date_to=today)
    again = export_transcripts(configuration=config, date_from=date_from, date_to=today)  # replaces the file

    stem = f"learner_transcript_{date_from:%Y-%m-%d}_to_{today:%Y-%m-%d}"
    assert result.path == again.path == f"export/{stem}.zip" and again.run.status == "completed"
    with zipfile.ZipFile(drop_server.path(result.path)) as archive:
        rows = list(csv.DictReader(io.StringIO(archive.read(f"{stem}.csv").decode())))
    assert [row["status"] for row in rows] == ["completed"]
    assert sorted(path.name for path in drop_server.path("export").iterdir()) == [f"{stem}.zip", "old.txt"]


def test_an_export_to_a_folder_that_cannot_be_written_fails_the_run(drop_server):
    config = ftp_connection_to(drop_server, base_path="/no/such/../../../outside")
    drop_server.path("outside").write_text("a file where the folder should be")
    today = timezone.localdate()

    result = export_transcripts(configuration=config, date_from=today, date_to=today)

    assert (result.run.status, result.run.error_code) == ("failed", "transfer_failed")


def test_test_connection_reads_the_columns_of_the_newest_file(drop_server):
    drop_server.write(f"{DIR}/a.csv", "Email,Manager,Department,Cost centre\nann@example.com,b@example.com,S,1\n")
    config = ftp_connection_to(drop_server)

    outcome = test_connection(config)

    assert outcome.ok and "a.csv" in outcome.message
    assert outcome.found == ["Email", "Manager", "Department", "Cost centre"]
    config.refresh_from_db()
    assert config.source_columns == outcome.found


def test_make_folders_and_list_files(drop_server):
    config = ftp_connection_to(drop_server)

    assert drop.make_folders(config, ["import/user/internal", "export"]) == [
        "import",
        "import/user",
        "import/user/internal",
        "export",
    ]
    assert drop.make_folders(config, ["export"]) == []
    drop_server.write("export/a.csv", "x")
    [(path, modified)] = drop.list_files(config, "export")
    assert path == "export/a.csv" and modified is not None


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"password": ""}, "password"),
        ({"private_key": "-----BEGIN OPENSSH PRIVATE KEY-----"}, "private_key"),
        ({"tls_certificate_fingerprint": "12:34"}, "tls_certificate_fingerprint"),
        ({"protocol": "ftp", "tls_certificate_fingerprint": ":".join(["AB"] * 32)}, "tls_certificate_fingerprint"),
    ],
)
def test_ftp_connections_are_validated(ftps_server, values, field):
    config = ftp_connection_to(ftps_server, **values)

    with pytest.raises(ValidationError) as caught:
        config.full_clean()

    assert field in caught.value.message_dict
    assert "host_key_fingerprint" not in caught.value.message_dict  # no SSH host key for FTP


def test_an_sftp_file_without_read_permission_fails_the_run_naming_it(tmp_path):
    from tests.fakes.sftp import FakeSFTPServer
    from tests.integrated_channels.sftp.factories import connection_to

    with FakeSFTPServer(tmp_path / "root") as server:
        server.write(f"{DIR}/a.csv", PEOPLE)
        server.write(f"{DIR}/b.csv", PEOPLE)
        server.deny_read = "b.csv"
        config = connection_to(server)

        result = import_users(configuration=config)

        assert (result.run.status, result.run.error_code) == ("failed", "transfer_failed")
        assert f"Could not read {DIR}/b.csv" in result.run.error_message
        assert sorted(path.name for path in server.path(DIR).iterdir()) == ["a.csv", "b.csv"]


def test_a_server_at_an_address_not_allowed_is_never_contacted(ftp_server):
    config = ftp_connection_to(ftp_server)
    config.host = "10.1.2.3"  # private: not in the tests' ALLOWED_ADDRESSES

    result = import_users(configuration=config)

    assert (result.run.status, result.run.error_code) == ("failed", "address_refused")
    assert ftp_server.commands == []
