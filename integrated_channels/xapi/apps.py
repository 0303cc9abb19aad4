from django.apps import AppConfig

LRS_GETTING_STARTED = """\
Sends a "registered" statement when a learner enrolls and a "completed" one when they complete a \
course, to the customer's Learning Record Store (xAPI 1.0.3).

Prepare: the LRS's statements endpoint and a key and secret (Basic auth) allowed to write statements; \
Test connection asks the LRS's about resource with them."""

IMPORT_GETTING_STARTED = """\
Imports xAPI statements (completions, scores) from a CSV file a system drops on the customer's SFTP \
server; each row becomes a statement through a mapping of JSON paths to the file's columns.

Prepare: the SFTP server (host, port, login, host-key fingerprint), the path of the file, and a sample \
of it to choose the columns of the mapping."""


class XAPIConfig(AppConfig):
    name = "integrated_channels.xapi"
    label = "xapi"
    verbose_name = "xAPI"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from integrated_channels.integrated_channel.registry import Channel, Operation, registry
        from integrated_channels.xapi import operations

        registry.register(
            Channel(
                code="XAPI",
                name="xAPI LRS",
                app_label=self.label,
                configuration_model="xapi.XAPIConfiguration",
                client="integrated_channels.xapi.client.XAPIClient",
                learner_exporter="integrated_channels.xapi.exporters.XAPILearnerDataExporter",
                connector=True,
                description=(
                    "Sends learners' registrations and completions as xAPI statements to a Learning Record Store."
                ),
                getting_started=LRS_GETTING_STARTED,
                test_connection="integrated_channels.xapi.connection_test.test_lrs",
            )
        )
        # The statement import takes no part in transmit runs: its own runs only (like SFTP, decision 0060).
        registry.register(
            Channel(
                code="XAPI_IMPORT",
                name="xAPI statement import",
                app_label=self.label,
                configuration_model="xapi.XAPIImportConfiguration",
                operations=(
                    Operation(
                        operations.STATEMENT_IMPORT,
                        "Import xAPI statements",
                        "integrated_channels.xapi.operations.import_statements",
                        "import",
                    ),
                ),
                connector=True,
                description=(
                    "Imports xAPI statements (completions, scores) from a CSV file on a file drop (SFTP, FTPS, FTP "
                    "or Box)."
                ),
                getting_started=IMPORT_GETTING_STARTED,
                test_connection="integrated_channels.xapi.connection_test.test_import",
                extra="xapi",  # asyncssh, for a statement file on an SFTP drop
                extra_modules=(),
                protocol_modules=(("sftp", ("asyncssh",)),),
            )
        )
