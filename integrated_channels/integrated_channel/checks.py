"""System checks: a channel registered with a part that cannot be loaded is reported by ``manage.py check``,
and so is an installed connector app whose optional library (its extra) is missing: an error when every
connection needs it, a warning when only the connections of some protocol do (SFTP drops need asyncssh; FTP,
FTPS and Box drops do not)."""

from django.core.checks import Error, Warning, register

from integrated_channels.integrated_channel import extras
from integrated_channels.integrated_channel.registry import registry


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
                channel.get_client_class()
            if channel.learner_exporter:
                channel.get_learner_exporter_class()
            channel.get_content_exporter_class()
        except (ImportError, LookupError, ValueError) as exc:
            errors.append(Error(f"Channel {channel.code}: {exc}", id="integrated_channels.E002"))
    return errors
