"""Test connection of an SFTP connection against the fake server: login, import folder, newest file's columns."""

import os
import time

import pytest

from integrated_channels.integrated_channel.services.connections import test_connection as check
from tests.integrated_channels.sftp.factories import connection_to

pytestmark = pytest.mark.django_db

DIR = "import/user/internal"


def test_it_lists_the_columns_of_the_newest_user_file(sftp_server):
    config = connection_to(sftp_server)
    old = sftp_server.write(f"{DIR}/b-old.csv", "Email,Old\nx@example.com,1\n")
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    sftp_server.write(f"{DIR}/a-new.csv", "\ufeffEmail,Manager,Cost centre\nx@example.com,,1\n")
    sftp_server.write(f"{DIR}/notes.txt", "not a CSV")

    result = check(config)

    assert result.ok, result.message
    assert "holds 2 CSV file(s), the newest a-new.csv" in result.message
    assert result.found == ["Email", "Manager", "Cost centre"]
    assert "Columns of the newest file: Email, Manager, Cost centre." in result.summary()
    config.refresh_from_db()
    assert config.source_columns == ["Email", "Manager", "Cost centre"]  # the mapping screen's drop-downs


def test_an_empty_or_missing_folder_is_a_successful_login(sftp_server):
    config = connection_to(sftp_server)
    first = check(config)
    assert first.ok and "holds no CSV file yet" in first.message
    assert "Created the folder(s) import, import/user, import/user/internal" in first.message  # the layout's
    assert "Created" not in check(config).message
    sftp_server.write(f"{DIR}/readme.txt", "no CSV")
    result = check(config)
    assert result.ok and "holds no CSV file yet" in result.message and result.found == []


def test_a_refused_login_or_host_key_is_a_failure_saying_why_without_the_secret(sftp_server):
    config = connection_to(sftp_server, password="wrong-password-123")
    result = check(config)
    assert not result.ok and "Authentication of" in result.message and "was refused" in result.message
    assert "wrong-password-123" not in result.summary()

    config = connection_to(sftp_server, host_key_fingerprint="SHA256:" + "B" * 43)
    result = check(config)
    assert not result.ok and "host key" in result.message.lower()
