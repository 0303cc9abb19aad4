from django.apps import AppConfig

GETTING_STARTED = """\
In Salesforce Setup, create a connected app (or external client app) with OAuth enabled, enable the \
client credentials flow and choose its run-as user (who must be able to read Users, or Contacts). Note \
the consumer key and secret, and the org's My Domain URL (https://<name>.my.salesforce.com).

Or, with Authentication "JWT bearer": create a certificate (openssl req -x509 -newkey rsa:2048 -nodes \
-keyout key.pem -out cert.pem), upload cert.pem to the connected app ("Use digital signatures"), enable \
OAuth with the api scope, set "Admin approved users are pre-authorized" and add the user's profile or \
permission set; give the consumer key, key.pem as the private key, the username and the audience \
(login.salesforce.com, or test.salesforce.com for a sandbox). No consumer secret is needed.

Choose Users or Contacts — all contacts, or those whose field has one of the given values — and map the \
learner attributes to the fields (manager to Manager.Email for users, ReportsTo.Email for contacts). Run \
Test connection; imports run on their schedule or on demand."""


class SalesforceConfig(AppConfig):
    name = "integrated_channels.salesforce"
    label = "salesforce"
    verbose_name = "Salesforce connector"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from integrated_channels.integrated_channel.registry import Channel, Operation, registry

        runners = "integrated_channels.salesforce.operations"
        registry.register(
            Channel(
                code="SALESFORCE",
                name="Salesforce",
                app_label=self.label,
                configuration_model="salesforce.SalesforceConfiguration",
                operations=(Operation("user_import", "Import users", f"{runners}.import_users", "import"),),
                connector=True,
                description=(
                    "Imports Salesforce Users, or Contacts (all, or by a field's values), through SOQL with a "
                    "connected app's client credentials: mapped fields, manager hierarchy filter."
                ),
                getting_started=GETTING_STARTED,
                test_connection=f"{runners}.test_connection",
            )
        )
