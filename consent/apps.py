from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "consent"
    verbose_name = "Data-sharing consent"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from consent import demo  # noqa: F401  (adds the demo seed's consents)
