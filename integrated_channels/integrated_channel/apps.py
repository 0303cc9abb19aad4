from django.apps import AppConfig


class IntegratedChannelConfig(AppConfig):
    name = "integrated_channels.integrated_channel"
    label = "integrated_channel"
    verbose_name = "Integrated channels"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.models.signals import post_delete

        # checks, schedule signals, pending learners' imported attributes applied when they link
        from integrated_channels.integrated_channel import checks, schedules, signals  # noqa: F401
        from integrated_channels.integrated_channel.models import ChannelConfiguration

        # Sent for the parent row of every channel's configuration (multi-table inheritance).
        post_delete.connect(
            _forget_tokens, sender=ChannelConfiguration, dispatch_uid="integrated_channel_forget_tokens"
        )


def _forget_tokens(sender, instance, **kwargs):
    """A deleted configuration's access tokens go with it."""
    from integrated_channels.integrated_channel.transports.oauth2 import forget_tokens

    forget_tokens(instance)
