from django.apps import AppConfig


class PortalConfig(AppConfig):
    """No models: the portal calls the services of ``enterprise`` and shows their results."""

    name = "enterprise.portal"
    label = "enterprise_portal"
    verbose_name = "Enterprise portal"

    def ready(self):
        from django.apps import apps
        from django.db.models.signals import post_migrate

        if apps.is_installed("django_celery_beat"):  # the periodic refresh of the report figures
            from enterprise.portal import schedule

            post_migrate.connect(
                schedule.on_post_migrate,
                sender=apps.get_app_config("django_celery_beat"),
                dispatch_uid="enterprise_portal.refresh_reports_schedule",
            )
