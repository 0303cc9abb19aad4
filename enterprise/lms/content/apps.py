from django.apps import AppConfig


class ContentConfig(AppConfig):
    name = "enterprise.lms.content"
    label = "lms_content"
    verbose_name = "Provider content (catalogs, provider courses, progress)"
    default_auto_field = "django.db.models.BigAutoField"
