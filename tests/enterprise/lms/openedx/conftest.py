"""A fake Open edX per test and the settings that point the backends at it."""

import pytest

from enterprise.lms.openedx.auth import token_store
from enterprise.lms.openedx.client import OpenEdXClient
from tests.fakes.openedx import FakeOpenEdX

CLIENT_ID = "enterprise-worker-client"
CLIENT_SECRET = "worker-secret-do-not-log"


@pytest.fixture
def fake_openedx():
    with FakeOpenEdX() as fake:
        fake.add_client(CLIENT_ID, CLIENT_SECRET, "enterprise_worker", staff=True)
        fake.add_client("staff-client", "staff-secret", "staff", staff=True)
        fake.add_client("learner-client", "learner-secret", "plain_learner", staff=False)
        fake.add_client("mismatch-client", "mismatch-secret", "someone_else", staff=True)
        yield fake


@pytest.fixture
def openedx_conf(settings, fake_openedx):
    """The ENTERPRISE_OPENEDX dict pointing at the fake, with short timeouts and no backoff pauses."""
    token_store.clear()
    settings.ENTERPRISE_OPENEDX = {
        "LMS_URL": fake_openedx.lms_url,
        "DISCOVERY_API_URL": fake_openedx.discovery_api_url,
        "CLIENT_ID": CLIENT_ID,
        "CLIENT_SECRET": CLIENT_SECRET,
        "API_USERS": {
            "staff": {"CLIENT_ID": "staff-client", "CLIENT_SECRET": "staff-secret"},
            "plain_learner": {"CLIENT_ID": "learner-client", "CLIENT_SECRET": "learner-secret"},
            "mismatch": {"CLIENT_ID": "mismatch-client", "CLIENT_SECRET": "mismatch-secret"},
        },
        "CONNECT_TIMEOUT": 1.0,
        "READ_TIMEOUT": 0.3,
        "MAX_RETRIES": 2,
        "BACKOFF_SECONDS": 0.5,
        "MAX_RETRY_WAIT": 5,
        "PAGE_SIZE": 100,
    }
    yield settings.ENTERPRISE_OPENEDX
    token_store.clear()


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def client(openedx_conf, sleeps):
    """A client that records its backoff pauses instead of sleeping."""
    return OpenEdXClient(sleep=sleeps.append)
