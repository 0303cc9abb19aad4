from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "consent"
    verbose_name = "Data-sharing consent"
    default_auto_field = "django.db.models.BigAutoField"
