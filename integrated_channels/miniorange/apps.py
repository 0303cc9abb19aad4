from django.apps import AppConfig

GETTING_STARTED = """\
In the miniOrange admin console, open Settings (Account Details) and note the customer key and the API \
key. Enter them here (and the account's address if it is not https://login.xecurify.com).

Map the learner attributes to the users' attributes (custom ones as customAttributes.<name>; the \
manager filter needs the manager mapped to an attribute holding the manager's e-mail), then run Test \
connection. Imports run on their schedule or on demand; each run's e-mail and execution status are the \
import log."""


class MiniOrangeConfig(AppConfig):
    name = "integrated_channels.miniorange"
    label = "miniorange"
    verbose_name = "miniOrange connector"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from integrated_channels.integrated_channel.registry import Channel, Operation, registry

        runners = "integrated_channels.miniorange.operations"
        registry.register(
            Channel(
                code="MINIORANGE",
                name="miniOrange",
                app_label=self.label,
                configuration_model="miniorange.MiniOrangeConfiguration",
                operations=(Operation("user_import", "Import users", f"{runners}.import_users", "import"),),
                connector=True,
                description=(
                    "Imports the users of a miniOrange account through its admin user API: mapped attributes, "
                    "manager hierarchy filter, automated imports."
                ),
                getting_started=GETTING_STARTED,
                test_connection=f"{runners}.test_connection",
            )
        )
