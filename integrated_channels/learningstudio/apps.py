from django.apps import AppConfig


class LearningStudioConfig(AppConfig):
    name = "integrated_channels.learningstudio"
    label = "learningstudio"
    verbose_name = "Pearson LearningStudio"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from integrated_channels.integrated_channel.registry import Channel, registry

        registry.register(
            Channel(
                code="LEARNINGSTUDIO",
                name="Pearson LearningStudio",
                app_label=self.label,
                configuration_model="learningstudio.LearningStudioConfiguration",
                client="integrated_channels.learningstudio.client.LearningStudioClient",
                learner_exporter="integrated_channels.learningstudio.exporters.LearningStudioLearnerDataExporter",
            )
        )
