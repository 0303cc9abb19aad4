from django.apps import AppConfig


class IntegratedChannelConfig(AppConfig):
    name = "integrated_channels.integrated_channel"
    label = "integrated_channel"
    verbose_name = "Integrated channels"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from integrated_channels.integrated_channel import checks, schedules  # noqa: F401  (checks, schedule signals)
