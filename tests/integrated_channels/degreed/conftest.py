import factory
import pytest

from integrated_channels.degreed.models import DegreedConfiguration
from tests.factories import CustomerFactory
from tests.fakes.degreed import FakeDegreed
from tests.integrated_channels.factories import SECRET


class DegreedConfigurationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DegreedConfiguration

    customer = factory.SubFactory(CustomerFactory)
    active = True
    base_url = "http://127.0.0.1:9"
    client_id = factory.Sequence(lambda n: f"degreed-client-{n}")
    client_secret = SECRET
    calls_per_minute = 0


@pytest.fixture
def fake_degreed():
    with FakeDegreed() as server:
        yield server


@pytest.fixture
def degreed_config(fake_degreed, db):
    config = DegreedConfigurationFactory(
        base_url=fake_degreed.base_url, client_id="acme", customer__enable_data_sharing_consent=True
    )
    fake_degreed.setup("acme", SECRET)
    return config
