from django.apps import AppConfig

GETTING_STARTED = """\
In LinkedIn Learning's admin portal, create an application (Settings > Integrations / API access) with \
the Content and Reports APIs: it gives the app key (client id) and the secret key. Under Playback \
Integration > LMS Content Launch Settings, add this platform's host names and enable the integration \
the courses are launched with.

Here: the app key and secret, the filters (languages such as en, fr; libraries such as Business, \
Technology — names as LinkedIn Learning shows them), the catalogs to import the courses to and any \
custom tags. Test connection checks the credentials and the library names. Time spent is recorded \
only when LinkedIn Learning reports it."""

LYNDA_GETTING_STARTED = """\
Lynda.com's courses and API moved into LinkedIn Learning: a Lynda connection is a LinkedIn Learning \
connection limited to the former Lynda library. Create the application in LinkedIn Learning's admin \
portal as for LinkedIn Learning and give its app key and secret here."""


class LinkedInLearningConfig(AppConfig):
    name = "integrated_channels.linkedin_learning"
    label = "linkedin_learning"
    verbose_name = "LinkedIn Learning connector"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from integrated_channels.integrated_channel.registry import Channel, Operation, registry
        from integrated_channels.linkedin_learning import operations

        runners = "integrated_channels.linkedin_learning.operations"
        operations_declared = (
            Operation(operations.COURSE_IMPORT, "Import courses", f"{runners}.import_courses", "import"),
            Operation(
                operations.PROGRESS_IMPORT,
                "Import learner progress",
                f"{runners}.import_progress",
                "import",
                uses_start_date=True,
                schedule_covers_interval=True,
            ),
        )
        common = {
            "app_label": self.label,
            "operations": operations_declared,
            "connector": True,
            "test_connection": f"{runners}.test_connection",
            "extra": "linkedin_learning",
            "extra_modules": ("msgspec",),  # its answers read for their paging first (decision 0525)
        }
        registry.register(
            Channel(
                code="LINKEDIN_LEARNING",
                name="LinkedIn Learning",
                configuration_model="linkedin_learning.LinkedInLearningConnection",
                description=(
                    "Imports LinkedIn Learning courses (filtered by language and library) into the customer's "
                    "catalogs, and learners' progress from its activity reports as completions."
                ),
                getting_started=GETTING_STARTED,
                **common,
            )
        )
        registry.register(
            Channel(
                code="LYNDA",
                name="Lynda (LinkedIn Learning)",
                configuration_model="linkedin_learning.LyndaConnection",
                description=(
                    "Lynda.com moved into LinkedIn Learning: imports the former Lynda library's courses and their "
                    "progress through LinkedIn Learning's API."
                ),
                getting_started=LYNDA_GETTING_STARTED,
                **common,
            )
        )
