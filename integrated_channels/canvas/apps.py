from django.apps import AppConfig


class CanvasConfig(AppConfig):
    name = "integrated_channels.canvas"
    label = "canvas"
    verbose_name = "Canvas"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from integrated_channels.integrated_channel.registry import Channel, registry

        registry.register(
            Channel(
                code="CANVAS",
                name="Canvas",
                app_label=self.label,
                configuration_model="canvas.CanvasConfiguration",
                client="integrated_channels.canvas.client.CanvasClient",
                learner_exporter="integrated_channels.canvas.exporters.CanvasLearnerDataExporter",
                content_exporter="integrated_channels.canvas.exporters.CanvasContentMetadataExporter",
                subsection_exporter="integrated_channels.canvas.exporters.CanvasSubsectionGradeExporter",
                connector=True,
                description=(
                    "Creates the courses in a Canvas account (with a link to each course) and posts the learners' "
                    "grades to a final-grade assignment of each course, and (assessment grades) a grade per graded "
                    "subsection to an assignment of that subsection."
                ),
                getting_started=(
                    "Prepare in Canvas: an API developer key (client id and secret) whose redirect URI is this "
                    "platform's callback, shown on the connection's page, and the id of the account the courses go "
                    "in. Save the connection, then press Authorize in Canvas: a Canvas administrator of the account "
                    "signs in and grants access; the refresh token is kept encrypted.\n\n"
                    "Learners are matched by e-mail address (their Canvas login) and must be enrolled in the Canvas "
                    "course to receive a grade."
                ),
                test_connection="integrated_channels.canvas.connection_test.test_connection",
            )
        )
