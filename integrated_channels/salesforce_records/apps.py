from django.apps import AppConfig

GETTING_STARTED = """\
In Salesforce Setup, create a connected app (or external client app) with OAuth, enable the \
Client Credentials Flow and choose its run-as user (API Enabled; create/edit on the custom \
objects, read on User or Contact, create on Contact when contacts are created). Its consumer key \
and secret go here, with the org's My Domain URL.

Or, with Authentication "JWT bearer": create a certificate (openssl req -x509 -newkey rsa:2048 -nodes \
-keyout key.pem -out cert.pem), upload cert.pem to the connected app ("Use digital signatures"), enable \
OAuth with the api scope, set "Admin approved users are pre-authorized" and add the user's profile or \
permission set; give the consumer key, key.pem as the private key, the username and the audience \
(login.salesforce.com, or test.salesforce.com for a sandbox). No consumer secret is needed.

Create the three custom objects (names configurable; the defaults are Learner_Transcript__c, \
Learner_Skill__c and Learner_Report__c), each with an External ID field (unique, text, default \
External_Id__c), a lookup to User or Contact (default Learner__c) and the fields listed in the \
docs. Test connection checks every field is there."""


class SalesforceRecordsConfig(AppConfig):
    name = "integrated_channels.salesforce_records"
    label = "salesforce_records"
    verbose_name = "Salesforce learning records connector"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from integrated_channels.integrated_channel.registry import Channel, Operation, registry
        from integrated_channels.salesforce_records import operations as ops

        runners = "integrated_channels.salesforce_records.operations"
        registry.register(
            Channel(
                code="SALESFORCE_RECORDS",
                name="Salesforce learning records",
                app_label=self.label,
                configuration_model="salesforce_records.SalesforceRecordsConnection",
                operations=(
                    Operation(
                        ops.TRANSCRIPTS,
                        "Export learner transcripts",
                        f"{runners}.export_transcripts",
                        "export",
                        uses_start_date=True,
                    ),
                    Operation(
                        ops.SKILLS, "Export skill report", f"{runners}.export_skills", "export", uses_start_date=True
                    ),
                    Operation(
                        ops.USER_REPORT,
                        "Export user report",
                        f"{runners}.export_user_report",
                        "export",
                        uses_start_date=True,
                    ),
                ),
                connector=True,
                description=(
                    "Upserts learner transcripts, skills and a user report into the org's custom objects, linked to "
                    "each learner's User or Contact, and reports every refused record."
                ),
                getting_started=GETTING_STARTED,
                test_connection=f"{runners}.test_connection",
            )
        )
