from django.apps import AppConfig


class ThrottleConfig(AppConfig):
    name = "standalone.throttle"
    label = "throttle"
    verbose_name = "Login throttling"
