"""Test connection of the xAPI connectors: the LRS (ralph) and the statement import (fake SFTP server)."""

import pytest

from integrated_channels.integrated_channel.services.connections import test_connection as check
from tests.integrated_channels.xapi.factories import XAPIConfigurationFactory, import_from, lrs_config

pytestmark = pytest.mark.django_db


def test_the_lrs_accepts_the_key_and_lists_its_versions(lrs):
    result = check(lrs_config(lrs))
    assert result.ok, result.message
    assert "accepted the key and secret" in result.message


def test_a_wrong_secret_is_refused_by_the_lrs(lrs):
    result = check(lrs_config(lrs, secret="not-the-secret"))
    assert not result.ok and "HTTP 401" in result.message
    assert "not-the-secret" not in result.summary()


def test_an_unreachable_lrs_is_a_failure_naming_it(db):
    result = check(XAPIConfigurationFactory(endpoint="http://127.0.0.1:9/xAPI/statements"))
    assert not result.ok and "could not be reached" in result.message


def test_the_import_reads_the_header_of_its_file(sftp_server):
    config = import_from(sftp_server)
    assert check(config).ok and "there is no file import/xapi.csv yet" in check(config).message
    sftp_server.write("import/xapi.csv", "Learner,Verb,Activity\nx@example.com,v,a\n")
    result = check(config)
    assert result.ok and result.found == ["Learner", "Verb", "Activity"]


def test_the_import_with_a_wrong_password_fails(sftp_server):
    result = check(import_from(sftp_server, password="nope-nope"))
    assert not result.ok and "was refused" in result.message
