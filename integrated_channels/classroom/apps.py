from django.apps import AppConfig

ZOOM_GETTING_STARTED = """\
Hosts the customer's virtual-classroom sessions on Zoom: a meeting is created (and kept up to date) for \
each session, registered learners are added as registrants, and after the session the participants \
report comes back as attendance, which decides completion by the session's rule.

Prepare, in the Zoom App Marketplace (Develop > Build App > Server-to-Server OAuth): the app's \
Account ID, Client ID and Client secret, with the scopes meeting:write:admin, meeting:read:admin, \
report:read:admin and recording:read:admin (the cloud recording's link and passcode), activated; \
the e-mail of the Zoom user who hosts the meetings. Test connection asks \
Zoom for a token with them."""


class ClassroomConfig(AppConfig):
    name = "integrated_channels.classroom"
    label = "classroom"
    verbose_name = "Virtual classrooms"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from integrated_channels.classroom import (  # noqa: F401  (signals: enrollment receiver)
            adobe_connect_operations,
            operations,
            signals,
            teams_operations,
        )
        from integrated_channels.integrated_channel.registry import Channel, Operation, registry

        registry.register(
            Channel(
                code="ZOOM",
                name="Zoom",
                app_label=self.label,
                configuration_model="classroom.ZoomConnection",
                operations=(
                    Operation(
                        operations.SYNC_MEETINGS,
                        "Create and update meetings",
                        "integrated_channels.classroom.operations.sync_meetings",
                        "export",
                    ),
                    Operation(
                        operations.SYNC_ATTENDANCE,
                        "Sync attendance",
                        "integrated_channels.classroom.operations.sync_attendance",
                        "import",
                        uses_start_date=True,
                    ),
                ),
                connector=True,
                description="Virtual-classroom sessions on Zoom: meetings, registrants, attendance as completions.",
                getting_started=ZOOM_GETTING_STARTED,
                test_connection="integrated_channels.classroom.operations.test_connection",
                extra="classroom",
                extra_modules=("icalendar",),
            )
        )
        adobe_connect_operations.register()
        registry.register(teams_operations.channel())
