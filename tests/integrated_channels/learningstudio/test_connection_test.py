"""Test connection of LearningStudio against the fake campus: WSDL loaded, one authenticated call."""

import pytest

from integrated_channels.integrated_channel.services.connections import test_connection as check
from tests.integrated_channels.learningstudio.conftest import SIS_PASSWORD

pytestmark = pytest.mark.django_db


def test_the_service_authenticates_and_changes_nothing(ls_config, fake_ls):
    result = check(ls_config)
    assert result.ok, result.message
    assert "authenticated sis-user" in result.message
    assert set(result.found) == {"ProcessRequest", "ProcessSingleRequest"}
    assert fake_ls.operations() == ["ProcessRequest"] and fake_ls.memberships() == []


def test_a_wrong_password_is_a_failure_without_the_password(ls_config, fake_ls):
    ls_config.sis_password = "wrong-" + SIS_PASSWORD
    ls_config.save()
    result = check(ls_config)
    assert not result.ok and "could not be authenticated" in result.message
    assert SIS_PASSWORD not in result.summary()
