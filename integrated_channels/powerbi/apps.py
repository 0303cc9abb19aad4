from django.apps import AppConfig

GETTING_STARTED = """\
Register an application in Microsoft Entra ID (App registrations), create a client secret, and note \
the tenant id and the application (client) id. In the Power BI admin portal, allow service \
principals to use Power BI APIs (for a security group holding the app). Add the app to the \
workspace as a Contributor and give its id here (empty: the app's own workspace).

The first export creates the push semantic model (one table per report) in the workspace; each \
report is then appended to on its own schedule. In Power BI, build reports on the semantic model \
(Get data > Power BI semantic models); docs/connectors/powerbi-tables.md lists its tables, columns \
and the measures to add."""


class PowerBIConfig(AppConfig):
    name = "integrated_channels.powerbi"
    label = "powerbi"
    verbose_name = "Power BI connector"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from integrated_channels.integrated_channel.registry import Channel, Operation, registry
        from integrated_channels.powerbi import reports, xapi_report

        runners = "integrated_channels.powerbi.operations"
        operations = (
            (reports.TRANSCRIPTS, "Export learner transcripts", "export_transcripts"),
            (reports.SKILLS, "Export user skills", "export_skills"),
            (reports.UNIFIED, "Export unified report", "export_unified"),
            (reports.TRAINING, "Export training report", "export_training"),
            (xapi_report.OPERATION, "Export xAPI activity", "export_xapi"),
        )
        registry.register(
            Channel(
                code="POWERBI",
                name="Power BI",
                app_label=self.label,
                configuration_model="powerbi.PowerBIConnection",
                operations=tuple(
                    Operation(code, name, f"{runners}.{runner}", "export", uses_start_date=True)
                    for code, name, runner in operations
                ),
                connector=True,
                description=(
                    "Pushes learner transcripts, user skills, a unified report (learners, transcripts, feedback), "
                    "a training report (enrollments, completions, ratings per course) and the xAPI activity of the "
                    "statement store (columns from configured JSON paths) to a Power BI push semantic model, "
                    "incrementally, within Power BI's push limits."
                ),
                getting_started=GETTING_STARTED,
                test_connection=f"{runners}.test_connection",
            )
        )
