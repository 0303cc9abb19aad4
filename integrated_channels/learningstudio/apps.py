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
                connector=True,
                description="Enrolls learners in Pearson LearningStudio courses (IMS Enterprise over SOAP).",
                getting_started=(
                    "Prepare in LearningStudio: the User Management service URL, a WS-Security user and password "
                    "(UsernameToken digest), the campus's role ids (student, dropped). Test connection loads the "
                    "service description and makes one authenticated call."
                ),
                test_connection="integrated_channels.learningstudio.connection_test.test_connection",
                extra="learningstudio",
                extra_modules=("zeep",),
            )
        )
