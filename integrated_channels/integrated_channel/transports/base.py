"""What the framework asks of every channel client."""

from __future__ import annotations

import abc
import time
from collections.abc import Callable
from dataclasses import dataclass

from integrated_channels.integrated_channel.exceptions import OperationNotSupported, TransmissionError
from integrated_channels.integrated_channel.exporters.records import Record
from integrated_channels.integrated_channel.registry import CONTENT_METADATA, LEARNER_DATA, SUBSECTION_GRADES

#: The transmit operations (registry codes) and the client method that sends the records of each.
SENDERS = {
    LEARNER_DATA: "send_learner_data",
    CONTENT_METADATA: "send_content_metadata",
    SUBSECTION_GRADES: "send_subsection_grades",
}


def pause(seconds: float) -> None:
    """How clients wait (looked up at each wait, so tests can replace it)."""
    time.sleep(seconds)


@dataclass
class Outcome:
    """What happened to one record in one call."""

    record: Record
    error: TransmissionError | None = None
    status_code: int | None = None
    response_summary: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None


def failed(records: list[Record], error: TransmissionError) -> list[Outcome]:
    """The same failed outcome for every record of a call that failed as a whole."""
    return [
        Outcome(record, error=error, status_code=error.status_code, response_summary=error.response_summary)
        for record in records
    ]


def succeeded(records: list[Record], *, status_code: int | None, summary: str) -> list[Outcome]:
    """The same successful outcome for every record of a call the remote accepted as a whole."""
    return [Outcome(record, status_code=status_code, response_summary=summary) for record in records]


class ChannelClient(abc.ABC):  # noqa: B024 (no abstract send method: each is optional; subclasses declare theirs)
    """Sends records to one configuration's remote system, or talks to it for the connector's own operations.

    The transmit operations are optional: a client supports the ones whose method it defines
    (``send_learner_data``, ``send_content_metadata``, ``send_subsection_grades``), and
    ``supports(operation)`` says which; the base methods raise ``OperationNotSupported``. A
    connector that only imports, or hosts meetings (Zoom), defines none of them. ``manage.py
    check`` reports a channel whose exporter implies an operation its client does not support
    (decision 0396).

    The send methods return one ``Outcome`` per record: a record the remote system refused, or
    that could not be delivered after the retries, is a failed outcome. They raise a
    ``ChannelError`` only when nothing more can be sent with this configuration (credentials
    refused, token endpoint broken): the run then stops.
    """

    name = "channel"
    #: The ``Run`` being executed, set by the framework before sending (None outside a run).
    run = None

    def __init__(
        self, configuration, *, sleep: Callable[[float], None] | None = None, clock=time.monotonic, on_wait=None
    ):
        self.configuration = configuration
        self.sleep = sleep  # None: ``pause``
        self.clock = clock
        self.on_wait = on_wait  # called with the number of seconds before every wait (heartbeats)
        self.calls = 0
        self.waits: list[float] = []

    def learner_batch_size(self) -> int:
        """Records per call for learner data."""
        return 1

    def content_batch_size(self) -> int:
        return 1

    @classmethod
    def supports(cls, operation: str) -> bool:
        """Whether this client sends the records of transmit ``operation`` (a registry code): it defines its method."""
        method = SENDERS.get(operation)
        return method is not None and getattr(cls, method) is not getattr(ChannelClient, method)

    @classmethod
    def supported_operations(cls) -> frozenset[str]:
        return frozenset(operation for operation in SENDERS if cls.supports(operation))

    def send_learner_data(self, records: list[Record]) -> list[Outcome]:
        """Send up to ``learner_batch_size()`` learner records (clients of channels with a learner exporter)."""
        raise OperationNotSupported(f"{self.name} sends no learner data.")

    def send_content_metadata(self, records: list[Record]) -> list[Outcome]:
        """Send up to ``content_batch_size()`` content records (clients of channels with a content exporter)."""
        raise OperationNotSupported(f"{self.name} exports no content metadata.")

    def send_subsection_grades(self, records: list[Record]) -> list[Outcome]:
        """Send up to ``learner_batch_size()`` subsection-grade records (channels with a ``subsection_exporter``)."""
        raise OperationNotSupported(f"{self.name} reports no assessment grades.")

    def wait(self, seconds: float) -> None:
        if seconds <= 0:
            return
        if self.on_wait is not None:
            self.on_wait(seconds)
        self.waits.append(seconds)
        (self.sleep or pause)(seconds)

    def close(self) -> None:  # noqa: B027 (optional hook: most clients hold nothing to close)
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
