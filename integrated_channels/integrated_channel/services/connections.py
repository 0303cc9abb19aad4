"""Test connection: authenticate against a connection's remote system and say what was found.

Each connector registers a ``test_connection`` function (dotted path in the registry) that takes
the connection (its own model) and returns a ``ConnectionTest``; the admin's button and the API
call ``test_connection`` here, which turns any error into a failed result naming its reason,
with the connection's secrets redacted from it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from enterprise import redaction
from integrated_channels.integrated_channel.exceptions import ChannelError

logger = logging.getLogger(__name__)
MAX_FOUND_SHOWN = 50


@dataclass
class ConnectionTest:
    """What a test found: ``ok``, a sentence saying what happened, and what the remote offers
    (``found``: e.g. the columns of the newest import file, or the LRS's versions)."""

    ok: bool
    message: str
    found: list[str] = field(default_factory=list)
    found_label: str = "found"

    def summary(self) -> str:
        text = self.message
        if self.found:
            shown = ", ".join(self.found[:MAX_FOUND_SHOWN])
            more = f" (and {len(self.found) - MAX_FOUND_SHOWN} more)" if len(self.found) > MAX_FOUND_SHOWN else ""
            text += f" {self.found_label.capitalize()}: {shown}{more}."
        return text

    def as_dict(self) -> dict:
        return {"ok": self.ok, "message": self.message, "found": list(self.found), "found_label": self.found_label}


def test_connection(configuration) -> ConnectionTest:
    """Test ``configuration`` with its connector's registered test; never raises for a remote's failure."""
    configuration = configuration.specific()
    channel = configuration.get_channel()
    test = channel.get_test_connection()
    if test is None:
        return ConnectionTest(ok=False, message=f"{channel.name} has no connection test.")
    try:
        result = test(configuration)
    except ChannelError as exc:
        result = ConnectionTest(ok=False, message=f"Failed: {exc.message}")
    except Exception as exc:  # a connector's bug must not break the admin page
        logger.exception("Test connection of %s failed unexpectedly", configuration)
        result = ConnectionTest(ok=False, message=f"Failed: unexpected error: {type(exc).__name__}: {exc}")
    redact = redaction.for_configuration(configuration)
    result.message = redact(result.message)
    result.found = [redact(item) for item in result.found]
    return result


test_connection.__test__ = False  # not a pytest test
