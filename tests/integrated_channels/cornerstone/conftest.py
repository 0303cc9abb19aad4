import factory
import pytest

from integrated_channels.cornerstone.models import CornerstoneConfiguration
from tests.factories import CustomerFactory
from tests.fakes.cornerstone import FakeCornerstone
from tests.integrated_channels.factories import SECRET

CATALOG_PASSWORD = "catalog-pass-SECRET"


class CornerstoneConfigurationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CornerstoneConfiguration

    customer = factory.SubFactory(CustomerFactory)
    active = True
    base_url = "http://127.0.0.1:9"
    client_key = "edx-provider"
    client_secret = SECRET
    catalog_password = CATALOG_PASSWORD


@pytest.fixture
def fake_csod():
    with FakeCornerstone() as server:
        server.setup("edx-provider", SECRET)
        yield server


@pytest.fixture
def csod_config(fake_csod, db):
    return CornerstoneConfigurationFactory(base_url=fake_csod.base_url, customer__enable_data_sharing_consent=True)
