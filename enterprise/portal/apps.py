from django.apps import AppConfig


class PortalConfig(AppConfig):
    """No models: the portal calls the services of ``enterprise`` and shows their results."""

    name = "enterprise.portal"
    label = "enterprise_portal"
    verbose_name = "Enterprise portal"
