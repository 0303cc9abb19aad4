from django.apps import AppConfig


class MoodleConfig(AppConfig):
    name = "integrated_channels.moodle"
    label = "moodle"
    verbose_name = "Moodle"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from integrated_channels.integrated_channel.registry import Channel, registry

        registry.register(
            Channel(
                code="MOODLE",
                name="Moodle",
                app_label=self.label,
                configuration_model="moodle.MoodleConfiguration",
                client="integrated_channels.moodle.client.MoodleClient",
                learner_exporter="integrated_channels.moodle.exporters.MoodleLearnerDataExporter",
                content_exporter="integrated_channels.moodle.exporters.MoodleContentMetadataExporter",
                connector=True,
                description=(
                    "Creates the courses in a category of a Moodle site and writes the learners' grades to each "
                    "course's final-grade assignment, through Moodle's web services."
                ),
                getting_started=(
                    "Prepare in Moodle: enable web services and the REST protocol, an external service with the "
                    "functions core_course_create_courses, core_course_update_courses, "
                    "core_course_get_courses_by_field, core_course_get_contents, core_user_get_users_by_field, "
                    "core_grades_update_grades and core_webservice_get_site_info, a web service user allowed to use "
                    "it (a token, or its login), and the category the courses go in.\n\n"
                    'In each course, an assignment named "(edX integration) Final Grade" (or the name set here) '
                    "receives the grades. Learners are matched by e-mail address."
                ),
                test_connection="integrated_channels.moodle.connection_test.test_connection",
            )
        )
