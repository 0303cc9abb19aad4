import factory
import pytest

from integrated_channels.blackboard.models import BlackboardConfiguration
from tests.factories import CustomerFactory
from tests.fakes.blackboard import FakeBlackboard
from tests.integrated_channels.factories import SECRET


class BlackboardConfigurationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BlackboardConfiguration

    customer = factory.SubFactory(CustomerFactory)
    active = True
    base_url = "http://127.0.0.1:9"
    client_id = "bb-app-key"
    client_secret = SECRET
    calls_per_minute = 0


@pytest.fixture
def fake_blackboard():
    with FakeBlackboard() as server:
        server.setup("bb-app-key", SECRET)
        yield server


@pytest.fixture
def blackboard_config(fake_blackboard, db):
    return BlackboardConfigurationFactory(
        base_url=fake_blackboard.base_url,
        refresh_token=fake_blackboard.issue_refresh_token(),
        customer__enable_data_sharing_consent=True,
    )
