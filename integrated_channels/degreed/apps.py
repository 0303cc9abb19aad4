from django.apps import AppConfig


class DegreedConfig(AppConfig):
    name = "integrated_channels.degreed"
    label = "degreed"
    verbose_name = "Degreed"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from integrated_channels.integrated_channel.registry import Channel, registry

        registry.register(
            Channel(
                code="DEGREED2",
                name="Degreed",
                app_label=self.label,
                configuration_model="degreed.DegreedConfiguration",
                client="integrated_channels.degreed.client.DegreedClient",
                learner_exporter="integrated_channels.degreed.exporters.DegreedLearnerDataExporter",
                content_exporter="integrated_channels.degreed.exporters.DegreedContentMetadataExporter",
                connector=True,
                description=(
                    "Sends completions and the course catalogue (with its skills) to a Degreed organisation "
                    "through the Degreed v2 API."
                ),
                getting_started=(
                    "Prepare in Degreed: an API client (client id and secret) with the scopes content:read, "
                    "content:write and completions:write, and the API host of the organisation's region. "
                    "Test connection asks Degreed for a token and reads the content catalog.\n\n"
                    "Learners are matched by e-mail address: their address here must be their Degreed login's."
                ),
                test_connection="integrated_channels.degreed.connection_test.test_connection",
            )
        )
