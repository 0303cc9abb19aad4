"""The one registry of channels and connectors.

Each channel package registers its ``Channel`` description in its ``AppConfig.ready()``;
everything that lists channels (the ``--channel`` choices, the admin, the Connectors page, tasks,
the API) asks this registry, so adding a channel or a connector touches no file outside its
package (plus ``INSTALLED_APPS``). A connector IS a channel (decision 0170): the same
description, with ``connector=True`` to be shown on the customer's Connectors page.

A description names the channel's parts by dotted path, resolved on first use: its configuration
model (a subclass of ``ChannelConfiguration``: one row per *connection*), its learner-data
exporter, its content-metadata exporter (optional) and its client (the transport subclass that
maps records to the remote API); the operations it offers (``Operation``: import users, export
transcripts, …, each with the function that runs it) and the function that tests a connection.

The run kinds are the operation codes: a ``Run.kind`` is the code of the operation it ran, its
label comes from here (``kind_label``). Channels with a learner-data or content exporter get the
``learner_data`` / ``content_metadata`` operations without declaring them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from django.utils.module_loading import import_string

LEARNER_DATA = "learner_data"
CONTENT_METADATA = "content_metadata"
SUBSECTION_GRADES = "subsection_grades"  # assessment-level data: a grade per graded subsection


class ChannelNotRegistered(LookupError):
    pass


class OperationNotDeclared(LookupError):
    pass


@dataclass(frozen=True)
class Operation:
    """One thing a connection can do, run on demand or on its own schedule.

    ``runner``: dotted path of ``runner(configuration, *, trigger, start_date=None, api_user=None,
    run=None) -> Run``; ``run`` is a run already started for it (a queued one). ``start_date`` (an
    aware datetime) is the on-demand "from" date: exports cover it until now; a scheduled run gets
    the start of the previous interval. ``direction``: "import" or "export".
    """

    code: str  # lower-case, unique within the channel; the Run.kind of its runs
    name: str  # e.g. "Import users"
    runner: str
    direction: Literal["import", "export"]
    schedulable: bool = True
    uses_start_date: bool = False  # the on-demand form asks for a start date
    schedule_covers_interval: bool = False  # a scheduled run starts from the previous interval (exports of a period)

    def get_runner(self):
        return import_string(self.runner)


_TRANSMIT_OPERATIONS = {
    LEARNER_DATA: Operation(
        code=LEARNER_DATA,
        name="Learner data",
        runner="integrated_channels.integrated_channel.services.operations.send_learner_data",
        direction="export",
        uses_start_date=True,
    ),
    CONTENT_METADATA: Operation(
        code=CONTENT_METADATA,
        name="Content metadata",
        runner="integrated_channels.integrated_channel.services.operations.send_content_metadata",
        direction="export",
    ),
    SUBSECTION_GRADES: Operation(
        code=SUBSECTION_GRADES,
        name="Assessment grades",
        runner="integrated_channels.integrated_channel.services.operations.send_subsection_grades",
        direction="export",
    ),
}


@dataclass(frozen=True)
class Channel:
    """What the framework needs to know of a channel (or connector)."""

    code: str  # e.g. "SAP"; upper-case, unique
    name: str  # human name, e.g. "SAP SuccessFactors"
    app_label: str
    configuration_model: str = ""  # "app_label.ModelName"
    client: str = ""  # dotted path of the client class (a Transport)
    learner_exporter: str = ""  # dotted path of the LearnerDataExporter subclass
    content_exporter: str = ""  # dotted path of the ContentMetadataExporter subclass; "" when not supported
    # dotted path of the SubsectionGradeExporter subclass (assessment-level data); "" when not reported
    subsection_exporter: str = ""
    operations: tuple[Operation, ...] = ()  # besides learner_data / content_metadata, implied by the exporters
    connector: bool = False  # shown on the customer's Connectors page
    description: str = ""  # one or two sentences: what it does
    getting_started: str = ""  # what the remote side must prepare (plain text, paragraphs split by blank lines)
    test_connection: str = ""  # dotted path of ``test(configuration) -> ConnectionTest``; "" when none
    # The package extra bringing its third-party libraries (``pip install 'enterprise-learners[sftp]'``) and
    # the modules it brings (imported lazily; ``manage.py check`` names the extra when one is missing).
    extra: str = ""
    extra_modules: tuple[str, ...] = ()
    # Modules of the extra that only some connections need, by protocol (e.g. asyncssh for SFTP drops: FTP,
    # FTPS and Box connections work without it). Missing, they are a warning, not an error, and a connection
    # of that protocol is refused on save naming the extra.
    protocol_modules: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def modules_for_protocol(self, protocol: str) -> tuple[str, ...]:
        return dict(self.protocol_modules).get(protocol, ())

    def __post_init__(self):
        codes = [operation.code for operation in self.all_operations()]
        duplicates = sorted({code for code in codes if codes.count(code) > 1})
        if duplicates:
            raise ValueError(f"Channel {self.code!r} declares operation codes twice: {', '.join(duplicates)}.")

    def get_configuration_model(self):
        from django.apps import apps

        if not self.configuration_model:
            raise ChannelNotRegistered(f"Channel {self.code!r} declares no configuration model.")
        return apps.get_model(self.configuration_model)

    def get_client_class(self):
        return import_string(self.client)

    def get_learner_exporter_class(self):
        return import_string(self.learner_exporter)

    def get_content_exporter_class(self):
        return import_string(self.content_exporter) if self.content_exporter else None

    def get_subsection_exporter_class(self):
        return import_string(self.subsection_exporter) if self.subsection_exporter else None

    def get_test_connection(self):
        return import_string(self.test_connection) if self.test_connection else None

    @property
    def exports_content(self) -> bool:
        return bool(self.content_exporter)

    @property
    def exports_learner_data(self) -> bool:
        """False for connectors (e.g. SFTP) that declare no learner-data exporter: transmit runs skip them."""
        return bool(self.learner_exporter)

    @property
    def exports_subsection_grades(self) -> bool:
        """Whether the channel reports a grade per graded subsection (``transmit_subsection_learner_data``)."""
        return bool(self.subsection_exporter)

    def all_operations(self) -> tuple[Operation, ...]:
        """The operations this channel offers: the transmits its exporters imply, then the declared ones."""
        implied = []
        if self.learner_exporter:
            implied.append(_TRANSMIT_OPERATIONS[LEARNER_DATA])
        if self.content_exporter:
            implied.append(_TRANSMIT_OPERATIONS[CONTENT_METADATA])
        if self.subsection_exporter:
            implied.append(_TRANSMIT_OPERATIONS[SUBSECTION_GRADES])
        return (*implied, *self.operations)

    def get_operation(self, code: str) -> Operation:
        for operation in self.all_operations():
            if operation.code == code:
                return operation
        known = ", ".join(operation.code for operation in self.all_operations()) or "none"
        raise OperationNotDeclared(f"{self.name} has no operation {code!r}. Its operations: {known}.")


class ChannelRegistry:
    def __init__(self):
        self._channels: dict[str, Channel] = {}

    def register(self, channel: Channel) -> Channel:
        code = channel.code.upper()
        if code != channel.code:
            raise ValueError(f"Channel codes are upper-case: {channel.code!r}")
        existing = self._channels.get(code)
        if existing is not None and existing != channel:
            raise ValueError(f"Channel code {code!r} is already registered by {existing.app_label!r}")
        self._channels[code] = channel
        return channel

    def get(self, code: str) -> Channel:
        try:
            return self._channels[code.upper()]
        except KeyError:
            known = ", ".join(sorted(self._channels)) or "none"
            raise ChannelNotRegistered(f"Unknown channel {code!r}. Registered channels: {known}.") from None

    def all(self) -> list[Channel]:
        return [self._channels[code] for code in sorted(self._channels)]

    def connectors(self) -> list[Channel]:
        """The channels shown on the Connectors page, by name."""
        return sorted(
            (channel for channel in self._channels.values() if channel.connector), key=lambda c: c.name.casefold()
        )  # getAbstract among the Gs

    def as_choices(self) -> list[tuple[str, str]]:
        return [(channel.code, channel.name) for channel in self.all()]

    def codes(self) -> list[str]:
        return sorted(self._channels)

    def unregister(self, code: str) -> None:
        self._channels.pop(code.upper(), None)

    # Run kinds = operation codes

    def kind_choices(self) -> list[tuple[str, str]]:
        """Every operation code of every channel with its name (a code shared by channels appears once)."""
        seen: dict[str, str] = {}
        for channel in self.all():
            for operation in channel.all_operations():
                seen.setdefault(operation.code, operation.name)
        return sorted(seen.items())

    def kind_label(self, kind: str, channel_code: str = "") -> str:
        """The name of operation ``kind`` (of ``channel_code`` when given); the code itself when unknown."""
        if channel_code:
            try:
                return self.get(channel_code).get_operation(kind).name
            except LookupError:
                pass
        return dict(self.kind_choices()).get(kind, kind)


registry = ChannelRegistry()
