from django.apps import AppConfig


class SFTPConfig(AppConfig):
    name = "integrated_channels.sftp"
    label = "sftp"
    verbose_name = "SFTP connector"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from integrated_channels.integrated_channel.registry import Channel, registry
        from integrated_channels.sftp import schedules, signals  # noqa: F401

        # No client nor learner-data exporter: SFTP imports users and exports files, it does not
        # take part in the transmit runs (decision 0060).
        registry.register(
            Channel(
                code="SFTP",
                name="SFTP",
                app_label=self.label,
                configuration_model="sftp.SFTPConfiguration",
            )
        )
