from django.apps import AppConfig

GETTING_STARTED = """\
Ask the customer's Workday administrator for an integration system user (ISU) with permission to get \
workers (the Worker Data domains of the attributes to import) through web services, the tenant name and \
the web services host (e.g. https://wd2-impl-services1.workday.com). The connector calls Human_Resources \
v40.1 with WS-Security (user name token, the ISU as user@tenant).

Map the learner attributes to Workday's (the seed's 67 attribute paths, plus the worker's WID and \
Employee_ID), choose the filters (active workers only, Exclude Contingent Workers, everyone under given \
managers), and run Test connection. A customer may have several Workday connections; a worker's UUID, \
e-mail and name must be unique across them."""


class WorkdayConfig(AppConfig):
    name = "integrated_channels.workday"
    label = "workday"
    verbose_name = "Workday connector"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from integrated_channels.integrated_channel.registry import Channel, Operation, registry

        runners = "integrated_channels.workday.operations"
        registry.register(
            Channel(
                code="WORKDAY",
                name="Workday",
                app_label=self.label,
                configuration_model="workday.WorkdayConfiguration",
                operations=(
                    Operation("user_import", "Import workers", f"{runners}.import_workers", "import"),
                    Operation(
                        "skills_export",
                        "Export user skills",
                        f"{runners}.export_skills",
                        "export",
                        uses_start_date=True,
                        schedule_covers_interval=True,
                    ),
                ),
                connector=True,
                description=(
                    "Imports workers from a Workday tenant (Human_Resources Get_Workers over SOAP): mapped "
                    "attributes, management chain, active and contingent worker filters; exports the learners' "
                    "skills to their workers (Talent Manage_Skills)."
                ),
                getting_started=GETTING_STARTED,
                test_connection=f"{runners}.test_connection",
                extra="workday",
                extra_modules=("zeep", "lxml"),
            )
        )
