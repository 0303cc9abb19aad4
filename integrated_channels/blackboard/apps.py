from django.apps import AppConfig


class BlackboardConfig(AppConfig):
    name = "integrated_channels.blackboard"
    label = "blackboard"
    verbose_name = "Blackboard Learn"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from integrated_channels.integrated_channel.registry import Channel, registry

        registry.register(
            Channel(
                code="BLACKBOARD",
                name="Blackboard",
                app_label=self.label,
                configuration_model="blackboard.BlackboardConfiguration",
                client="integrated_channels.blackboard.client.BlackboardClient",
                learner_exporter="integrated_channels.blackboard.exporters.BlackboardLearnerDataExporter",
                content_exporter="integrated_channels.blackboard.exporters.BlackboardContentMetadataExporter",
                subsection_exporter="integrated_channels.blackboard.exporters.BlackboardSubsectionGradeExporter",
                connector=True,
                description=(
                    "Creates the courses on a Blackboard Learn server (with a link to each course) and writes the "
                    "learners' grades to a final-grade column of each course's gradebook, and (assessment grades) "
                    "a score per graded subsection to a column of that subsection."
                ),
                getting_started=(
                    "Prepare: a REST application registered on developer.blackboard.com (application key and "
                    "secret) whose redirect URI is this platform's callback, shown on the connection's page, and "
                    "the application enabled on the Learn server (REST API Integrations) with a user allowed to "
                    "create courses and grade. Save the connection, then press Authorize in Blackboard: a Learn "
                    "administrator signs in and grants access; the refresh token is kept encrypted.\n\n"
                    "Learners are matched by e-mail address among the members of the Learn course."
                ),
                test_connection="integrated_channels.blackboard.connection_test.test_connection",
            )
        )
