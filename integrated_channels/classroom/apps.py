from django.apps import AppConfig


class ClassroomConfig(AppConfig):
    name = "integrated_channels.classroom"
    label = "classroom"
    verbose_name = "Virtual classrooms"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from integrated_channels.classroom import signals  # noqa: F401  (registers the enrollment receiver)
