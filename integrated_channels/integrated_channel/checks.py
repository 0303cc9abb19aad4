"""System checks: a channel registered with a part that cannot be loaded is reported by ``manage.py check``."""

from django.core.checks import Error, register

from integrated_channels.integrated_channel.registry import registry


@register()
def check_registered_channels(app_configs, **kwargs):
    from integrated_channels.integrated_channel.models import ChannelConfiguration

    errors = []
    for channel in registry.all():
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
