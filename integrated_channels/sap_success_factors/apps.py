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
                connector=True,
                description=(
                    "Sends completions (learning events) and the course catalogue to SAP SuccessFactors Learning."
                ),
                getting_started=(
                    "Prepare in SuccessFactors: an OAuth client (client id and secret) for the Learning public API, "
                    "the company id, the SAP user the API acts as, and the provider id courses are published under. "
                    "Test connection asks SuccessFactors for a token with them.\n\n"
                    "Learners are matched by the SAML remote id of the customer's identity provider."
                ),
                test_connection="integrated_channels.sap_success_factors.connection_test.test_connection",
            )
        )
