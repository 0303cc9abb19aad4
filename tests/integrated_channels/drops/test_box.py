"""Box as a file drop, against the strict fake Box API: the same import and exports as the other drops,
Box's authentication (client credentials, JWT), multipart uploads, folder ids, 409 and 429."""

import csv
import datetime
import io

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.exceptions import ValidationError
from django.utils import timezone

from integrated_channels.integrated_channel.services.connections import test_connection as check
from integrated_channels.integrated_channel.transports import box as box_transport
from integrated_channels.sftp import keys, layout
from integrated_channels.sftp.services.export import export_transcripts
from integrated_channels.sftp.services.user_import import import_users
from tests.fakes.box import ROOT
from tests.integrated_channels.drops.factories import box_connection_to
from tests.integrated_channels.factories import completed_enrollment

pytestmark = pytest.mark.django_db

DIR = layout.USER_IMPORT_DIR
PEOPLE = "Email,Manager,Department\nann@example.com,boss@example.com,Sales\n"


def test_user_files_in_the_box_folder_are_imported_and_deleted(box):
    box.write(f"{DIR}/a.csv", PEOPLE)
    box.write(f"{DIR}/b.csv", "Email,Manager,Department\nbob@example.com,boss@example.com,Ops\n")
    box.write(f"{DIR}/notes.txt", "x")
    config = box_connection_to(box)

    result = import_users(configuration=config)

    assert (result.run.status, result.run.sent) == ("completed", 2), result.run.error_message
    assert box.names(DIR) == ["notes.txt"]
    assert box.token_calls == 1  # one token for every call of the run (the project's token store)
    assert box.read(f"{layout.USER_REPORT_DIR}/{layout.user_report_name(result.run, result.run.started_at)}")


def test_exports_create_the_folder_and_replace_the_file_by_a_new_version(box):
    config = box_connection_to(box, zip_exports=False)
    completed_enrollment(config.customer)
    today = timezone.localdate()
    date_from = today - datetime.timedelta(days=7)

    first = export_transcripts(configuration=config, date_from=date_from, date_to=today)
    again = export_transcripts(configuration=config, date_from=date_from, date_to=today)

    assert first.run.status == again.run.status == "completed"
    rows = list(csv.DictReader(io.StringIO(box.read(first.path).decode())))
    assert [row["status"] for row in rows] == ["completed"]
    new, version = box.uploads
    assert new["attributes"] == {"name": first.path.rsplit("/", 1)[1], "parent": {"id": box.folder_at("export")}}
    assert new["version_of"] is None and version["version_of"] is not None


def test_a_rate_limited_call_waits_for_retry_after_and_goes_on(box):
    box.write(f"{DIR}/a.csv", PEOPLE)
    box.throttle = 1
    config = box_connection_to(box)

    result = import_users(configuration=config)

    assert result.run.status == "completed" and box.names(DIR) == []
    assert box.throttle == 0


def test_a_file_box_refuses_to_give_fails_the_run_naming_it_and_nothing_is_deleted(box):
    box.write(f"{DIR}/a.csv", PEOPLE)
    box.write(f"{DIR}/b.csv", PEOPLE)
    box.deny_download = "b.csv"
    config = box_connection_to(box)

    result = import_users(configuration=config)

    assert (result.run.status, result.run.error_code) == ("failed", "transfer_failed")
    assert f"{DIR}/b.csv" in result.run.error_message and box.names(DIR) == ["a.csv", "b.csv"]
    assert not [call for call in box.calls if call[0] == "DELETE"]


def test_a_file_over_the_limit_is_refused_from_its_size(box, settings):
    settings.INTEGRATED_CHANNELS = {**settings.INTEGRATED_CHANNELS, "SFTP_MAX_FILE_BYTES": 100}
    box.write(f"{DIR}/a.csv", PEOPLE * 3)
    config = box_connection_to(box)

    result = import_users(configuration=config)

    assert (result.run.status, result.run.error_code) == ("failed", "file_too_large")
    assert not [path for method, path in box.calls if path.endswith("/content")]


def test_refused_credentials_fail_without_echoing_the_secret(box):
    config = box_connection_to(box, box_client_secret="not-the-secret")

    result = import_users(configuration=config)

    assert (result.run.status, result.run.error_code) == ("failed", "auth_failed")
    assert "not-the-secret" not in result.run.error_message


def test_jwt_server_authentication(box):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    box.jwt_public_key = key.public_key()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    box.write(f"{DIR}/a.csv", PEOPLE)
    config = box_connection_to(box, box_auth="jwt", box_public_key_id=box.jwt_key_id, box_jwt_private_key=pem)
    config.full_clean()

    result = import_users(configuration=config)

    assert result.run.status == "completed", result.run.error_message
    wrong = box_connection_to(box, box_auth="jwt", box_public_key_id="other-key", box_jwt_private_key=pem)
    assert import_users(configuration=wrong).run.error_code == "auth_failed"


