"""Settings of the processes the crash tests start and kill: the test settings, with the channel
settings given as JSON in RELIABILITY_INTEGRATED_CHANNELS (a short run-lock expiry, heartbeats)."""

import json
import os

from tests.settings import *  # noqa: F403

INTEGRATED_CHANNELS = json.loads(os.environ.get("RELIABILITY_INTEGRATED_CHANNELS", "{}"))
