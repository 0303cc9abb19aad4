from django.apps import AppConfig


class EchoConnectorConfig(AppConfig):
    name = "tests.testconnector"
    label = "testconnector"
    verbose_name = "Echo connector (tests)"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from integrated_channels.integrated_channel.registry import Channel, Operation, registry

        registry.register(
            Channel(
                code="ECHO",
                name="Echo",
                app_label=self.label,
                configuration_model="testconnector.EchoConnection",
                operations=(
                    Operation("echo_import", "Import echoes", "tests.testconnector.operations.import_rows", "import"),
                    Operation(
                        "echo_export",
                        "Export echoes",
                        "tests.testconnector.operations.export_rows",
                        "export",
                        uses_start_date=True,
                        schedule_covers_interval=True,
                    ),
                ),
                connector=True,
                description="Reads rows from a dict and writes them back (tests only).",
                getting_started="Fill tests.testconnector.REMOTE.\n\nGive the token 'open-sesame'.",
                test_connection="tests.testconnector.operations.test_connection",
            )
        )