def test_test_connection_creates_the_folders_and_the_link_opens_the_box_folder(box):
    config = box_connection_to(box)

    result = check(config)

    assert result.ok, result.message
    assert result.message.startswith(f"Logged in to Box folder {config.box_folder_id};"), result.message
    assert box.names("") == ["export", "import"] and box.names("import") == ["content", "user", "xapi"]
    assert keys.export_folder_url(config) == f"https://app.box.com/folder/{ROOT}"


def test_a_folder_made_meanwhile_is_used_from_the_409_conflict(box):
    config = box_connection_to(box)
    client = box_transport.BoxClient(config)

    made = client.create_folder(ROOT, "export")

    assert client.create_folder(ROOT, "export") == made


def test_box_connections_are_validated(box):
    config = box_connection_to(box, box_client_secret="", box_folder_id="abc", password="pw")

    with pytest.raises(ValidationError) as caught:
        config.full_clean()

    assert {"box_client_secret", "box_folder_id", "password"} <= set(caught.value.message_dict)
    assert "host" not in caught.value.message_dict and "username" not in caught.value.message_dict


# -- chunked uploads (files from BOX_CHUNKED_UPLOAD_BYTES up) ------------------------------------------


@pytest.fixture
def small_parts(box, settings):
    """Box's sizes scaled down: sessions from 2,000 bytes, parts of 1,024, chunked from 3,000."""
    box.min_session_bytes, box.part_size, box.max_direct_bytes = 2000, 1024, 2999
    settings.INTEGRATED_CHANNELS = {**settings.INTEGRATED_CHANNELS, "BOX_CHUNKED_UPLOAD_BYTES": 3000}
    return box


def test_a_large_file_is_uploaded_in_parts_and_a_second_one_becomes_a_new_version(small_parts):
    box, config = small_parts, box_connection_to(small_parts)
    content = bytes(range(256)) * 20  # 5,120 bytes: four full parts and one of 1,024
    box_transport.upload(config, "export/big.csv", content)
    box_transport.upload(config, "export/big.csv", content[::-1])

    assert box.read("export/big.csv") == content[::-1]
    first, second = box.uploads
    assert (first["parts"], first["version_of"], second["parts"]) == (5, None, 5)
    assert second["version_of"] == box._file_in(box.folder_at("export"), "big.csv")
    assert box.calls.count(("POST", "/upload/files/upload_sessions")) == 1
    assert not box.sessions  # both committed


def test_a_smaller_file_goes_in_one_request_as_before(small_parts):
    box, config = small_parts, box_connection_to(small_parts)
    box_transport.upload(config, "export/small.csv", b"x" * 2999)
    assert box.uploads[0].get("parts") is None and box.read("export/small.csv") == b"x" * 2999


def test_a_commit_box_is_still_processing_is_retried_after_retry_after(small_parts):
    box, config = small_parts, box_connection_to(small_parts)
    box.commit_pending = 1
    box_transport.upload(config, "big.csv", b"y" * 4000)
    assert box.read("big.csv") == b"y" * 4000
    session_paths = [path for method, path in box.calls if method == "POST" and path.endswith("/commit")]
    assert len(session_paths) == 2


def test_a_part_that_keeps_failing_aborts_the_session_and_leaves_no_file(small_parts):
    box, config = small_parts, box_connection_to(small_parts)
    box.fail_parts_from = 2
    with pytest.raises(box_transport.TransferFailed, match=r"Could not write big\.csv on Box folder"):
        box_transport.upload(config, "big.csv", b"z" * 4000)
    assert box.read("big.csv") is None
    assert len(box.aborted) == 1 and not box.sessions


def test_the_fake_refuses_a_large_file_sent_in_one_request(small_parts, settings):
    """The fake is strict: without the switch to chunked uploads the write fails as Box advises."""
    settings.INTEGRATED_CHANNELS = {**settings.INTEGRATED_CHANNELS, "BOX_CHUNKED_UPLOAD_BYTES": 10**9}
    with pytest.raises(box_transport.TransferFailed, match="413"):
        box_transport.upload(box_connection_to(small_parts), "big.csv", b"z" * 4000)


def test_box_reads_retry_after_as_the_other_transports_do_seconds_or_an_http_date():
    class Answer:
        def __init__(self, value):
            self.headers = {"Retry-After": value} if value is not None else {}

    later = timezone.now() + datetime.timedelta(seconds=120)

    assert box_transport._retry_after(Answer("3")) == 3.0
    assert 100 < box_transport._retry_after(Answer(later.strftime("%a, %d %b %Y %H:%M:%S GMT"))) <= 120
    assert box_transport._retry_after(Answer(None)) is None and box_transport._retry_after(Answer("soon")) is None
