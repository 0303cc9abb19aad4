from django.apps import AppConfig


class EnterpriseConfig(AppConfig):
    name = "enterprise"
    verbose_name = "Enterprise"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from enterprise import checks, signals  # noqa: F401  (registers receivers and checks)
