import factory
import pytest

from integrated_channels.canvas.models import CanvasConfiguration
from tests.factories import CustomerFactory
from tests.fakes.canvas import FakeCanvas
from tests.integrated_channels.factories import SECRET

ACCOUNT = 7


class CanvasConfigurationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CanvasConfiguration

    customer = factory.SubFactory(CustomerFactory)
    active = True
    base_url = "http://127.0.0.1:9"
    account_id = ACCOUNT
    client_id = "10000000000001"
    client_secret = SECRET
    calls_per_minute = 0


@pytest.fixture
def fake_canvas():
    with FakeCanvas() as server:
        server.setup(ACCOUNT, "10000000000001", SECRET)
        yield server


@pytest.fixture
def canvas_config(fake_canvas, db):
    """An authorized connection (its refresh token issued by the fake)."""
    return CanvasConfigurationFactory(
        base_url=fake_canvas.base_url,
        refresh_token=fake_canvas.issue_refresh_token(),
        customer__enable_data_sharing_consent=True,
    )
