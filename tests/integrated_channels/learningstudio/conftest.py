"""Fixtures of the LearningStudio tests: a fake campus and a configuration pointing at it."""

from __future__ import annotations

import factory
import pytest

from integrated_channels.learningstudio.models import LearningStudioConfiguration
from tests.factories import CustomerFactory
from tests.fakes.learningstudio import FakeLearningStudio

SIS_PASSWORD = "sis-p4ssword-DO-NOT-LEAK"


class LearningStudioConfigurationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LearningStudioConfiguration

    customer = factory.SubFactory(CustomerFactory)
    active = True
    endpoint_url = "http://127.0.0.1:9/UserManagement/v1_6/UserManagementServices.asmx"
    sis_username = "sis-user"
    sis_password = SIS_PASSWORD
    client_string = "strata"


@pytest.fixture
def fake_ls():
    with FakeLearningStudio(username="sis-user", password=SIS_PASSWORD) as server:
        yield server


@pytest.fixture
def ls_config(fake_ls, db):
    return LearningStudioConfigurationFactory(endpoint_url=fake_ls.url)
