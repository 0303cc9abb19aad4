"""Typed errors of the import pipeline (rooted in the channels' ``ChannelError``)."""

from __future__ import annotations

from integrated_channels.integrated_channel.exceptions import ChannelError


class ImportRefused(ChannelError):
    """The source cannot be imported at all (a mapped column missing, not UTF-8, malformed, the mapping incomplete).

    Permanent: the run fails and nothing is imported; ``code`` is the run's error code.
    """

    code = "invalid_source"
    transient = False

    def __init__(self, message: str, *, code: str | None = None):
        super().__init__(message)
        if code:
            self.code = code
