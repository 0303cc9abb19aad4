from django.apps import AppConfig

GETTING_STARTED = """\
Harvard ManageMentor drops two kinds of CSV file (UTF-8, with a header line) in the connection's folder \
on the customer's SFTP server: hmm12_metadata.csv, the courses (columns course_id and title; optional \
description, language, duration_minutes, launch_url, topics separated by semicolons), and one user feed a \
day, client_hmm12_yyyyMMdd.csv (columns email and course_id; optional first_access, last_access, \
time_spent_minutes, percent_complete 0-100, completion_date; dates as yyyy-MM-dd or ISO 8601).

Share the SFTP login with Harvard ManageMentor; give here the server, the login and the SHA256 \
fingerprint of its host key, the catalogs to import the courses to and any custom tags. The files \
are left on the server (the provider owns them)."""


class HarvardManageMentorConfig(AppConfig):
    name = "integrated_channels.harvard_managementor"
    label = "harvard_managementor"
    verbose_name = "Harvard ManageMentor connector"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from integrated_channels.harvard_managementor import operations
        from integrated_channels.integrated_channel.registry import Channel, Operation, registry

        runners = "integrated_channels.harvard_managementor.operations"
        registry.register(
            Channel(
                code="HMM",
                name="Harvard ManageMentor",
                app_label=self.label,
                configuration_model="harvard_managementor.HarvardManageMentorConnection",
                operations=(
                    Operation(operations.COURSE_IMPORT, "Import courses", f"{runners}.import_courses", "import"),
                    Operation(
                        operations.PROGRESS_IMPORT,
                        "Import learner progress",
                        f"{runners}.import_progress",
                        "import",
                        uses_start_date=True,
                        schedule_covers_interval=True,
                    ),
                ),
                connector=True,
                description=(
                    "Creates Harvard ManageMentor courses in the customer's catalogs from its metadata file and turns "
                    "its daily user feeds into completions, which the channels then report."
                ),
                getting_started=GETTING_STARTED,
                test_connection=f"{runners}.test_connection",
                extra="harvard_managementor",
                extra_modules=(),
                protocol_modules=(("sftp", ("asyncssh",)),),
            )
        )
