import factory
import pytest

from integrated_channels.moodle.models import MoodleConfiguration
from tests.factories import CustomerFactory
from tests.fakes.moodle import FakeMoodle


class MoodleConfigurationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MoodleConfiguration

    customer = factory.SubFactory(CustomerFactory)
    active = True
    base_url = "http://127.0.0.1:9"
    service_short_name = "edx"
    username = "ws-user"
    password = "ws-pass-SECRET"
    calls_per_minute = 0


@pytest.fixture
def fake_moodle():
    with FakeMoodle() as server:
        server.setup(password="ws-pass-SECRET")
        yield server


@pytest.fixture
def moodle_config(fake_moodle, db):
    return MoodleConfigurationFactory(base_url=fake_moodle.base_url, customer__enable_data_sharing_consent=True)
