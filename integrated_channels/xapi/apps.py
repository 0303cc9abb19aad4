from django.apps import AppConfig


class XAPIConfig(AppConfig):
    name = "integrated_channels.xapi"
    label = "xapi"
    verbose_name = "xAPI"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from integrated_channels.integrated_channel.registry import Channel, registry
        from integrated_channels.xapi import schedules  # noqa: F401

        registry.register(
            Channel(
                code="XAPI",
                name="xAPI LRS",
                app_label=self.label,
                configuration_model="xapi.XAPIConfiguration",
                client="integrated_channels.xapi.client.XAPIClient",
                learner_exporter="integrated_channels.xapi.exporters.XAPILearnerDataExporter",
            )
        )
        # The statement import takes no part in transmit runs: its own runs only (like SFTP, decision 0060).
        registry.register(
            Channel(
                code="XAPI_IMPORT",
                name="xAPI statement import",
                app_label=self.label,
                configuration_model="xapi.XAPIImportConfiguration",
            )
        )
