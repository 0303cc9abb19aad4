"""The one registry of channels.

Each channel package registers its ``Channel`` description in its ``AppConfig.ready()``;
everything that lists channels (the ``--channel`` choices, the admin, tasks, the API) asks this
registry, so adding a channel touches no file outside its package (plus ``INSTALLED_APPS``).

A description names the channel's parts by dotted path, resolved on first use: its configuration
model (a subclass of ``ChannelConfiguration``), its learner-data exporter, its content-metadata
exporter (optional: not every channel exports courses) and its client (the transport subclass
that maps records to the remote API).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.module_loading import import_string


class ChannelNotRegistered(LookupError):
    pass


@dataclass(frozen=True)
class Channel:
    """What the framework needs to know of a channel."""

    code: str  # e.g. "SAP"; upper-case, unique
    name: str  # human name, e.g. "SAP SuccessFactors"
    app_label: str
    configuration_model: str = ""  # "app_label.ModelName"
    client: str = ""  # dotted path of the client class (a Transport)
    learner_exporter: str = ""  # dotted path of the LearnerDataExporter subclass
    content_exporter: str = ""  # dotted path of the ContentMetadataExporter subclass; "" when not supported

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

    @property
    def exports_content(self) -> bool:
        return bool(self.content_exporter)

    @property
    def exports_learner_data(self) -> bool:
        """False for connectors (e.g. SFTP) that declare no learner-data exporter: transmit runs skip them."""
        return bool(self.learner_exporter)


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

    def as_choices(self) -> list[tuple[str, str]]:
        return [(channel.code, channel.name) for channel in self.all()]

    def codes(self) -> list[str]:
        return sorted(self._channels)

    def unregister(self, code: str) -> None:
        self._channels.pop(code.upper(), None)


registry = ChannelRegistry()
