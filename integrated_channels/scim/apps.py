from django.apps import AppConfig


class ScimConfig(AppConfig):
    """The SCIM 2.0 service provider: identity providers push a customer's learners (decision 0250)."""

    name = "integrated_channels.scim"
    label = "scim"
    verbose_name = "SCIM provisioning"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.core import checks

        from integrated_channels.scim.checks import check_scim2_models

        checks.register(check_scim2_models)
