from django.apps import AppConfig


class TestChannelConfig(AppConfig):
    name = "integrated_channels.testing"
    label = "channel_testing"
    verbose_name = "Test channel"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from integrated_channels.integrated_channel.registry import Channel, registry

        registry.register(
            Channel(
                code="TEST",
                name="Test channel",
                app_label=self.label,
                configuration_model="channel_testing.TestChannelConfiguration",
                client="integrated_channels.testing.client.TestChannelClient",
                learner_exporter="integrated_channels.testing.exporters.TestLearnerDataExporter",
                content_exporter="integrated_channels.testing.exporters.TestContentMetadataExporter",
            )
        )
