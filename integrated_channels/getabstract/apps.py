from django.apps import AppConfig

GETTING_STARTED = """\
getAbstract drops its user feeds on the customer's SFTP server: report_export_yyyy_MM_dd_HHmmss.xlsx or \
report_export_yyyy_MM_dd.xlsx, one row per summary a learner consumed (sheet named as set here, columns \
Email, Summary ID, Consumed At; optional Title, Time Spent (minutes)). Every consumed summary becomes a \
completed course of the customer's catalogs.

Ask getAbstract for an API client id and secret: the connector asks the API for the metadata (title, \
abstract, language, reading time, link, tags) of the summaries the feeds name. Give here the API \
credentials, the SFTP server, login and host-key fingerprint, the catalogs and custom tags. The feeds \
are left on the server; a feed whose dates are not in the range of the run is not read."""


class GetAbstractConfig(AppConfig):
    name = "integrated_channels.getabstract"
    label = "getabstract"
    verbose_name = "getAbstract connector"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from integrated_channels.getabstract import operations
        from integrated_channels.integrated_channel.registry import Channel, Operation, registry

        runners = "integrated_channels.getabstract.operations"
        registry.register(
            Channel(
                code="GETABSTRACT",
                name="getAbstract",
                app_label=self.label,
                configuration_model="getabstract.GetAbstractConnection",
                operations=(
                    Operation(
                        operations.USAGE_IMPORT,
                        "Import usage",
                        f"{runners}.import_usage",
                        "import",
                        uses_start_date=True,
                        schedule_covers_interval=True,
                    ),
                ),
                connector=True,
                description=(
                    "Turns getAbstract's user feeds (xlsx on the customer's file drop) into completions of the "
                    "summaries learners consumed, created in the customer's catalogs from getAbstract's API."
                ),
                getting_started=GETTING_STARTED,
                test_connection=f"{runners}.test_connection",
                extra="getabstract",
                extra_modules=("openpyxl",),
                protocol_modules=(("sftp", ("asyncssh",)),),
            )
        )
