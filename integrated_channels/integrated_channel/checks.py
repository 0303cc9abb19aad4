"""System checks: a channel registered with a part that cannot be loaded is reported by ``manage.py check``,
and so is an installed connector app whose optional library (its extra) is missing: an error when every
connection needs it, a warning when only the connections of some protocol do (SFTP drops need asyncssh; FTP,
FTPS and Box drops do not); and so is a channel whose client does not support an operation its exporters
imply (E004)."""

from django.core.checks import Error, Warning, register

from integrated_channels.integrated_channel import extras
from integrated_channels.integrated_channel.registry import CONTENT_METADATA, LEARNER_DATA, SUBSECTION_GRADES, registry


def transmit_operations(channel) -> list[str]:
    """The transmit operations the channel's exporters imply (each needs the client's send method)."""
    implied = {
        LEARNER_DATA: channel.learner_exporter,
        CONTENT_METADATA: channel.content_exporter,
        SUBSECTION_GRADES: channel.subsection_exporter,
    }
    return [operation for operation, exporter in implied.items() if exporter]


@register()
def check_extras(app_configs, **kwargs):
    return [
        Warning(str(missing), id="integrated_channels.W003")
        if missing.protocols
        else Error(str(missing), id="integrated_channels.E003")
        for missing in extras.missing_extras()
    ]


@register()
def check_registered_channels(app_configs, **kwargs):
    from integrated_channels.integrated_channel.models import ChannelConfiguration
    from integrated_channels.integrated_channel.transports.base import SENDERS

    errors = []
    without_extra = extras.channels_missing_extras(extras.missing_extras())  # told by check_extras
    for channel in registry.all():
        if channel.code in without_extra:
            continue
        try:
            model = channel.get_configuration_model()
            if not issubclass(model, ChannelConfiguration) or channel.code != model.CHANNEL_CODE:
                errors.append(
                    Error(
                        f"Channel {channel.code}: {channel.configuration_model} must subclass ChannelConfiguration "
                        f"with CHANNEL_CODE = {channel.code!r}.",
                        id="integrated_channels.E001",
                    )
                )
            if channel.client:  # connectors without a transmit path (e.g. SFTP) declare none
                client = channel.get_client_class()
                errors += [
                    Error(
                        f"Channel {channel.code}: its exporters imply the {operation!r} operation but its client "
                        f"{channel.client} does not support it (define {client.__name__}.{SENDERS[operation]}).",
                        id="integrated_channels.E004",
                    )
                    for operation in transmit_operations(channel)
                    if not client.supports(operation)
                ]
            if channel.learner_exporter:
                channel.get_learner_exporter_class()
            channel.get_content_exporter_class()
        except (ImportError, LookupError, ValueError) as exc:
            errors.append(Error(f"Channel {channel.code}: {exc}", id="integrated_channels.E002"))
    return errors
