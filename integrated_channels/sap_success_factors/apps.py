from django.apps import AppConfig


class SAPSuccessFactorsConfig(AppConfig):
    name = "integrated_channels.sap_success_factors"
    label = "sap_success_factors"
    verbose_name = "SAP SuccessFactors"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from integrated_channels.integrated_channel.registry import Channel, registry

        registry.register(
            Channel(
                code="SAP",
                name="SAP SuccessFactors",
                app_label=self.label,
                configuration_model="sap_success_factors.SAPSuccessFactorsConfiguration",
                client="integrated_channels.sap_success_factors.client.SAPSuccessFactorsClient",
                learner_exporter="integrated_channels.sap_success_factors.exporters.SAPLearnerDataExporter",
                content_exporter="integrated_channels.sap_success_factors.exporters.SAPContentMetadataExporter",
            )
        )
