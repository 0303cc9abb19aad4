from django.apps import AppConfig


class CornerstoneConfig(AppConfig):
    name = "integrated_channels.cornerstone"
    label = "cornerstone"
    verbose_name = "Cornerstone"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from integrated_channels.integrated_channel.registry import Channel, registry

        registry.register(
            Channel(
                code="CSOD",
                name="Cornerstone",
                app_label=self.label,
                configuration_model="cornerstone.CornerstoneConfiguration",
                client="integrated_channels.cornerstone.client.CornerstoneClient",
                learner_exporter="integrated_channels.cornerstone.exporters.CornerstoneLearnerDataExporter",
                content_exporter="integrated_channels.cornerstone.exporters.CornerstoneContentMetadataExporter",
                connector=True,
                description=(
                    "Offers the courses to a Cornerstone portal, which polls this platform's course list, and "
                    "reports completions to the callback Cornerstone gives with each learner's launch."
                ),
                getting_started=(
                    "Give Cornerstone the course list URL (/cornerstone/course-list?ciid=<customer uuid>) with the "
                    "connection's course list user and password, and get from Cornerstone the provider key and "
                    "secret for completions and the portal URL. Schedule Content metadata: each run publishes the "
                    "changed courses in the list.\n\n"
                    "Learners launch courses from Cornerstone; the launch records their Cornerstone GUID, callback "
                    "and session token, which their completion is reported with."
                ),
                test_connection="integrated_channels.cornerstone.connection_test.test_connection",
            )
        )
