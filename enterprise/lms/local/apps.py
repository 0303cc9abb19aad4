from django.apps import AppConfig


class LocalLMSConfig(AppConfig):
    name = "enterprise.lms.local"
    label = "lms_local"
    verbose_name = "Local LMS (embedded catalog, enrollments, grades)"
    default_auto_field = "django.db.models.BigAutoField"
