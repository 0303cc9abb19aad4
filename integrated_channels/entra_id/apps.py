from django.apps import AppConfig

GETTING_STARTED = """\
In the Azure portal (Microsoft Entra ID > App registrations), register an application, add a client \
secret (note its value and expiry), and under API permissions add the Microsoft Graph application \
permission User.Read.All (Directory.Read.All also works), then grant admin consent.

Enter the directory (tenant) ID, the application (client) ID and the secret's value, then run Test \
connection: it fills the tenant's primary domain. Map the learner attributes to the users' properties \
(e-mail usually to mail or userPrincipalName, manager to manager.mail). The first import reads every \
user; the next ones read only the changes (delta query)."""


class EntraIDConfig(AppConfig):
    name = "integrated_channels.entra_id"
    label = "entra_id"
    verbose_name = "Microsoft Entra ID connector"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from integrated_channels.integrated_channel.registry import Channel, Operation, registry

        registry.register(
            Channel(
                code="ENTRA_ID",
                name="Microsoft Entra ID",
                app_label=self.label,
                configuration_model="entra_id.EntraIDConfiguration",
                operations=(
                    Operation(
                        "user_import", "Import users", "integrated_channels.entra_id.operations.import_users", "import"
                    ),
                ),
                connector=True,
                description=(
                    "Imports the users of a Microsoft Entra ID (Azure AD) tenant through Microsoft Graph — the "
                    "seed's ADFS connector: mapped attributes, manager filter, changes only after the first run, "
                    "disabled and deleted accounts unlinked."
                ),
                getting_started=GETTING_STARTED,
                test_connection="integrated_channels.entra_id.operations.test_connection",
            )
        )
