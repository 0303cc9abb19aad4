from django.apps import AppConfig


class HostDbConfig(AppConfig):
    name = "standalone.hostdb"
    label = "hostdb"
    verbose_name = "Standalone host: database additions"
