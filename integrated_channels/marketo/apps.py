from django.apps import AppConfig

GETTING_STARTED = """\
In Marketo Engage (Admin > Users & Roles) create an API-only user with a role allowing Read-Write \
Lead, Read-Write Custom Object and Read-Write Custom Object Type (for the schema), then a \
LaunchPoint custom service for it: its client id and secret go here. The instance URL is the REST \
endpoint of Admin > Web Services, without /rest.

Run Test connection: it lists the instance's lead fields, the choices of the lead mapping. Custom \
objects cp_learnerTranscript, cp_userSkill and cp_userReport are created and approved by the \
first export when the connection allows it; each export sends at most 300 records per call and \
stays under 100 calls per 20 seconds."""


class MarketoConfig(AppConfig):
    name = "integrated_channels.marketo"
    label = "marketo"
    verbose_name = "Marketo Engage connector"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from integrated_channels.integrated_channel.registry import Channel, Operation, registry
        from integrated_channels.marketo import operations as ops

        runners = "integrated_channels.marketo.operations"
        registry.register(
            Channel(
                code="MARKETO",
                name="Marketo Engage",
                app_label=self.label,
                configuration_model="marketo.MarketoConnection",
                operations=(
                    Operation(
                        ops.LEADS, "Export users as leads", f"{runners}.export_leads", "export", uses_start_date=True
                    ),
                    Operation(
                        ops.TRANSCRIPT_OBJECTS,
                        "Export learner transcripts (custom object)",
                        f"{runners}.export_transcripts",
                        "export",
                        uses_start_date=True,
                    ),
                    Operation(
                        ops.SKILL_OBJECTS,
                        "Export user skills (custom object)",
                        f"{runners}.export_skills",
                        "export",
                        uses_start_date=True,
                    ),
                    Operation(
                        ops.EVENTS,
                        "Export learning events (activities)",
                        f"{runners}.export_events",
                        "export",
                        uses_start_date=True,
                    ),
                    Operation(
                        ops.USER_OBJECTS,
                        "Export user report (custom object)",
                        f"{runners}.export_user_report",
                        "export",
                        uses_start_date=True,
                    ),
                ),
                connector=True,
                description=(
                    "Exports learners as Marketo leads (mapped fields, looked up by e-mail) and learner transcripts, "
                    "user skills and a user report as cp_ custom objects linked to the leads."
                ),
                getting_started=GETTING_STARTED,
                test_connection=f"{runners}.test_connection",
            )
        )
