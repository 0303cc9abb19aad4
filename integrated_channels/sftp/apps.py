from django.apps import AppConfig

GETTING_STARTED = """\
The customer's system places CSV files of people (with a header line) in import/user/internal/ under \
the connection's folder on an SFTP, FTPS or FTP server; the import takes every file there, merges \
them, and deletes them once imported. Exports are written to export/.

Prepare: the protocol, the server's host name and port, a login with a password (or, for SFTP, an \
SSH key) and, for SFTP, the SHA256 fingerprint of the server's host key (ssh-keygen -lf); for FTPS, \
optionally the SHA-256 fingerprint of its certificate to pin (openssl x509 -noout -fingerprint \
-sha256). Then map the learner attributes to the files' columns (a sample file fills the choices) \
and run Test connection."""


class SFTPConfig(AppConfig):
    name = "integrated_channels.sftp"
    label = "sftp"
    verbose_name = "SFTP connector"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from integrated_channels.integrated_channel.registry import Channel, Operation, registry
        from integrated_channels.sftp import operations

        # No client nor learner-data exporter: SFTP imports users and exports files, it does not
        # take part in the transmit runs (decision 0060).
        runners = "integrated_channels.sftp.operations"
        registry.register(
            Channel(
                code="SFTP",
                name="SFTP",
                app_label=self.label,
                configuration_model="sftp.SFTPConfiguration",
                operations=(
                    Operation(operations.USER_IMPORT, "Import users", f"{runners}.import_users", "import"),
                    Operation(
                        operations.FILE_EXPORT,
                        "Export learner transcripts",
                        f"{runners}.export_transcripts",
                        "export",
                        uses_start_date=True,
                        schedule_covers_interval=True,
                    ),
                    Operation(
                        operations.SKILLS_EXPORT,
                        "Export skill achievements",
                        f"{runners}.export_skills",
                        "export",
                        uses_start_date=True,
                        schedule_covers_interval=True,
                    ),
                    Operation(
                        operations.XAPI_EXPORT,
                        "Export xAPI activity",
                        f"{runners}.export_xapi",
                        "export",
                        uses_start_date=True,
                        schedule_covers_interval=True,
                    ),
                ),
                connector=True,
                description=(
                    "Imports users from CSV files a system drops on an SFTP, FTPS or FTP server, and exports learner "
                    "transcripts and skill achievements there as CSV (the seed's FTP, Custom FTP and Box)."
                ),
                getting_started=GETTING_STARTED,
                test_connection="integrated_channels.sftp.connection_test.test_connection",
                extra="sftp",
                extra_modules=(),
                protocol_modules=(("sftp", ("asyncssh",)),),
            )
        )
